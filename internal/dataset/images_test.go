package dataset

import (
	"errors"
	"fmt"
	"image/color"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// grayDataSet writes classes[c] images per class c into dir, image k of
// class c a solid gray of level 10c + k, named "<class>/<k>.png"; names in
// bad are written as text instead. It returns the scanned Index.
func grayDataSet(t testing.TB, dir string, classes map[string]int, bad ...string) *Index {
	t.Helper()
	names := make([]string, 0, len(classes))
	for name := range classes {
		names = append(names, name)
	}
	slices.Sort(names)
	for c, name := range names {
		for k := range classes[name] {
			p := fmt.Sprintf("%s/%d.png", name, k)
			data := pngBytes(t, solidGray(3, uint8(10*c+k)))
			if slices.Contains(bad, p) {
				data = []byte("not a png")
			}
			writeFile(t, dir, p, data)
		}
	}
	ix, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestLoadAll(t *testing.T) {
	dir := t.TempDir()
	ix := grayDataSet(t, dir, map[string]int{"a": 3, "b": 2, "c": 4})
	l := Loader{Size: 2, Channels: 1}
	var first *Images
	for _, workers := range []int{1, 2, 7, 0} {
		var calls []int
		im, err := LoadAll(ix, l, workers, nil, func(done int) { calls = append(calls, done) })
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(calls, want) {
			t.Errorf("workers %d: progress calls %v, want %v", workers, calls, want)
		}
		if im.Len() != 9 || im.Size != 2 || im.Channels != 1 || len(im.Floats()) != 9*4 {
			t.Fatalf("workers %d: %v with %d values", workers, im, len(im.Floats()))
		}
		if !slices.Equal(im.Labels, []int{0, 0, 0, 1, 1, 2, 2, 2, 2}) || !slices.Equal(im.Classes, []string{"a", "b", "c"}) {
			t.Errorf("workers %d: labels %v classes %q", workers, im.Labels, im.Classes)
		}
		for i, it := range ix.Items {
			if im.Paths[i] != it.Path {
				t.Errorf("workers %d: path %d = %s, want %s", workers, i, im.Paths[i], it.Path)
			}
			var c, k int
			fmt.Sscanf(strings.ReplaceAll(it.Path, "/", " "), "%c %d", &c, &k)
			v := float32(10*(c-'a')+k) / 255
			if got := im.Image(i); !slices.Equal(got, []float32{v, v, v, v}) {
				t.Errorf("workers %d: image %d (%s) = %v, want all %v", workers, i, it.Path, got, v)
			}
		}
		if first == nil {
			first = im
		} else if !slices.Equal(first.Floats(), im.Floats()) {
			t.Errorf("workers %d: data differs from workers 1", workers)
		}
	}
	if got := len(first.Image(0)[:cap(first.Image(0))]); got != 4 {
		t.Errorf("Image view has capacity %d, want 4 so appends cannot clobber the next image", got)
	}
}

func TestLoadAllBadImages(t *testing.T) {
	dir := t.TempDir()
	// Class b loses every image; the other failures are scattered.
	bad := []string{"a/1.png", "b/0.png", "b/1.png", "c/3.png"}
	ix := grayDataSet(t, dir, map[string]int{"a": 3, "b": 2, "c": 4}, bad...)
	l := Loader{Size: 2, Channels: 1}

	t.Run("skip", func(t *testing.T) {
		for _, workers := range []int{1, 3} {
			var reported []string
			onBad := func(path string, err error) error {
				if !strings.Contains(err.Error(), path+": not a valid image") {
					t.Errorf("error %q does not name %s", err, path)
				}
				reported = append(reported, path)
				return nil
			}
			im, err := LoadAll(ix, l, workers, onBad, nil)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, p := range bad {
				want = append(want, filepath.Join(dir, filepath.FromSlash(p)))
			}
			if !slices.Equal(reported, want) {
				t.Errorf("workers %d: onBad saw %q, want %q in Index order", workers, reported, want)
			}
			if !slices.Equal(im.Classes, []string{"a", "c"}) || !slices.Equal(im.Labels, []int{0, 0, 1, 1, 1}) {
				t.Errorf("classes %q labels %v, want [a c] [0 0 1 1 1]", im.Classes, im.Labels)
			}
			if !slices.Equal(im.Paths, []string{"a/0.png", "a/2.png", "c/0.png", "c/1.png", "c/2.png"}) {
				t.Errorf("paths %q", im.Paths)
			}
			// c/1.png is class index 2 in the folder, so gray level 21.
			if got, v := im.Image(3), float32(21)/255; !slices.Equal(got, []float32{v, v, v, v}) {
				t.Errorf("image 3 = %v, want all %v", got, v)
			}
			if len(im.Floats()) != 5*4 {
				t.Errorf("%d values, want 20", len(im.Floats()))
			}
		}
	})
	t.Run("stop", func(t *testing.T) {
		stop := errors.New("stop here")
		var calls int
		_, err := LoadAll(ix, l, 2, func(path string, err error) error {
			calls++
			return fmt.Errorf("%w: %v", stop, err)
		}, nil)
		if !errors.Is(err, stop) || calls != 1 || !strings.Contains(err.Error(), filepath.FromSlash("a/1.png")) {
			t.Errorf("error %v after %d onBad calls, want the first bad image, once", err, calls)
		}
	})
	t.Run("nil onBad", func(t *testing.T) {
		_, err := LoadAll(ix, l, 4, nil, nil)
		if err == nil || !strings.Contains(err.Error(), filepath.FromSlash("a/1.png")+": not a valid image") {
			t.Errorf("error %v, want the first bad image in Index order", err)
		}
	})
}

func TestLoadAllKeepsEmptyClasses(t *testing.T) {
	// A split part with no image of a class keeps the class, so labels
	// mean the same in every part.
	dir := t.TempDir()
	ix := grayDataSet(t, dir, map[string]int{"a": 10, "b": 1, "c": 10})
	_, _, test, err := ix.Split(0, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if test.ClassCounts()[1] != 0 {
		t.Fatalf("test part has %d images of b, want 0", test.ClassCounts()[1])
	}
	im, err := LoadAll(test, Loader{Size: 1, Channels: 3}, 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(im.Classes, ix.Classes) || !slices.Equal(im.Labels, []int{0, 0, 2, 2}) {
		t.Errorf("classes %q labels %v, want %q [0 0 2 2]", im.Classes, im.Labels, ix.Classes)
	}
	if len(im.Floats()) != 4*3 {
		t.Errorf("%d values, want 12", len(im.Floats()))
	}
}

func TestLoadAllErrors(t *testing.T) {
	ix := syntheticIndex(1, 1)
	if _, err := LoadAll(ix, Loader{Size: 2, Channels: 1}, 1, nil, nil); err == nil || !strings.Contains(err.Error(), "no file system") {
		t.Errorf("LoadAll without a file system: %v", err)
	}
	ix.FS = fstest.MapFS{}
	if _, err := LoadAll(ix, Loader{Size: 2, Channels: 4}, 1, nil, nil); err == nil {
		t.Error("LoadAll with 4 channels succeeded")
	}
}

// BenchmarkLoadAll decodes 1000 28×28 gray PNGs, MNIST-sized, to 28×28.
func BenchmarkLoadAll(b *testing.B) {
	dir := b.TempDir()
	ix := grayDataSet(b, dir, map[string]int{"a": 250, "b": 250, "c": 250, "d": 250})
	// Replace the solid images with textured ones, closer to real data for
	// the PNG decoder.
	for i, it := range ix.Items {
		img := solidGray(28, 0)
		for j := range img.Pix {
			img.Pix[j] = uint8(j*7 + i)
		}
		writeFile(b, dir, it.Path, pngBytes(b, img))
	}
	l := Loader{Size: 28, Channels: 1}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				if _, err := LoadAll(ix, l, workers, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestEachChunk loads files a bounded chunk at a time: every chunk within
// the byte budget (one image at least), in order, covering every path
// once, with the failures reported in path order across chunks and marked
// in their chunk.
func TestEachChunk(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 7 {
		paths = append(paths, writeFixture(t, dir, "c", fmt.Sprint(i), 6, 6, func(x, y int) color.Color { return color.Gray{uint8(30 * i)} }))
	}
	paths[2], paths[5] = filepath.Join(dir, "missing2.png"), filepath.Join(dir, "missing5.png")
	l := Loader{Size: 4, Channels: 1}
	whole, wholeBad, err := LoadFiles(paths, l, 1, func(string, error) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ maxBytes, chunk int }{{1, 1}, {4 * 16 * 3, 3}, {1 << 20, 7}} {
		var reported []string
		var next int
		var counts []int
		progress := func(done int) { counts = append(counts, done) }
		err := EachChunk(paths, l, tc.maxBytes, func(p string, _ error) error { reported = append(reported, filepath.Base(p)); return nil }, progress,
			func(lo int, data []float32, bad []bool) error {
				if len(counts) == 0 || counts[len(counts)-1] != lo+len(bad) {
					t.Errorf("budget %d: progress %v when the chunk at %d of %d images was handed on", tc.maxBytes, counts, lo, len(bad))
				}
				if lo != next || len(bad) > tc.chunk || len(bad) == 0 || len(data) != len(bad)*l.Len() {
					t.Errorf("budget %d: chunk at %d of %d images, want it at %d with at most %d", tc.maxBytes, lo, len(bad), next, tc.chunk)
				}
				if !slices.Equal(data, whole[lo*l.Len():(lo+len(bad))*l.Len()]) || !slices.Equal(bad, wholeBad[lo:lo+len(bad)]) {
					t.Errorf("budget %d: chunk at %d differs from loading in one piece", tc.maxBytes, lo)
				}
				next = lo + len(bad)
				return nil
			})
		if err != nil || next != len(paths) || !slices.Equal(reported, []string{"missing2.png", "missing5.png"}) {
			t.Errorf("budget %d: %v, covered %d of %d, failures %q", tc.maxBytes, err, next, len(paths), reported)
		}
		// One count an image, failed ones too, rising across chunks.
		if want := []int{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(counts, want) {
			t.Errorf("budget %d: progress %v, want %v", tc.maxBytes, counts, want)
		}
	}
}
