package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

// Images is a decoded data set: one byte per value, Channels×Size×Size
// bytes an image. The bytes live in memory or, when the images came through
// a Cache, in the cache's pack file, read an image at a time, so the set
// costs the kernel's page cache rather than the process's memory; ImageInto
// turns one image into float32 values in [0, 1] when a batch is assembled.
// Close releases the file.
type Images struct {
	Size, Channels int
	Labels         []int    // class of each image, an index into Classes
	Paths          []string // path of each image, as in Item.Path
	Classes        []string

	pix []byte // the image blocks, Len() bytes each, when held in memory
	at  []int  // block of image i in pix or pack
	// pack holds the blocks when pix is nil. It is read with ReadAt rather
	// than mapped: a mapped page counts in the process's RSS once touched,
	// and the kernel maps 64 KiB around every faulting page, so drawing a
	// few thousand random images made RSS grow with the number of images
	// in the pack (266 MiB for 4,000 images of a 200,000-image pack).
	pack *os.File
	bufs sync.Pool // *[]byte of Len() bytes, for reads from pack
}

// NewImages wraps pix, n images of channels×size×size bytes in order, as
// Images with the given labels and paths.
func NewImages(size, channels int, pix []byte, labels []int, paths []string, classes []string) *Images {
	im := &Images{Size: size, Channels: channels, Labels: labels, Paths: paths, Classes: classes, pix: pix}
	im.at = make([]int, len(labels))
	for i := range im.at {
		im.at[i] = i
	}
	return im
}

// Len returns the number of images.
func (im *Images) Len() int { return len(im.Labels) }

// per is the number of values in one image.
func (im *Images) per() int { return im.Channels * im.Size * im.Size }

// Pixels returns image i's bytes (Channels planes of Size×Size): a view of
// the images held in memory, which callers must not write to, or a fresh
// copy of the bytes in a cache pack.
func (im *Images) Pixels(i int) []byte {
	n := im.per()
	if im.pack == nil {
		b := im.at[i] * n
		return im.pix[b : b+n : b+n]
	}
	dst := make([]byte, n)
	im.readBlock(dst, i)
	return dst
}

// readBlock reads image i from the pack into dst (Len() bytes). It panics
// on a read error: ImageInto, which batches are built with, has no error to
// return, and a pack shorter than its index is refused when it is opened,
// so only a failing disk gets here.
func (im *Images) readBlock(dst []byte, i int) {
	if _, err := im.pack.ReadAt(dst, int64(im.at[i])*int64(len(dst))); err != nil {
		panic(fmt.Sprintf("decoded-image cache %s: reading image %d (%s): %v", im.pack.Name(), i, im.Paths[i], err))
	}
}

// ImageInto writes image i into dst (Channels·Size·Size values in [0, 1]).
// It may be called from several goroutines at once.
func (im *Images) ImageInto(dst []float32, i int) {
	if im.pack == nil {
		bytesToFloats(dst[:im.per()], im.Pixels(i))
		return
	}
	b, _ := im.bufs.Get().(*[]byte)
	if b == nil || len(*b) != im.per() {
		b = new([]byte)
		*b = make([]byte, im.per())
	}
	im.readBlock(*b, i)
	bytesToFloats(dst[:im.per()], *b)
	im.bufs.Put(b)
}

// Image returns image i as a fresh slice of Channels·Size·Size values in [0, 1].
func (im *Images) Image(i int) []float32 {
	dst := make([]float32, im.per())
	im.ImageInto(dst, i)
	return dst
}

// Floats returns every image as float32 values, image i at [i·per:]: for
// the small sets (validation, mining pools) that go through the network
// whole.
func (im *Images) Floats() []float32 {
	n := im.per()
	out := make([]float32, im.Len()*n)
	for i := range im.Len() {
		im.ImageInto(out[i*n:(i+1)*n], i)
	}
	return out
}

// Close releases the cache file behind the images, if any. The images
// must not be used afterwards.
func (im *Images) Close() error {
	im.pix = nil
	if im.pack == nil {
		return nil
	}
	err := im.pack.Close()
	im.pack = nil
	return err
}

// byteScale maps a stored byte to its network value: a table, because the
// division is the whole cost of turning a batch of bytes into floats.
var byteScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

func bytesToFloats(dst []float32, src []byte) {
	for k, v := range src {
		dst[k] = byteScale[v]
	}
}

// LoadAll decodes every item of ix from ix.FS with l, on workers goroutines
// (GOMAXPROCS when workers <= 0). Images come back in Index order whatever
// the number of workers. With l.Cache set and a folder on disk, images
// decoded by an earlier run with the same preprocessing are read from the
// cache and the rest decoded and added to it.
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
	if l.Cache != nil && !l.Cache.off.Load() {
		if keys, ok := cacheKeys(ix); ok {
			// onBad's answers, so that decoding again without the cache
			// does not report the same bad images twice.
			told := map[string]error{}
			tell := onBad
			if onBad != nil {
				tell = func(path string, err error) error {
					told[path] = onBad(path, err)
					return told[path]
				}
			}
			im, err := l.Cache.load(ix, keys, l, workers, tell, progress)
			var ioe ioError
			if !errors.As(err, &ioe) {
				return im, err
			}
			l.Cache.warn("%v; decoding without the cache", err)
			l.Cache.off.Store(true)
			if onBad != nil {
				onBad = func(path string, err error) error {
					if answer, ok := told[path]; ok {
						return answer
					}
					return tell(path, err)
				}
			}
		}
	}
	open := func(i int) (io.ReadCloser, error) { return ix.FS.Open(ix.Items[i].Path) }
	name := func(i int) string { return ix.FullPath(ix.Items[i].Path) }
	per := l.Len()
	pix := make([]byte, len(ix.Items)*per)
	bad, err := l.loadEach(len(ix.Items), open, name, workers, onBad, progress, func(i int, b []byte) {
		copy(pix[i*per:], b)
	})
	if err != nil {
		return nil, err
	}
	at := make([]int, len(ix.Items))
	for i := range at {
		at[i] = i
	}
	return compact(ix, l, pix, at, bad), nil
}

