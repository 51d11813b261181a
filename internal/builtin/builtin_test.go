package builtin_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/siamese-dev/siamese/internal/builtin"
	"github.com/siamese-dev/siamese/internal/dataset"
)

var classes = []string{"Ankle_boot", "Bag", "Coat", "Dress", "Pullover", "Sandal", "Shirt", "Sneaker", "T-shirt_top", "Trouser"}

// labelOf maps a class folder to its Fashion-MNIST label.
var labelOf = map[string]byte{
	"T-shirt_top": 0, "Trouser": 1, "Pullover": 2, "Dress": 3, "Coat": 4,
	"Sandal": 5, "Shirt": 6, "Sneaker": 7, "Bag": 8, "Ankle_boot": 9,
}

func TestFashion(t *testing.T) {
	fsys, root := builtin.Fashion()
	ix, err := dataset.ScanFS(fsys, root)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ix.Classes, classes) {
		t.Errorf("classes %q, want %q", ix.Classes, classes)
	}
	for c, n := range ix.ClassCounts() {
		if n != 200 {
			t.Errorf("class %s has %d images, want 200", ix.Classes[c], n)
		}
	}
	im, err := dataset.LoadAll(ix, dataset.Loader{Size: 28, Channels: 1}, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if im.Len() != 2000 {
		t.Fatalf("loaded %d images, want 2000", im.Len())
	}
	// Real clothing photos: neither blank nor saturated.
	for i := range im.Len() {
		var sum float64
		for _, v := range im.Image(i) {
			sum += float64(v)
		}
		if mean := sum / (28 * 28); mean < 0.01 || mean > 0.95 {
			t.Errorf("%s: mean brightness %.3f", im.Paths[i], mean)
		}
	}
}

// TestFashionMatchesSource checks the embedded images against the Debian
// package's training files, where they are installed.
func TestFashionMatchesSource(t *testing.T) {
	src := "/usr/share/datasets/fashion-mnist"
	images, labels := filepath.Join(src, "train-images-idx3-ubyte.gz"), filepath.Join(src, "train-labels-idx1-ubyte.gz")
	if _, err := os.Stat(images); err != nil {
		t.Skipf("dataset-fashion-mnist not installed: %v", err)
	}
	n, rows, cols, pix, err := dataset.ReadIDXImages(images)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := dataset.ReadIDXLabels(labels)
	if err != nil {
		t.Fatal(err)
	}
	fsys, root := builtin.Fashion()
	ix, err := dataset.ScanFS(fsys, root)
	if err != nil {
		t.Fatal(err)
	}
	// The k-th image of a class is the k-th image with that label in the file.
	l := dataset.Loader{Size: rows, Channels: 1}
	next := map[byte]int{}
	for _, it := range ix.Items {
		want := labelOf[ix.Classes[it.Class]]
		for next[want] < n && lab[next[want]] != want {
			next[want]++
		}
		k := next[want]
		next[want]++
		got, err := l.Load(fsys, it.Path)
		if err != nil {
			t.Fatal(err)
		}
		src := pix[k*rows*cols : (k+1)*rows*cols]
		b := make([]byte, len(got))
		for i, v := range got {
			b[i] = byte(v*255 + 0.5)
		}
		if !bytes.Equal(b, src) {
			t.Fatalf("%s differs from training image %d", it.Path, k)
		}
	}
}
