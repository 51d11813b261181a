package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// near reports whether got and want agree within tol, element by element.
func near(got, want []float32, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			return false
		}
	}
	return true
}

// bt601 is the gray level of an 8-bit colour, scaled to [0, 1].
func bt601(r, g, b uint8) float32 {
	return float32((0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 255)
}

func TestLoadLayout(t *testing.T) {
	// Pixel (x, y) of a 3×2 image has R = 10x+y, G = 100+x, B = 200+y; at
	// the image's own size nothing is resampled, so values come back exactly.
	px := func(x, y int) color.NRGBA {
		return color.NRGBA{uint8(10*x + y), uint8(100 + x), uint8(200 + y), 255}
	}
	img := rgbImage(3, 3, px)
	fsys := fstest.MapFS{"a.png": {Data: pngBytes(t, img)}}

	rgb, err := Loader{Size: 3, Channels: 3}.Load(fsys, "a.png")
	if err != nil {
		t.Fatal(err)
	}
	gray, err := Loader{Size: 3, Channels: 1}.Load(fsys, "a.png")
	if err != nil {
		t.Fatal(err)
	}
	var wantRGB, wantGray []float32
	for c := range 3 {
		for y := range 3 {
			for x := range 3 {
				p := px(x, y)
				wantRGB = append(wantRGB, float32([]uint8{p.R, p.G, p.B}[c])/255)
				if c == 0 {
					wantGray = append(wantGray, bt601(p.R, p.G, p.B))
				}
			}
		}
	}
	if !near(rgb, wantRGB, 0) {
		t.Errorf("RGB = %v\nwant  %v", rgb, wantRGB)
	}
	// Images are stored a byte a value, so gray is the luma rounded to a level.
	if !near(gray, wantGray, 0.5/255+1e-7) {
		t.Errorf("gray = %v\nwant   %v", gray, wantGray)
	}
	// (10, 20, 30) by hand: 0.299·10 + 0.587·20 + 0.114·30 = 18.15.
	if g := bt601(10, 20, 30); math.Abs(float64(g)-18.15/255) > 1e-7 {
		t.Errorf("bt601(10, 20, 30) = %v, want 18.15/255", g)
	}
}

func TestLoadGrayExact(t *testing.T) {
	// The BT.601 weights sum to 1 only up to rounding, yet every gray level
	// comes back exactly as v/255 (255 as 1, not 0.99999994).
	for i := range 256 {
		v := uint8(i)
		fsys := fstest.MapFS{"g.png": {Data: pngBytes(t, solidGray(2, v))}}
		got, err := Loader{Size: 2, Channels: 1}.Load(fsys, "g.png")
		if err != nil {
			t.Fatal(err)
		}
		want := float32(v) / 255
		for _, g := range got {
			if g != want {
				t.Fatalf("gray %d loaded as %v, want %v", v, g, want)
			}
		}
	}
}

func TestLoadResizeBilinear(t *testing.T) {
	// Rows of 0 0 255 255 resampled to width 2 and 8, height 1 to the same.
	// Each output column v is centred on source x = (v+0.5)·s − 0.5 with
	// s = srcW/dstW, weights 1 − |x−u|/max(s, 1) over columns u, normalised:
	//   to 2: v=0 at 0.5: weights .75 .75 .25 (u = 0..2) → 255·.25/1.75 = 36.4 → 36
	//         v=1 at 2.5: weights .25 .75 .75 (u = 1..3) → 255·1.5/1.75 = 218.6 → 219
	//   to 8: centres −0.25, 0.25, 0.75, …; between columns 1 and 2 (at 1.25,
	//         1.75) the value is 255·.25 = 63.75 → 64 and 255·.75 = 191.25 → 191.
	src := rgbImage(4, 4, func(x, y int) color.NRGBA {
		if x < 2 {
			return color.NRGBA{0, 0, 0, 255}
		}
		return color.NRGBA{255, 255, 255, 255}
	})
	fsys := fstest.MapFS{"r.png": {Data: pngBytes(t, src)}}
	tests := []struct {
		size int
		row  []uint8
	}{
		{2, []uint8{36, 219}},
		{8, []uint8{0, 0, 0, 64, 191, 255, 255, 255}},
	}
	for _, tt := range tests {
		got, err := Loader{Size: tt.size, Channels: 1}.Load(fsys, "r.png")
		if err != nil {
			t.Fatal(err)
		}
		var want []float32
		for range tt.size {
			for _, v := range tt.row {
				want = append(want, float32(v)/255)
			}
		}
		if !near(got, want, 0) {
			t.Errorf("size %d: got %v\nwant %v", tt.size, got, want)
		}
	}
}

func TestLoadFormats(t *testing.T) {
	red := color.NRGBA{255, 0, 0, 255}
	blue := color.NRGBA{0, 0, 255, 255}
	halves := rgbImage(4, 4, func(x, y int) color.NRGBA {
		if x < 2 {
			return red
		}
		return blue
	})
	pal := image.NewPaletted(halves.Rect, color.Palette{red, blue})
	for y := range 4 {
		for x := range 4 {
			pal.Set(x, y, halves.At(x, y))
		}
	}
	var bmpBuf, tiffBuf, gifBuf bytes.Buffer
	if err := bmp.Encode(&bmpBuf, halves); err != nil {
		t.Fatal(err)
	}
	if err := tiff.Encode(&tiffBuf, halves, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	halvesRGB := func(n int) []float32 { // left half red, right half blue, n×n
		out := make([]float32, 3*n*n)
		for y := range n {
			for x := range n {
				if x < n/2 {
					out[y*n+x] = 1
				} else {
					out[2*n*n+y*n+x] = 1
				}
			}
		}
		return out
	}
	solid := func(n int, v ...float32) []float32 {
		out := make([]float32, 0, len(v)*n*n)
		for _, c := range v {
			for range n * n {
				out = append(out, c)
			}
		}
		return out
	}
	tests := []struct {
		name     string
		data     []byte
		channels int
		want     []float32
		tol      float64
	}{
		{"halves.BMP", bmpBuf.Bytes(), 3, halvesRGB(4), 0},
		{"halves.Tiff", tiffBuf.Bytes(), 3, halvesRGB(4), 0},
		{"halves.gif", gifBuf.Bytes(), 3, halvesRGB(4), 0},
		{"palette.png", fixture("palette.png"), 3, halvesRGB(4), 0},
		// Red in gray is 0.299; blue is 0.114 (rounded to a byte level).
		{"palette-gray.png", fixture("palette.png"), 1, []float32{
			.299, .299, .114, .114, .299, .299, .114, .114,
			.299, .299, .114, .114, .299, .299, .114, .114}, 0.5/255 + 1e-7},
		// 16-bit 0x8080 keeps its high byte, 128.
		{"gray16.png", fixture("gray16.png"), 1, solid(4, 128.0/255), 0},
		{"gray16-rgb.png", fixture("gray16.png"), 3, solid(4, 128.0/255, 128.0/255, 128.0/255), 0},
		// Gray 102 at half opacity: alpha is ignored, as PIL's convert does.
		{"graya.png", fixture("graya.png"), 1, solid(4, 102.0/255), 0},
		// CMYK (0, 1, 1, 0) is red; JPEG may be off by a level or two.
		{"cmyk.jpg", fixture("cmyk.jpg"), 3, solid(8, 1, 0, 0), 3.0 / 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{tt.name: {Data: tt.data}}
			n := int(math.Sqrt(float64(len(tt.want) / tt.channels)))
			got, err := Loader{Size: n, Channels: tt.channels}.Load(fsys, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, tt.want, tt.tol) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestLoadEXIFOrientation(t *testing.T) {
	// testdata/exif6.jpg is stored 16 wide and 8 tall, white above black,
	// with orientation 6: upright it is 8 wide and 16 tall, black on the
	// left and white on the right. At 4×4 each column covers 2 upright
	// columns, so column 0 is all black and column 3 all white.
	data, err := os.ReadFile(filepath.Join("testdata", "exif6.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Loader{Size: 4, Channels: 1}.Load(fstest.MapFS{"e.jpg": {Data: data}}, "e.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for y := range 4 {
		if left, right := got[y*4], got[y*4+3]; left > 0.05 || right < 0.95 {
			t.Errorf("row %d: left %v right %v, want black then white (orientation not applied?)\n%v", y, left, right, got)
		}
	}
}

// pngHeaderOnly is a PNG signature and IHDR chunk claiming w×h 8-bit gray,
// with no pixel data.
func pngHeaderOnly(w, h uint32) []byte {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	binary.Write(&ihdr, binary.BigEndian, [2]uint32{w, h})
	ihdr.Write([]byte{8, 0, 0, 0, 0}) // depth 8, gray, deflate, no filter, no interlace
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(ihdr.Len()-4))
	b.Write(ihdr.Bytes())
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	return b.Bytes()
}

func TestLoadErrors(t *testing.T) {
	good := pngBytes(t, solidGray(4, 50))
	fsys := fstest.MapFS{
		"empty.png":     {Data: nil},
		"truncated.png": {Data: good[:len(good)/2]},
		"header.png":    {Data: good[:20]},
		"text.jpg":      {Data: []byte("this is not a picture")},
		"notes.webp":    {Data: []byte("this is not a picture")},
		"noext":         {Data: []byte("this is not a picture")},
		"photo.webp":    {Data: []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00")},
		"photo.png":     {Data: []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00")},
		"logo.svg":      {Data: []byte("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>")},
		"phone.heic":    {Data: []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")},
		"phone.avif":    {Data: []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf")},
		"scan.pdf":      {Data: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")},
		"huge.png":      {Data: pngHeaderOnly(100000, 100000)},
		"good.png":      {Data: good},
		"rle.bmp":       {Data: bmpHeader(8, 1)},
		"16bit.bmp":     {Data: bmpHeader(16, 0)},
		"jpeg.tif":      {Data: grayTIFF(7)},
	}
	tests := []struct {
		file      string
		maxPixels int
		want      string
	}{
		{"empty.png", 0, "empty.png: not a valid image: empty file"},
		{"truncated.png", 0, "truncated.png: not a valid image: "},
		{"header.png", 0, "header.png: not a valid image: file is truncated"},
		{"text.jpg", 0, "text.jpg: not a valid image: unknown format (siamese reads PNG, JPEG, GIF, BMP and TIFF)"},
		{"notes.webp", 0, "notes.webp: not a valid image: unsupported format .webp (siamese reads PNG, JPEG, GIF, BMP and TIFF)"},
		{"noext", 0, "noext: not a valid image: unsupported format without an extension"},
		{"photo.webp", 0, "photo.webp: not a valid image: unsupported format WebP"},
		{"photo.png", 0, "photo.png: not a valid image: unsupported format WebP"},
		{"logo.svg", 0, "logo.svg: not a valid image: unsupported format SVG"},
		{"phone.heic", 0, "phone.heic: not a valid image: unsupported format HEIF (HEIC)"},
		{"phone.avif", 0, "phone.avif: not a valid image: unsupported format AVIF"},
		{"scan.pdf", 0, "scan.pdf: not a valid image: unsupported format PDF"},
		{"huge.png", 0, "huge.png: image is 100000x100000, over the 50000000-pixel limit (--max-pixels)"},
		{"good.png", 15, "good.png: image is 4x4, over the 15-pixel limit (--max-pixels)"},
		{"missing.png", 0, "missing.png: file does not exist"},
		{"rle.bmp", 0, "rle.bmp: a BMP that siamese cannot read: compressed (RLE) and 16-bit BMPs are not read (convert it to PNG)"},
		{"16bit.bmp", 0, "16bit.bmp: a BMP that siamese cannot read"},
		{"jpeg.tif", 0, "jpeg.tif: a TIFF that siamese cannot read: JPEG-compressed TIFF (convert it to PNG)"},
	}
	for _, tt := range tests {
		_, err := Loader{Size: 2, Channels: 1, MaxPixels: tt.maxPixels}.Load(fsys, tt.file)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load(%s) error = %v, want one line starting %q", tt.file, err, tt.want)
		}
	}
	// A file that opens but cannot be read, as on a failing disk.
	eio := errors.New("input/output error")
	_, err := Loader{Size: 2, Channels: 1}.Load(failingFS{fsys, eio}, "good.png")
	if !errors.Is(err, eio) || err.Error() != "good.png: cannot read: input/output error" {
		t.Errorf("unreadable file: error %v, want %q", err, "good.png: cannot read: input/output error")
	}
	if _, err := (Loader{Size: 2, Channels: 1, MaxPixels: 16}).Load(fsys, "good.png"); err != nil {
		t.Errorf("4×4 image at a 16-pixel limit: %v", err)
	}
	if _, err := (Loader{Size: 2, Channels: 1}).Load(fsys, "missing.png"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file error %v does not wrap fs.ErrNotExist", err)
	}

	for _, l := range []Loader{
		{Size: 0, Channels: 1},
		{Size: 4, Channels: 2},
		{Size: 4, Channels: 1, MaxPixels: -1},
	} {
		if _, err := l.Load(fsys, "good.png"); err == nil {
			t.Errorf("Loader%+v loaded an image", l)
		}
	}
}

// failingFS opens files whose every Read fails with err.
type failingFS struct {
	fs.FS
	err error
}

type failingFile struct {
	fs.File
	err error
}

func (f failingFS) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return failingFile{file, f.err}, nil
}
func (f failingFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: "x", Err: f.err}
}

// noSeekFS hides io.Seeker, as a network or archive file system might.
type noSeekFS struct{ fs.FS }

type noSeekFile struct{ f fs.File }

func (n noSeekFS) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return noSeekFile{f}, nil
}
func (f noSeekFile) Read(p []byte) (int, error) { return f.f.Read(p) }
func (f noSeekFile) Close() error               { return f.f.Close() }
func (f noSeekFile) Stat() (fs.FileInfo, error) { return f.f.Stat() }

func TestLoadWithoutSeek(t *testing.T) {
	img := rgbImage(3, 3, func(x, y int) color.NRGBA { return color.NRGBA{uint8(20 * x), uint8(30 * y), 7, 255} })
	fsys := fstest.MapFS{"a.png": {Data: pngBytes(t, img)}}
	want, err := Loader{Size: 3, Channels: 3}.Load(fsys, "a.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := io.Reader(noSeekFile{}).(io.Seeker); ok {
		t.Fatal("noSeekFile seeks")
	}
	got, err := Loader{Size: 3, Channels: 3}.Load(noSeekFS{fsys}, "a.png")
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, want, 0) {
		t.Errorf("without Seek got %v, want %v", got, want)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "x.png", pngBytes(t, solidGray(3, 51)))
	got, err := Loader{Size: 2, Channels: 1}.LoadFile(filepath.Join(dir, "x.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, []float32{.2, .2, .2, .2}, 0) {
		t.Errorf("LoadFile = %v, want four 0.2", got)
	}
	_, err = Loader{Size: 2, Channels: 1}.LoadFile(filepath.Join(dir, "nope.png"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "nope.png")) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) error = %v", err)
	}
}

// bmpHeader is the start of a 4×4 BMP of bpp bits a pixel stored with
// compression (0 none, 1 RLE8): enough for a decoder to refuse it.
func bmpHeader(bpp, compression int) []byte {
	b := []byte("BM")
	b = binary.LittleEndian.AppendUint32(b, 54+1024+16)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 54+1024)
	for _, v := range []uint32{40, 4, 4} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, uint16(bpp))
	for _, v := range []uint32{uint32(compression), 16, 2835, 2835, 0, 0} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return append(b, make([]byte, 1024+16)...)
}

// grayTIFF is a 4×4 8-bit gray TIFF whose one strip says it is stored
// with compression (7: JPEG).
func grayTIFF(compression uint16) []byte {
	type entry struct {
		tag, typ uint16 // typ 3: SHORT, 4: LONG
		val      uint32
	}
	const n = 9
	data := uint32(8 + 2 + n*12 + 4) // the strip, after the one IFD
	entries := [n]entry{{256, 3, 4}, {257, 3, 4}, {258, 3, 8}, {259, 3, uint32(compression)}, {262, 3, 1},
		{273, 4, data}, {277, 3, 1}, {278, 3, 4}, {279, 4, 16}}
	b := []byte("II*\x00")
	b = binary.LittleEndian.AppendUint32(b, 8)
	b = binary.LittleEndian.AppendUint16(b, n)
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.typ)
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, e.val)
	}
	b = binary.LittleEndian.AppendUint32(b, 0)
	return append(b, make([]byte, 16)...)
}