// compact builds Images over pix, image i of ix at block at[i], leaving out
// bad images and classes that lost every image.
func compact(ix *Index, l Loader, pix []byte, at []int, bad []bool) *Images {
	had := make([]bool, len(ix.Classes))
	kept := make([]bool, len(ix.Classes))
	for i, it := range ix.Items {
		had[it.Class] = true
		if !bad[i] {
			kept[it.Class] = true
		}
	}
	newLabel := make([]int, len(ix.Classes))
	im := &Images{Size: l.Size, Channels: l.Channels, pix: pix}
	for c, name := range ix.Classes {
		newLabel[c] = len(im.Classes)
		if !had[c] || kept[c] {
			im.Classes = append(im.Classes, name)
		}
	}
	for i, it := range ix.Items {
		if bad[i] {
			continue
		}
		im.at = append(im.at, at[i])
		im.Labels = append(im.Labels, newLabel[it.Class])
		im.Paths = append(im.Paths, it.Path)
	}
	return im
}

// String summarises the set for logs: "60000 images of 10 classes, 1×28×28".
func (im *Images) String() string {
	return fmt.Sprintf("%d images of %d classes, %d×%d×%d", im.Len(), len(im.Classes), im.Channels, im.Size, im.Size)
}

// ChunkBytes bounds the decoded values EachChunk holds at once: 64 MiB of
// float32, about 1,300 images at 64 px in colour, 21,000 at 28 px gray.
const ChunkBytes = 64 << 20

// EachChunk decodes paths as LoadFiles does, but a chunk of at most
// maxBytes of values at a time (one image at least), and hands each chunk
// to fn with the index of its first path, in order: so that a folder of
// any size is embedded in bounded memory (decoding 200,000 images at 64 px
// in one piece took 20 GB). onBad is LoadFiles', called in path order
// across chunks; fn's error stops the loop. progress, if not nil, hears
// the images decoded so far across chunks, each chunk's counted as it
// decodes (not after fn).
func EachChunk(paths []string, l Loader, maxBytes int, onBad func(path string, err error) error, progress func(done int), fn func(lo int, data []float32, bad []bool) error) error {
	if err := l.check(); err != nil {
		return err
	}
	n := max(1, maxBytes/(4*l.Len()))
	for lo := 0; lo < len(paths); lo += n {
		hi := min(len(paths), lo+n)
		var chunkProgress func(int)
		if progress != nil {
			chunkProgress = func(done int) { progress(lo + done) }
		}
		data, bad, err := LoadFiles(paths[lo:hi], l, 0, onBad, chunkProgress)
		if err != nil {
			return err
		}
		if err := fn(lo, data, bad); err != nil {
			return err
		}
	}
	return nil
}

// LoadFiles decodes the image files at operating-system paths on workers
// goroutines (GOMAXPROCS when workers <= 0), image i at data[i·Len():].
// Failures go to onBad and the count of images finished to progress as in
// LoadAll; a skipped image is marked in bad and its values left zero.
func LoadFiles(paths []string, l Loader, workers int, onBad func(path string, err error) error, progress func(done int)) (data []float32, bad []bool, err error) {
	if err := l.check(); err != nil {
		return nil, nil, err
	}
	open := func(i int) (io.ReadCloser, error) { return os.Open(paths[i]) }
	name := func(i int) string { return paths[i] }
	per := l.Len()
	data = make([]float32, len(paths)*per)
	bad, err = l.loadEach(len(paths), open, name, workers, onBad, progress, func(i int, b []byte) {
		bytesToFloats(data[i*per:(i+1)*per], b)
	})
	if err != nil {
		return nil, nil, err
	}
	return data, bad, nil
}

// loadEach decodes n images, opened by open and named in messages by name,
// on workers goroutines, and hands each decoded image to store on the
// calling goroutine (in the order they finish), so store needs no lock and
// only the images in flight are held. Failures are reported to onBad in
// index order, whatever order they finish in; a nil onBad makes the first
// failure the error.
func (l Loader) loadEach(n int, open func(i int) (io.ReadCloser, error), name func(i int) string,
	workers int, onBad func(path string, err error) error, progress func(done int), store func(i int, pix []byte)) ([]bool, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	per := l.Len()

	type result struct {
		i   int
		pix []byte
		err error
	}
	// Buffers circulate between the workers and this goroutine.
	free := make(chan []byte, 2*workers)
	for range 2 * workers {
		free <- make([]byte, per)
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
				buf := <-free
				err := l.loadInto(buf, func() (io.ReadCloser, error) { return open(i) }, name(i))
				results <- result{i, buf, err}
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
			free <- r.pix
			continue // drain so the workers can exit
		}
		if r.err == nil {
			store(r.i, r.pix)
		}
		free <- r.pix
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
		return nil, stopErr
	}
	return bad, nil
}
