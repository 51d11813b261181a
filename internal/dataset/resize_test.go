package dataset

import (
	"bytes"
	"image"
	"image/color"
	"reflect"
	"runtime"
	"testing"
)

// TestResizeModes pixel-checks the three modes on an 8×4 picture whose left
// half is red and right half blue, made 4×4.
func TestResizeModes(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 8, 4))
	red, blue := color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 255}
	for y := range 4 {
		for x := range 8 {
			if x < 4 {
				src.SetNRGBA(x, y, red)
			} else {
				src.SetNRGBA(x, y, blue)
			}
		}
	}
	// Each mode: the expected 4×4 as rows of r (red), b (blue), p (pad: the
	// mean border colour, half red half blue), or ? (a blend, not checked).
	tests := []struct {
		mode string
		want [4]string
	}{
		// Squash halves the width: two red columns, two blue, every row.
		{"", [4]string{"r??b", "r??b", "r??b", "r??b"}},
		{ResizeSquash, [4]string{"r??b", "r??b", "r??b", "r??b"}},
		// Crop keeps the height and the middle 4 columns: x 2..5 of the source.
		{ResizeCrop, [4]string{"rrbb", "rrbb", "rrbb", "rrbb"}},
		// Pad scales to 4×2 and centres it: rows 0 and 3 are padding.
		{ResizePad, [4]string{"pppp", "r??b", "r??b", "pppp"}},
	}
	pad := color.NRGBA{128, 0, 128, 255}
	near := func(a, b color.NRGBA) bool {
		d := func(x, y uint8) int { return max(int(x)-int(y), int(y)-int(x)) }
		return d(a.R, b.R) <= 1 && d(a.G, b.G) <= 1 && d(a.B, b.B) <= 1 && d(a.A, b.A) <= 1
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			out := Loader{Size: 4, Channels: 3, Resize: tt.mode}.resize(src, false)
			if out.Rect.Dx() != 4 || out.Rect.Dy() != 4 {
				t.Fatalf("size %v, want 4x4", out.Rect)
			}
			for y, row := range tt.want {
				for x, c := range row {
					got := out.NRGBAAt(x, y)
					var want color.NRGBA
					switch c {
					case 'r':
						want = red
					case 'b':
						want = blue
					case 'p':
						want = pad
					default:
						continue
					}
					if !near(got, want) {
						t.Errorf("pixel (%d,%d) = %v, want %c %v", x, y, got, c, want)
					}
				}
			}
		})
	}
}

// TestResizeLoadedBytes checks a mode reaches the stored bytes through
// Loader.Image: crop of the picture above, red plane then blue plane.
func TestResizeLoadedBytes(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for x := range 4 {
		for y := range 2 {
			src.SetNRGBA(x, y, color.NRGBA{uint8(60 * x), 0, 0, 255})
		}
	}
	got, err := Loader{Size: 2, Channels: 3, Resize: ResizeCrop}.Image(src)
	if err != nil {
		t.Fatal(err)
	}
	// Shorter side already 2: the centre columns 1 and 2, untouched.
	want := []float32{60.0 / 255, 120.0 / 255, 60.0 / 255, 120.0 / 255, 0, 0, 0, 0, 0, 0, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("crop = %v, want %v", got, want)
		}
	}
	if _, err := (Loader{Size: 2, Channels: 3, Resize: "stretch"}).Image(src); err == nil {
		t.Error("no error for an unknown resize mode")
	}
}

