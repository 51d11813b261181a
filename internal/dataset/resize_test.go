package dataset

import (
	"image"
	"image/color"
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
			out := Loader{Size: 4, Channels: 3, Resize: tt.mode}.resize(src)
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
