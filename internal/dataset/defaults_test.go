package dataset

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
)

// writeFixture writes a w×h image filled by fill into dir/class/name.png
// and returns its path.
func writeFixture(t testing.TB, dir, class, name string, w, h int, fill func(x, y int) color.Color) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, fill(x, y))
		}
	}
	rel := class + "/" + name + ".png"
	writeFile(t, dir, rel, pngBytes(t, img))
	return filepath.Join(dir, filepath.FromSlash(rel))
}

func grayFill(x, y int) color.Color {
	return color.NRGBA{uint8(10 * x), uint8(10 * x), uint8(10 * x), 255}
}
func colourFill(x, y int) color.Color {
	return color.NRGBA{uint8(10 * x), uint8(5 * y), 200, 255}
}

func TestDefaults(t *testing.T) {
	type img struct {
		w, h   int
		colour bool
	}
	tests := []struct {
		name     string
		images   []img // spread over 3 classes in turn
		channels int
		size     int
		resize   string
	}{
		{"gray digits", []img{{28, 28, false}, {28, 28, false}, {28, 28, false}}, 1, 28, ResizeSquash},
		{"tiny gray stays 28", []img{{8, 8, false}, {10, 10, false}, {12, 12, false}}, 1, 28, ResizeSquash},
		{"colour icons", []img{{48, 48, true}, {48, 48, false}, {48, 48, false}}, 3, 48, ResizeSquash},
		{"square within 5%", []img{{50, 49, true}, {49, 50, true}, {50, 50, true}}, 3, 48, ResizeSquash},
		{"photos crop", []img{{90, 60, true}, {60, 90, true}, {150, 100, true}}, 3, 60, ResizeCrop},
		{"big photos clamp", []img{{400, 300, true}, {300, 400, true}, {500, 300, true}}, 3, 128, ResizeCrop},
		{"odd median rounds to 4", []img{{33, 33, false}, {35, 35, false}, {34, 34, false}}, 1, 36, ResizeSquash},
		{"one wide of three squashes", []img{{64, 64, false}, {64, 64, false}, {120, 64, false}}, 1, 64, ResizeSquash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, im := range tt.images {
				fill := grayFill
				if im.colour {
					fill = colourFill
				}
				writeFixture(t, dir, fmt.Sprintf("c%d", i%3), fmt.Sprint(i), im.w, im.h, fill)
			}
			ix, err := Scan(dir)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Defaults(ix, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if c.Channels != tt.channels || c.Size != tt.size || c.Resize != tt.resize {
				t.Errorf("chose %d channels, %d px, %s; want %d, %d, %s (%s; %s; %s)",
					c.Channels, c.Size, c.Resize, tt.channels, tt.size, tt.resize, c.ChannelsWhy, c.SizeWhy, c.ResizeWhy)
			}
		})
	}
}

// TestDefaultsSample checks the sample is bounded and spread over classes:
// with 5 colour images all in the last class, a sample of 3 from 3 classes
// takes one of each and so sees the colour.
func TestDefaultsSample(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		writeFixture(t, dir, "a", fmt.Sprint(i), 28, 28, grayFill)
		writeFixture(t, dir, "b", fmt.Sprint(i), 28, 28, grayFill)
		writeFixture(t, dir, "c", fmt.Sprint(i), 28, 28, colourFill)
	}
	ix, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Defaults(ix, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sampled != 3 || c.Channels != 3 || c.ChannelsWhy != "1 of 3 sampled images are colour" {
		t.Errorf("sampled %d, channels %d (%s); want 3 sampled, 3 channels, 1 of 3 colour", c.Sampled, c.Channels, c.ChannelsWhy)
	}
	// The pixel limit the images will be loaded under bounds the sample
	// too: under 28×28 none of these is sampled.
	if _, err := Defaults(ix, 3, 28*28-1); err == nil {
		t.Error("images over the pixel limit were sampled")
	}
	if c, err := Defaults(ix, 3, 28*28); err != nil || c.Sampled != 3 {
		t.Errorf("at the limit: %d sampled, %v", c.Sampled, err)
	}
	// Nothing decodable: an error naming the folder.
	bad := t.TempDir()
	for _, cl := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(bad, cl), 0o755)
		os.WriteFile(filepath.Join(bad, cl, "x.png"), []byte("not a png"), 0o644)
	}
	ix, err = Scan(bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Defaults(ix, 0, 0); err == nil {
		t.Error("no error for a folder of unreadable images")
	}
}
