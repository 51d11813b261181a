package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"

	// imaging registers these too; importing them here keeps .bmp and .tif
	// readable even if imaging stops doing so.
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// DefaultMaxPixels is the largest image, in pixels, a Loader decodes when its
// MaxPixels is 0: about 200 MB of RGBA, more than any camera photo.
const DefaultMaxPixels = 50_000_000

// Loader decodes image files into network input (see the package
// documentation for the exact conversion).
type Loader struct {
	Size      int // width and height of the output, in pixels
	Channels  int // 1 for gray, 3 for RGB
	MaxPixels int // largest accepted width·height; 0 means DefaultMaxPixels
	// Resize is how a picture becomes Size×Size: ResizeSquash (or ""),
	// ResizeCrop or ResizePad; see resize.
	Resize string
	// Cache, when set, keeps decoded images between runs (LoadAll only).
	Cache *Cache
}

// Len returns the number of values in one loaded image: Channels·Size·Size.
func (l Loader) Len() int { return l.Channels * l.Size * l.Size }

func (l Loader) check() error {
	if l.Size <= 0 {
		return fmt.Errorf("image loader: size %d must be positive", l.Size)
	}
	if l.Channels != 1 && l.Channels != 3 {
		return fmt.Errorf("image loader: %d channels; must be 1 (gray) or 3 (RGB)", l.Channels)
	}
	if !validResize(l.Resize) {
		return fmt.Errorf("image loader: unknown resize mode %q (valid: %s, %s, %s)", l.Resize, ResizeSquash, ResizeCrop, ResizePad)
	}
	if l.MaxPixels < 0 {
		return fmt.Errorf("image loader: --max-pixels %d must not be negative (0 means %d)", l.MaxPixels, DefaultMaxPixels)
	}
	return nil
}

// Load decodes file name of fsys into Channels×Size×Size values in [0, 1].
func (l Loader) Load(fsys fs.FS, name string) ([]float32, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	pix := make([]byte, l.Len())
	open := func() (io.ReadCloser, error) { return fsys.Open(name) }
	if err := l.loadInto(pix, open, name); err != nil {
		return nil, err
	}
	dst := make([]float32, l.Len())
	bytesToFloats(dst, pix)
	return dst, nil
}

// LoadFile decodes the file at operating-system path name into
// Channels×Size×Size values in [0, 1].
func (l Loader) LoadFile(name string) ([]float32, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	pix := make([]byte, l.Len())
	open := func() (io.ReadCloser, error) { return os.Open(name) }
	if err := l.loadInto(pix, open, name); err != nil {
		return nil, err
	}
	dst := make([]float32, l.Len())
	bytesToFloats(dst, pix)
	return dst, nil
}

