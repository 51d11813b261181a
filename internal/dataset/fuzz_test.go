package dataset

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// The fuzz targets feed arbitrary bytes to the decoders. Their property is
// the one the CLI promises: any file gives either valid network input or
// a one-line error naming the file, without a panic and without allocating
// more than the limits allow. Seeds are the fixtures in testdata plus small
// images of every format encoded here; testdata/fuzz/<Target> keeps the
// corpus, including any input that once failed.

// fuzzMaxPixels keeps the images the fuzzer invents small, so that it
// explores headers and pixel data rather than spending its time resizing.
const fuzzMaxPixels = 1 << 16

func FuzzLoadImage(f *testing.F) {
	for _, name := range []string{"cmyk.jpg", "exif6.jpg", "gray16.png", "graya.png", "palette.png"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(37 * i)
	}
	encoders := []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return png.Encode(b, img) },
		func(b *bytes.Buffer) error { return jpeg.Encode(b, img, nil) },
		func(b *bytes.Buffer) error { return gif.Encode(b, img, nil) },
		func(b *bytes.Buffer) error { return bmp.Encode(b, img) },
		func(b *bytes.Buffer) error { return tiff.Encode(b, img, &tiff.Options{Compression: tiff.Deflate}) },
		func(b *bytes.Buffer) error { return png.Encode(b, image.NewGray16(image.Rect(0, 0, 2, 2))) },
		func(b *bytes.Buffer) error {
			return gif.Encode(b, image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.Black, color.White}), nil)
		},
	}
	for _, enc := range encoders {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, channels := range []int{1, 3} {
			l := Loader{Size: 5, Channels: channels, MaxPixels: fuzzMaxPixels}
			x, err := l.Load(fstest.MapFS{"in.png": {Data: data}}, "in.png")
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, "in.png: ") || strings.Contains(msg, "\n") {
					t.Fatalf("error %q is not one line naming the file", msg)
				}
				continue
			}
			if len(x) != l.Len() {
				t.Fatalf("%d values, want %d", len(x), l.Len())
			}
			for i, v := range x {
				if !(v >= 0 && v <= 1) || math.IsNaN(float64(v)) {
					t.Fatalf("value %d is %v, outside [0, 1]", i, v)
				}
			}
		}
	})
}

func FuzzReadIDX(f *testing.F) {
	for _, name := range []string{"three-images-idx3-ubyte.gz", "three-labels-idx1-ubyte.gz"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(idxBytes(idxImagesMagic, []uint32{3, 2, 3}, threePix()))
	f.Add(idxBytes(idxLabelsMagic, []uint32{3}, []byte{2, 0, 2}))
	f.Add(idxBytes(idxImagesMagic, []uint32{1 << 30, 4096, 4096}, nil))
	f.Add(gzipBytes(f, idxBytes(idxImagesMagic, []uint32{2, 1, 1}, []byte{7})))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "in.idx"
		n, rows, cols, pix, err := decodeIDXImages(bytes.NewReader(data), path)
		if err != nil {
			checkIDXError(t, err)
		} else {
			if rows < 1 || cols < 1 || rows > maxIDXSide || cols > maxIDXSide || n < 0 {
				t.Fatalf("accepted %d images of %dx%d", n, rows, cols)
			}
			if len(pix) != n*rows*cols {
				t.Fatalf("%d pixel bytes for %d images of %dx%d", len(pix), n, rows, cols)
			}
		}
		labels, err := decodeIDXLabels(bytes.NewReader(data), path)
		if err != nil {
			checkIDXError(t, err)
			return
		}
		// The header's count, big-endian after the magic, is what came back.
		if len(data) >= 8 && data[0] != 0x1f {
			if want := int(uint32(data[4])<<24 | uint32(data[5])<<16 | uint32(data[6])<<8 | uint32(data[7])); len(labels) != want {
				t.Fatalf("%d labels, header says %d", len(labels), want)
			}
		}
	})
}

func checkIDXError(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); !strings.HasPrefix(msg, "idx file in.idx: ") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q is not one line naming the file", msg)
	}
}
