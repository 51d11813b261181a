package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// idxBytes builds an IDX file: magic, dimensions, payload.
func idxBytes(magic uint32, dims []uint32, payload []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, dims)
	b.Write(payload)
	return b.Bytes()
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// threePix is the pixel data of testdata/three-images-idx3-ubyte.gz:
// 3 images of 2×3, pixel (k, r, c) = 100k + 10r + c.
func threePix() []byte {
	var p []byte
	for k := range 3 {
		for r := range 2 {
			for c := range 3 {
				p = append(p, byte(100*k+10*r+c))
			}
		}
	}
	return p
}

func TestReadIDX(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw-images")
	rawLabels := filepath.Join(dir, "raw-labels")
	writeFile(t, dir, "raw-images", idxBytes(idxImagesMagic, []uint32{3, 2, 3}, threePix()))
	writeFile(t, dir, "raw-labels", idxBytes(idxLabelsMagic, []uint32{3}, []byte{2, 0, 2}))
	tests := []struct{ name, images, labels string }{
		{"gzip", "testdata/three-images-idx3-ubyte.gz", "testdata/three-labels-idx1-ubyte.gz"},
		{"raw", raw, rawLabels},
	}
	for _, tt := range tests {
		n, rows, cols, pix, err := ReadIDXImages(tt.images)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 || rows != 2 || cols != 3 || !bytes.Equal(pix, threePix()) {
			t.Errorf("%s: ReadIDXImages = %d, %d, %d, %v; want 3, 2, 3, %v", tt.name, n, rows, cols, pix, threePix())
		}
		labels, err := ReadIDXLabels(tt.labels)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(labels, []byte{2, 0, 2}) {
			t.Errorf("%s: ReadIDXLabels = %v, want [2 0 2]", tt.name, labels)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"empty":        nil,
		"short-head":   {0, 0, 8, 3, 0, 0},
		"labels":       idxBytes(idxLabelsMagic, []uint32{3}, []byte{1, 2, 3}),
		"text":         []byte("hello, world, not idx"),
		"truncated":    idxBytes(idxImagesMagic, []uint32{3, 2, 3}, threePix()[:10]),
		"truncated.gz": gzipBytes(t, idxBytes(idxImagesMagic, []uint32{3, 2, 3}, threePix()[:17])),
		"tall":         idxBytes(idxImagesMagic, []uint32{1, 5000, 2}, nil),
		"zero-wide":    idxBytes(idxImagesMagic, []uint32{1, 2, 0}, nil),
		"too-many":     idxBytes(idxImagesMagic, []uint32{200000, 4096, 4096}, nil),
		"bad-gzip":     {0x1f, 0x8b, 0, 0, 0},
	}
	for name, data := range files {
		writeFile(t, dir, name, data)
	}
	tests := []struct{ file, want string }{
		{"missing", "missing: no such file or directory"},
		{"empty", "empty: empty file"},
		{"short-head", "short-head: reading header: file is truncated"},
		{"labels", "labels: magic number 0x00000801 (byte labels); expected 0x00000803 (byte images)"},
		{"text", "text: magic number 0x68656c6c (not an IDX file of images or labels)"},
		{"truncated", "truncated: header says 3 images of 2x3 (18 bytes): file is truncated after 10 bytes"},
		{"truncated.gz", "truncated.gz: header says 3 images of 2x3 (18 bytes): file is truncated after 17 bytes"},
		{"tall", "tall: images are 5000x2; each side must be 1 to 4096"},
		{"zero-wide", "zero-wide: images are 2x0"},
		{"too-many", "too-many: header says 200000 images of 4096x4096, over the 2147483648-byte limit"},
		{"bad-gzip", "bad-gzip: bad gzip stream: file is truncated"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.file)
		_, _, _, _, err := ReadIDXImages(path)
		if err == nil || !strings.HasPrefix(err.Error(), "idx file "+filepath.Join(dir, tt.want)) {
			t.Errorf("ReadIDXImages(%s) error = %v\nwant prefix idx file %s", tt.file, err, filepath.Join(dir, tt.want))
		}
	}
	_, _, _, _, err := ReadIDXImages(filepath.Join(dir, "truncated"))
	if !errors.Is(err, errTruncated) {
		t.Errorf("truncated file error %v does not wrap errTruncated", err)
	}
	if _, err := ReadIDXLabels(filepath.Join(dir, "truncated")); err == nil || !strings.Contains(err.Error(), "expected 0x00000801 (byte labels)") {
		t.Errorf("ReadIDXLabels(image file) error = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing exists")
	}
}

func TestReadIDXLyingHeader(t *testing.T) {
	// A header promising 2 GiB in a tiny file must fail without first
	// allocating the 2 GiB.
	dir := t.TempDir()
	writeFile(t, dir, "liar", idxBytes(idxImagesMagic, []uint32{32768, 256, 256}, make([]byte, 100)))
	writeFile(t, dir, "liar-labels", idxBytes(idxLabelsMagic, []uint32{1 << 31}, make([]byte, 100)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, _, _, errImages := ReadIDXImages(filepath.Join(dir, "liar"))
	_, errLabels := ReadIDXLabels(filepath.Join(dir, "liar-labels"))
	runtime.ReadMemStats(&after)
	for _, err := range []error{errImages, errLabels} {
		if !errors.Is(err, errTruncated) {
			t.Errorf("error %v, want truncated", err)
		}
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("reading two lying 100-byte files allocated %d bytes", grew)
	}
}

func TestReadIDXPayloadGrows(t *testing.T) {
	// Larger than the first 1 MiB buffer, so the buffer must grow.
	want := make([]byte, 3<<20+5)
	for i := range want {
		want[i] = byte(i * 31)
	}
	got, err := readIDXPayload(bytes.NewReader(want), int64(len(want)))
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("readIDXPayload: %d bytes, err %v; want %d bytes back", len(got), err, len(want))
	}
}
