package dataset

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testImages are small images of the kinds decoders and callers produce,
// with pixel values that depend on position so resizing has work to do.
func testImages() map[string]image.Image {
	gray := image.NewGray(image.Rect(0, 0, 9, 7))
	rgba := image.NewRGBA(image.Rect(2, 3, 13, 12)) // origin not at 0
	nrgba := image.NewNRGBA(image.Rect(0, 0, 5, 5))
	ycc := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420)
	for y := 0; y < 12; y++ {
		for x := 0; x < 13; x++ {
			gray.SetGray(x, y, color.Gray{uint8(17*x + 29*y)})
			rgba.SetRGBA(x, y, color.RGBA{uint8(11 * x), uint8(23 * y), uint8(5*x + 7*y), 255})
			nrgba.SetNRGBA(x, y, color.NRGBA{uint8(40 * x), uint8(30 * y), 200, uint8(50 + 30*x)})
		}
	}
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i * 3)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(100+i*5), uint8(200-i*7)
	}
	return map[string]image.Image{"gray": gray, "rgba": rgba, "nrgba": nrgba, "ycbcr": ycc}
}

func TestFromImagesLoadsLikeImage(t *testing.T) {
	imgs := testImages()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range imgs {
			if !yield(n) {
				return
			}
		}
	})
	var classes []MemoryClass
	for _, n := range names {
		classes = append(classes, MemoryClass{Name: n, Images: []image.Image{imgs[n]}})
	}
	for _, channels := range []int{1, 3} {
		l := Loader{Size: 6, Channels: channels}
		ix, err := FromImages("memory", classes)
		if err != nil {
			t.Fatal(err)
		}
		im, err := LoadAll(ix, l, 2, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(im.Classes, names) {
			t.Fatalf("classes %v, want %v", im.Classes, names)
		}
		for i, n := range names {
			want, err := l.Image(imgs[n])
			if err != nil {
				t.Fatal(err)
			}
			if got := im.Image(i); !slices.Equal(got, want) {
				t.Errorf("%s, %d channels: loaded from memory %v, Image gives %v", n, channels, got, want)
			}
		}
	}
}

// The in-memory entry point must agree with the file loader, not only with
// itself: a PNG written to disk and loaded gives the values Image gives.
func TestImageMatchesLoadFile(t *testing.T) {
	dir := t.TempDir()
	for name, img := range testImages() {
		p := filepath.Join(dir, name+".png")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if name == "ycbcr" {
			continue // png.Encode converts YCbCr with its own rounding
		}
		for _, channels := range []int{1, 3} {
			l := Loader{Size: 4, Channels: channels}
			want, err := l.LoadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.Image(img)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, %d channels: Image %v, LoadFile %v", name, channels, got, want)
			}
		}
	}
}

func TestImageValues(t *testing.T) {
	// A 1×1 image resized to 2×2 is constant: gray is the weighted sum.
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.SetRGBA(0, 0, color.RGBA{255, 0, 51, 255})
	got, err := Loader{Size: 2, Channels: 1}.Image(img)
	if err != nil {
		t.Fatal(err)
	}
	// Stored as a byte: the weighted sum rounded to a level.
	want := float32(math.Round(0.299*255+0.114*51)) / 255
	for _, v := range got {
		if v != want {
			t.Fatalf("gray %v, want %v everywhere", got, want)
		}
	}
	got, err = Loader{Size: 1, Channels: 3}.Image(img)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []float32{1, 0, 0.2}) {
		t.Fatalf("rgb %v, want [1 0 0.2]", got)
	}
}

func TestFromImagesErrors(t *testing.T) {
	ok := image.NewGray(image.Rect(0, 0, 2, 2))
	cases := []struct {
		name    string
		classes []MemoryClass
		want    string
	}{
		{"no classes", nil, "no classes"},
		{"empty name", []MemoryClass{{Name: " ", Images: []image.Image{ok}}}, "empty name"},
		{"twice", []MemoryClass{{Name: "a", Images: []image.Image{ok}}, {Name: "a", Images: []image.Image{ok}}}, `class "a" appears twice`},
		{"no images", []MemoryClass{{Name: "a"}}, `class "a" has no images`},
		{"nil image", []MemoryClass{{Name: "a", Images: []image.Image{ok, nil}}}, `class "a" image 1: image is nil`},
		// A nil pointer of an image type is a non-nil interface: it must
		// not reach Bounds.
		{"typed nil image", []MemoryClass{{Name: "a", Images: []image.Image{(*image.Gray)(nil)}}}, `class "a" image 0: image is nil (a nil *image.Gray)`},
		{"empty image", []MemoryClass{{Name: "a", Images: []image.Image{image.NewGray(image.Rect(0, 0, 0, 3))}}}, "image is empty (0x3)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromImages("mem", c.classes)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := (Loader{Size: 2, Channels: 1, MaxPixels: 3}).Image(ok); err == nil || !strings.Contains(err.Error(), "over the 3-pixel limit") {
		t.Fatalf("pixel limit: error %v", err)
	}
	var typedNil *image.RGBA
	if _, err := (Loader{Size: 2, Channels: 1}).Image(typedNil); err == nil || err.Error() != "image is nil (a nil *image.RGBA)" {
		t.Fatalf("typed nil: error %v", err)
	}
}