// loadInto decodes the file that open opens into dst, len(dst) == l.Len(),
// one byte a value; display names the file in errors. open is called twice
// when the file cannot seek: once for the header, once for the pixels.
func (l Loader) loadInto(dst []byte, open func() (io.ReadCloser, error), display string) (err error) {
	// Decoders for rarely used formats have panicked on malformed input in
	// the past; one bad file must not take down a long training run.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: not a valid image: decoder panicked: %v", display, p)
		}
	}()

	f, err := open()
	if err != nil {
		return openError(display, err)
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	if of, ok := f.(*os.File); ok {
		// A pipe (a shell's <(command), /dev/stdin) is read once, so it
		// is kept in memory to be read twice: header, then pixels.
		if st, err := of.Stat(); err == nil && !st.Mode().IsRegular() {
			b, err := l.readStream(of, display)
			of.Close()
			f = nil
			if err != nil {
				return err
			}
			f = inMemory{bytes.NewReader(b)}
		}
	}

	br := bufio.NewReaderSize(f, sniffLen)
	// Peek first: image.DecodeConfig reports a read error as "unknown
	// format", which would send the user looking at the wrong problem.
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return readError(display, err)
	}
	if len(head) == 0 {
		return fmt.Errorf("%s: not a valid image: empty file", display)
	}
	cfg, _, err := image.DecodeConfig(br)
	if err != nil {
		return decodeError(display, head, err)
	}
	maxPixels := l.maxPixels()
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("%s: not a valid image: size %dx%d", display, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return fmt.Errorf("%s: image is %dx%d, over the %d-pixel limit (--max-pixels)", display, cfg.Width, cfg.Height, maxPixels)
	}

	if s, ok := f.(io.Seeker); ok {
		if _, err := s.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("%s: rewind: %w", display, err)
		}
	} else {
		f.Close()
		if f, err = open(); err != nil {
			return openError(display, err)
		}
	}
	img, err := imaging.Decode(bufio.NewReader(f), imaging.AutoOrientation(true))
	if err != nil {
		return decodeError(display, head, err)
	}
	b := img.Bounds()
	if int64(b.Dx())*int64(b.Dy()) > int64(maxPixels) {
		// The header and the pixel data disagree; trust neither.
		return fmt.Errorf("%s: image is %dx%d, over the %d-pixel limit (--max-pixels)", display, b.Dx(), b.Dy(), maxPixels)
	}
	toPlanes(dst, l.resize(img, true), l.Channels)
	return nil
}

// maxStreamBytes bounds what is read from a file that is not a regular
// one (a pipe) to be decoded from memory: far above an image of the
// default pixel limit in any format siamese reads.
const maxStreamBytes = 1 << 30

// readStream reads a file that cannot seek (a pipe, a device) whole, but
// only once its start is an image's header within the pixel limit: what
// is not an image (/dev/zero, gigabytes of noise) is refused from its
// first bytes, as a regular file is.
func (l Loader) readStream(r io.Reader, display string) ([]byte, error) {
	head := make([]byte, streamHead)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, readError(display, err)
	}
	head = head[:n]
	// A header longer than streamHead (a JPEG's large EXIF block) is
	// cut off, not foreign: only a format error refuses the stream here.
	switch cfg, _, err := image.DecodeConfig(bytes.NewReader(head)); {
	case errors.Is(err, image.ErrFormat):
		if n == 0 {
			return nil, fmt.Errorf("%s: not a valid image: empty file", display)
		}
		return nil, decodeError(display, head, err)
	case err == nil && int64(cfg.Width)*int64(cfg.Height) > int64(l.maxPixels()):
		return nil, fmt.Errorf("%s: image is %dx%d, over the %d-pixel limit (--max-pixels)", display, cfg.Width, cfg.Height, l.maxPixels())
	}
	rest, err := io.ReadAll(io.LimitReader(r, int64(maxStreamBytes-n)+1))
	switch {
	case err != nil:
		return nil, readError(display, err)
	case n+len(rest) > maxStreamBytes:
		return nil, fmt.Errorf("%s: not a regular file and over %d bytes: too large to read from a pipe", display, maxStreamBytes)
	}
	return append(head, rest...), nil
}

// streamHead is how much of a pipe is read before its header is checked.
const streamHead = 64 << 10

func (l Loader) maxPixels() int {
	if l.MaxPixels == 0 {
		return DefaultMaxPixels
	}
	return l.MaxPixels
}

// inMemory is the contents of a pipe, read whole.
type inMemory struct{ *bytes.Reader }

func (inMemory) Close() error { return nil }

// openError names the file by its display path rather than the path inside
// the file system, which may lack the data set root.
func openError(display string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", display, err)
}

// sniffLen is how much of a file is looked at before decoding: enough for
// every signature in foreignFormats, including an SVG's XML prologue.
const sniffLen = 512

// readError reports a file that opened but could not be read, such as one
// on a failing disk.
func readError(display string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: cannot read: %w", display, err)
}

