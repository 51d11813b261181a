package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/model"
)

// writeColourSet writes classes×per small non-square colour PNGs: each class
// a hue, each image a shifted gradient of it.
func writeColourSet(t *testing.T, dir string, classes, per, w, h int) {
	t.Helper()
	hues := []color.NRGBA{{220, 40, 40, 255}, {40, 200, 60, 255}, {50, 60, 230, 255}, {230, 200, 30, 255}}
	for c := range classes {
		for i := range per {
			img := image.NewNRGBA(image.Rect(0, 0, w, h))
			base := hues[c%len(hues)]
			for y := range h {
				for x := range w {
					k := uint8((x + 3*i + y) % 40)
					img.SetNRGBA(x, y, color.NRGBA{base.R - k, base.G - k/2, base.B - k, 255})
				}
			}
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			writeBytes(t, filepath.Join(dir, fmt.Sprintf("class%d", c), fmt.Sprintf("%d.png", i)), b.Bytes())
		}
	}
}

// TestTrainColourDefaults trains the real binary on colour photos-shaped
// images without --channels, --size or --resize: it must say it chose 3
// channels, the median shorter side and crop, store the resize mode, reuse
// its decoded cache on a second run, and compare with the same
// preprocessing.
func TestTrainColourDefaults(t *testing.T) {
	dir := t.TempDir()
	data, cache := filepath.Join(dir, "photos"), filepath.Join(dir, "cache")
	writeColourSet(t, data, 3, 6, 48, 36)
	out := filepath.Join(dir, "m.safetensors")
	args := []string{"train", "--data", data, "--out", out, "--cache-dir", cache, "--epochs", "1",
		"--pairs-per-epoch", "32", "--batch-size", "8", "--val-pairs", "8", "--split", "images", "--val-split", "0.34", "--test-split", "0.17"}
	for run := 1; run <= 2; run++ {
		r := siamese(t, dir, args...)
		if r.code != 0 {
			t.Fatalf("run %d: exit %d: %s", run, r.code, r.stderr)
		}
		// The three lines come, in this order, before training starts.
		want := []string{
			"\nchannels 3: 18 of 18 sampled images are colour",
			"\nsize 36: median shorter side of 18 sampled images is 36 px",
			"\nresize crop: 18 of 18 sampled images are not square",
			"\nepoch 1/1",
		}
		out := "\n" + r.stdout
		at := 0
		for _, w := range want {
			k := strings.Index(out[at:], w)
			if k < 0 {
				t.Fatalf("run %d: output\n%s\nlacks %q after what came before", run, r.stdout, w[1:])
			}
			at += k + len(w)
		}
	}
	m, err := model.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Meta.Spec; s.Channels != 3 || s.Size != 36 || s.Resize != "crop" {
		t.Errorf("model spec %d channels, %d px, resize %q; want 3, 36, crop", s.Channels, s.Size, s.Resize)
	}
	r := siamese(t, dir, "cache", "info", "--cache-dir", cache, "--json")
	var info struct {
		Packs []struct{ Images int } `json:"packs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || len(info.Packs) != 1 || info.Packs[0].Images == 0 {
		t.Fatalf("cache info: %s %v", r.stdout, err)
	}
	a, b := filepath.Join(data, "class0", "0.png"), filepath.Join(data, "class0", "1.png")
	if r := siamese(t, dir, "compare", "--model", out, a, b); r.code != 0 {
		t.Fatalf("compare: exit %d: %s", r.code, r.stderr)
	}
	if r := siamese(t, dir, "cache", "clear", "--cache-dir", cache); r.code != 0 || !strings.HasPrefix(r.stdout, "cleared cache") {
		t.Fatalf("cache clear: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	r = siamese(t, dir, append(args, "--json")...)
	var sum struct {
		Size     int    `json:"size"`
		Channels int    `json:"channels"`
		Resize   string `json:"resize"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Size != 36 || sum.Channels != 3 || sum.Resize != "crop" {
		t.Errorf("--json: %+v, %v; want size 36, 3 channels, crop", sum, err)
	}
	// An explicit value wins and says so.
	r = siamese(t, dir, append(args, "--channels", "1", "--size", "28", "--resize", "pad", "--cache-dir", "off")...)
	if r.code != 0 || !strings.Contains("\n"+r.stdout, "\nchannels 1: set with --channels\nsize 28: set with --size\nresize pad: set with --resize\n") {
		t.Fatalf("explicit: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := siamese(t, dir, append(args, "--channels", "2")...); r.code == 0 || !strings.Contains(r.stderr, "channels") {
		t.Errorf("--channels 2: exit %d: %s", r.code, r.stderr)
	}
}
