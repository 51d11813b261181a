package dataset

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

// Images is a decoded data set held in memory.
type Images struct {
	Size, Channels int
	Data           []float32 // image i is Data[i·Channels·Size·Size:], see Image
	Labels         []int     // class of each image, an index into Classes
	Paths          []string  // path of each image, as in Item.Path
	Classes        []string
}

// Len returns the number of images.
func (im *Images) Len() int { return len(im.Labels) }

// Image returns image i, Channels×Size×Size values, as a view into Data.
func (im *Images) Image(i int) []float32 {
	n := im.Channels * im.Size * im.Size
	return im.Data[i*n : (i+1)*n : (i+1)*n]
}

// LoadAll decodes every item of ix from ix.FS with l, on workers goroutines
// (GOMAXPROCS when workers <= 0). Images come back in Index order whatever
// the number of workers.
//
// When an image fails to load, onBad is called with its full path (see
// Index.FullPath) and the error, which names the file: if onBad returns nil
// the image is skipped, otherwise LoadAll stops and returns onBad's error. A
// nil onBad makes any bad image an error. onBad is called in Index order and
// progress, if not nil, is called with the number of images finished so far;
// both run on the calling goroutine, never concurrently.
//
// A class whose images all failed is dropped from Classes and the labels
// renumbered; a class that had no items in ix to begin with is kept, so the
// parts of a Split keep the same labels.
func LoadAll(ix *Index, l Loader, workers int, onBad func(path string, err error) error, progress func(done int)) (*Images, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	if ix.FS == nil {
		return nil, fmt.Errorf("load data set %s: index has no file system", ix.Root)
	}
	open := func(i int) (io.ReadCloser, error) { return ix.FS.Open(ix.Items[i].Path) }
	name := func(i int) string { return ix.FullPath(ix.Items[i].Path) }
	data, bad, err := l.loadEach(len(ix.Items), open, name, workers, onBad, progress)
	if err != nil {
		return nil, err
	}
	return compact(ix, l, data, bad), nil
}

// compact builds Images from the decoded data, leaving out bad images and
// classes that lost every image.
func compact(ix *Index, l Loader, data []float32, bad []bool) *Images {
	per := l.Len()
	had := make([]bool, len(ix.Classes))
	kept := make([]bool, len(ix.Classes))
	for i, it := range ix.Items {
		had[it.Class] = true
		if !bad[i] {
			kept[it.Class] = true
		}
	}
	newLabel := make([]int, len(ix.Classes))
	im := &Images{Size: l.Size, Channels: l.Channels}
	for c, name := range ix.Classes {
		newLabel[c] = len(im.Classes)
		if !had[c] || kept[c] {
			im.Classes = append(im.Classes, name)
		}
	}
	w := 0
	for i, it := range ix.Items {
		if bad[i] {
			continue
		}
		copy(data[w*per:(w+1)*per], data[i*per:(i+1)*per])
		im.Labels = append(im.Labels, newLabel[it.Class])
		im.Paths = append(im.Paths, it.Path)
		w++
	}
	im.Data = data[: w*per : w*per]
	return im
}

// String summarises the set for logs: "60000 images of 10 classes, 1×28×28".
func (im *Images) String() string {
	return fmt.Sprintf("%d images of %d classes, %d×%d×%d", im.Len(), len(im.Classes), im.Channels, im.Size, im.Size)
}

// LoadFiles decodes the image files at operating-system paths on workers
// goroutines (GOMAXPROCS when workers <= 0), image i at data[i·Len():].
// Failures go to onBad as in LoadAll; a skipped image is marked in bad and
// its values left zero.
func LoadFiles(paths []string, l Loader, workers int, onBad func(path string, err error) error) (data []float32, bad []bool, err error) {
	if err := l.check(); err != nil {
		return nil, nil, err
	}
	open := func(i int) (io.ReadCloser, error) { return os.Open(paths[i]) }
	name := func(i int) string { return paths[i] }
	return l.loadEach(len(paths), open, name, workers, onBad, nil)
}

// loadEach decodes n images, opened by open and named in messages by name,
// on workers goroutines. Each image owns a disjoint slice of data, so no
// lock. Failures are reported to onBad in index order, whatever order they
// finish in; a nil onBad makes the first failure the error.
func (l Loader) loadEach(n int, open func(i int) (io.ReadCloser, error), name func(i int) string,
	workers int, onBad func(path string, err error) error, progress func(done int)) ([]float32, []bool, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	per := l.Len()
	data := make([]float32, n*per)

	type result struct {
		i   int
		err error
	}
	jobs := make(chan int)
	results := make(chan result, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				err := l.loadInto(data[i*per:(i+1)*per], func() (io.ReadCloser, error) { return open(i) }, name(i))
				results <- result{i, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range n {
			select {
			case jobs <- i:
			case <-stop:
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	failed := make([]error, n)
	finished := make([]bool, n)
	bad := make([]bool, n)
	next, done := 0, 0
	var stopErr error
	for r := range results {
		if stopErr != nil {
			continue // drain so the workers can exit
		}
		finished[r.i], failed[r.i] = true, r.err
		done++
		if progress != nil {
			progress(done)
		}
		for ; next < n && finished[next]; next++ {
			err := failed[next]
			if err == nil {
				continue
			}
			bad[next] = true
			if onBad != nil {
				err = onBad(name(next), err)
			}
			if err != nil {
				stopErr = err
				close(stop)
				break
			}
		}
	}
	if stopErr != nil {
		return nil, nil, stopErr
	}
	return data, bad, nil
}