// decodeError turns a decoder's error into one that says what is wrong
// with the file: a known format we do not read, a truncated file, or bytes
// that are no image at all.
func decodeError(display string, head []byte, err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		if name := foreignFormat(head); name != "" {
			return fmt.Errorf("%s: not a valid image: unsupported format %s (siamese reads %s)", display, name, readableFormats)
		}
		if !IsImageName(display) {
			ext := path.Ext(filepath.ToSlash(display))
			if ext == "" {
				ext = "without an extension"
			}
			return fmt.Errorf("%s: not a valid image: unsupported format %s (siamese reads %s)", display, ext, readableFormats)
		}
		return fmt.Errorf("%s: not a valid image: unknown format (siamese reads %s)", display, readableFormats)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%s: not a valid image: file is truncated", display)
	case errors.Is(err, bmp.ErrUnsupported):
		// The decoder does not say which feature; these are the ones met.
		return fmt.Errorf("%s: a BMP that siamese cannot read: compressed (RLE) and 16-bit BMPs are not read (convert it to PNG)", display)
	}
	if u, ok := errors.AsType[tiff.UnsupportedError](err); ok {
		what := string(u)
		switch {
		case strings.HasPrefix(what, "compression value 7"):
			what = "JPEG-compressed TIFF"
		case what == "color model":
			what = "its colour model (CMYK and YCbCr TIFFs are not read)"
		case what == "sample format":
			what = "floating-point samples"
		}
		return fmt.Errorf("%s: a TIFF that siamese cannot read: %s (convert it to PNG)", display, what)
	}
	return fmt.Errorf("%s: not a valid image: %w", display, err)
}

const readableFormats = "PNG, JPEG, GIF, BMP and TIFF"

// foreignFormats are image formats people often have but no decoder here
// reads, recognised by their signatures so the error can name them.
var foreignFormats = []struct {
	name  string
	match func(head []byte) bool
}{
	{"WebP", func(h []byte) bool { return len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP" }},
	{"HEIF (HEIC)", func(h []byte) bool {
		return isoBrand(h, "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1")
	}},
	{"AVIF", func(h []byte) bool { return isoBrand(h, "avif", "avis") }},
	{"JPEG XL", func(h []byte) bool {
		return bytes.HasPrefix(h, []byte{0xff, 0x0a}) || bytes.HasPrefix(h, []byte("\x00\x00\x00\x0cJXL \r\n\x87\n"))
	}},
	{"SVG", func(h []byte) bool { return bytes.Contains(bytes.ToLower(h), []byte("<svg")) }},
	{"PDF", func(h []byte) bool { return bytes.HasPrefix(h, []byte("%PDF-")) }},
	{"Photoshop PSD", func(h []byte) bool { return bytes.HasPrefix(h, []byte("8BPS")) }},
}

// isoBrand reports whether h starts an ISO base media file (an "ftyp" box)
// whose major brand is one of brands.
func isoBrand(h []byte, brands ...string) bool {
	if len(h) < 12 || string(h[4:8]) != "ftyp" {
		return false
	}
	for _, b := range brands {
		if string(h[8:12]) == b {
			return true
		}
	}
	return false
}

func foreignFormat(head []byte) string {
	for _, f := range foreignFormats {
		if f.match(head) {
			return f.name
		}
	}
	return ""
}

// toPlanes writes the pixels of img, which is n×n, into dst as channels
// planes of n·n bytes. Gray is the rounded Rec. 601 luma, so a gray file
// and its RGB copy give the same bytes.
func toPlanes(dst []byte, img *image.NRGBA, channels int) {
	n := img.Rect.Dx()
	plane := n * img.Rect.Dy()
	for y := 0; y < img.Rect.Dy(); y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < n; x++ {
			r, g, b := row[4*x], row[4*x+1], row[4*x+2]
			i := y*n + x
			if channels == 3 {
				dst[i], dst[plane+i], dst[2*plane+i] = r, g, b
				continue
			}
			dst[i] = uint8(0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b) + 0.5)
		}
	}
}