// TestResizeDropsAlpha checks that a transparent pixel keeps its stored
// colour whether or not the picture is resized: an 8×8 picture of white
// transparent background around an opaque red 4×4 square, and its copy
// at twice the size, both made 8×8.
func TestResizeDropsAlpha(t *testing.T) {
	picture := func(scale int) *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, 8*scale, 8*scale))
		for y := range 8 * scale {
			for x := range 8 * scale {
				c := color.NRGBA{255, 255, 255, 0}
				if x/scale >= 2 && x/scale < 6 && y/scale >= 2 && y/scale < 6 {
					c = color.NRGBA{255, 0, 0, 255}
				}
				img.SetNRGBA(x, y, c)
			}
		}
		return img
	}
	for _, mode := range ResizeModes() {
		l := Loader{Size: 8, Channels: 3, Resize: mode}
		same, err := l.Image(picture(1))
		if err != nil {
			t.Fatal(err)
		}
		double, err := l.Image(picture(2))
		if err != nil {
			t.Fatal(err)
		}
		// The corners are background in both: white in every plane, as
		// stored, not black as an alpha-weighted filter makes them; the
		// middle is red. (The square's edge blends, so is not checked.)
		for _, p := range []struct {
			x, y int
			rgb  [3]float32
		}{{0, 0, [3]float32{1, 1, 1}}, {7, 7, [3]float32{1, 1, 1}}, {3, 4, [3]float32{1, 0, 0}}} {
			for c := range 3 {
				i := c*64 + p.y*8 + p.x
				if same[i] != p.rgb[c] || double[i] != p.rgb[c] {
					t.Errorf("%s: (%d,%d) plane %d = %v as is, %v from the double-size copy; want %v", mode, p.x, p.y, c, same[i], double[i], p.rgb[c])
				}
			}
		}
	}
}

// TestResizeThinPictureMemory checks that a picture far thinner than the
// output is not stretched to the output's width at its full height first:
// a 1×200,000 gray picture (200 KB decoded) made 64×64 must not allocate
// anywhere near 64×200,000×4 bytes (51 MB; crop's cover would be 3 GB).
func TestResizeThinPictureMemory(t *testing.T) {
	tall := image.NewGray(image.Rect(0, 0, 1, 200_000))
	for i := range tall.Pix {
		tall.Pix[i] = uint8(i)
	}
	wide := image.NewGray(image.Rect(0, 0, 200_000, 1))
	copy(wide.Pix, tall.Pix)
	for _, mode := range ResizeModes() {
		for name, img := range map[string]image.Image{"tall": tall, "wide": wide} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out := Loader{Size: 64, Channels: 1, Resize: mode}.resize(img, false)
			runtime.ReadMemStats(&after)
			if out.Rect.Dx() != 64 || out.Rect.Dy() != 64 {
				t.Errorf("%s %s: size %v", mode, name, out.Rect)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
				t.Errorf("%s %s: allocated %d bytes, want under 8 MiB", mode, name, got)
			}
		}
	}
}

// TestWithoutAlphaInPlace: dropping alpha in place (a decoded picture)
// and in a copy (a caller's) give the same pixels, the copy leaves the
// caller's picture as it was, and the in-place kinds take no copy.
func TestWithoutAlphaInPlace(t *testing.T) {
	pictures := map[string]func() image.Image{
		"8-bit": func() image.Image {
			m := image.NewNRGBA(image.Rect(0, 0, 9, 7))
			for i := range m.Pix {
				m.Pix[i] = uint8(37 * i)
			}
			return m
		},
		"16-bit": func() image.Image {
			m := image.NewNRGBA64(image.Rect(0, 0, 9, 7))
			for i := range m.Pix {
				m.Pix[i] = uint8(53 * i)
			}
			return m
		},
		"paletted": func() image.Image {
			m := image.NewPaletted(image.Rect(0, 0, 9, 7), color.Palette{color.NRGBA{200, 220, 240, 0}, color.NRGBA{255, 0, 0, 255}, color.RGBA{0, 0, 0, 0}})
			for i := range m.Pix {
				m.Pix[i] = uint8(i % 3)
			}
			return m
		},
	}
	for name, make := range pictures {
		l := Loader{Size: 5, Channels: 3}
		theirs := make()
		copied := l.resize(theirs, false)
		if !reflect.DeepEqual(theirs, make()) {
			t.Errorf("%s: the caller's picture was changed", name)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		owned := withoutAlpha(theirs, true)
		runtime.ReadMemStats(&after)
		if name != "paletted" && after.TotalAlloc-before.TotalAlloc > 1024 {
			t.Errorf("%s: dropping alpha in place allocated %d bytes", name, after.TotalAlloc-before.TotalAlloc)
		}
		if got := l.resize(owned, true); !bytes.Equal(got.Pix, copied.Pix) {
			t.Errorf("%s: in place %v, in a copy %v", name, got.Pix, copied.Pix)
		}
	}
}
