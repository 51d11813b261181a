package dataset

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/disintegration/imaging"
)

// Image converts a decoded image into Channels×Size×Size values in [0, 1]
// exactly as Load converts a file: the same pixel limit, resize filter and
// gray weights, so that an image given in memory and the same image read from
// a PNG file produce the same values.
func (l Loader) Image(img image.Image) ([]float32, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	if err := l.checkImage(img); err != nil {
		return nil, err
	}
	pix := make([]byte, l.Len())
	toPlanes(pix, l.resize(img, false), l.Channels)
	dst := make([]float32, l.Len())
	bytesToFloats(dst, pix)
	return dst, nil
}

func (l Loader) checkImage(img image.Image) error {
	if img == nil {
		return fmt.Errorf("image is nil")
	}
	// A nil pointer in the interface (var g *image.Gray) is not == nil,
	// and its Bounds dereferences it: the same mistake, said the same way.
	if v := reflect.ValueOf(img); v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("image is nil (a nil %T)", img)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return fmt.Errorf("image is empty (%dx%d)", b.Dx(), b.Dy())
	}
	maxPixels := l.MaxPixels
	if maxPixels == 0 {
		maxPixels = DefaultMaxPixels
	}
	if int64(b.Dx())*int64(b.Dy()) > int64(maxPixels) {
		return fmt.Errorf("image is %dx%d, over the %d-pixel limit", b.Dx(), b.Dy(), maxPixels)
	}
	return nil
}

// MemoryClass is one class of an in-memory data set.
type MemoryClass struct {
	Name   string
	Images []image.Image
}

// FromImages indexes a data set held in memory, so that it is split and
// loaded by the same code as a folder. Each image is stored as a PNG of its
// 8-bit NRGBA conversion, the conversion the resize step makes anyway, so
// loading it gives the values Loader.Image gives for the original. name is
// the data set's Root in messages and metadata.
func FromImages(name string, classes []MemoryClass) (*Index, error) {
	if len(classes) == 0 {
		return nil, fmt.Errorf("data set %s: no classes", name)
	}
	sorted := slices.Clone(classes)
	// Folder data sets list classes by name; the split depends on the order.
	slices.SortFunc(sorted, func(a, b MemoryClass) int { return strings.Compare(a.Name, b.Name) })
	files := memFS{}
	ix := &Index{Root: name, FS: files, dir: "."}
	for c, cl := range sorted {
		switch {
		case strings.TrimSpace(cl.Name) == "":
			return nil, fmt.Errorf("data set %s: class %d has an empty name", name, c)
		case c > 0 && cl.Name == sorted[c-1].Name:
			return nil, fmt.Errorf("data set %s: class %q appears twice", name, cl.Name)
		case len(cl.Images) == 0:
			return nil, fmt.Errorf("data set %s: class %q has no images", name, cl.Name)
		}
		ix.Classes = append(ix.Classes, cl.Name)
		for i, img := range cl.Images {
			if err := (Loader{}).checkImage(img); err != nil {
				return nil, fmt.Errorf("data set %s: class %q image %d: %w", name, cl.Name, i, err)
			}
			var buf bytes.Buffer
			enc := png.Encoder{CompressionLevel: png.NoCompression}
			if err := enc.Encode(&buf, imaging.Clone(img)); err != nil {
				return nil, fmt.Errorf("data set %s: class %q image %d: %w", name, cl.Name, i, err)
			}
			// Paths use the class number: a class name may hold characters
			// that are not valid in an fs.FS path.
			p := fmt.Sprintf("%d/%08d.png", c, i)
			files[p] = buf.Bytes()
			ix.Items = append(ix.Items, Item{Path: p, Class: c})
		}
	}
	return ix, nil
}

// memFS is a read-only fs.FS of in-memory files; only Open is needed, since
// FromImages builds the Index itself instead of scanning.
type memFS map[string][]byte

func (m memFS) Open(name string) (fs.File, error) {
	b, ok := m[name]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(b), name: path.Base(name), size: int64(len(b))}, nil
}

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f.name, f.size}, nil }
func (f *memFile) Close() error               { return nil }

var _ io.Seeker = (*memFile)(nil)

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
