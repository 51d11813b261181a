package train

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/siamese-dev/siamese/internal/dataset"
)

// TestPreprocessingSaysWhereSet: a size, channels or resize mode the run
// did not choose is logged as set by its flag, or by the config file that
// set it (a preset's size read "set with --size" though no flag was given).
func TestPreprocessingSaysWhereSet(t *testing.T) {
	var log strings.Builder
	o := Options{Size: 64, Channels: 3, Resize: "crop", Log: &log,
		Configured: map[string]string{"size": "configs/photos.yaml", "resize": "configs/photos.yaml"}}
	if err := o.choosePreprocessing(nil); err != nil {
		t.Fatal(err)
	}
	want := "channels 3: set with --channels\nsize 64: set in configs/photos.yaml\nresize crop: set in configs/photos.yaml\n"
	if log.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
	}
}

// TestProgressNamesEpochs: the bar's description names the epoch as the
// log lines do: "epoch 4" when a time budget decides how many there are
// (it read "epoch 4/0"), "epoch 4/10" otherwise.
func TestProgressNamesEpochs(t *testing.T) {
	for _, tc := range []struct {
		epochs int
		want   string
	}{{0, "epoch 4 loss"}, {10, "epoch 4/10 loss"}} {
		var bar strings.Builder
		r := newTextReporter(&strings.Builder{}, &strings.Builder{}, &bar)
		r.EpochStart(4, tc.epochs, 10)
		r.Step(1, 0.5, 100)
		r.bar.Finish()
		if !strings.Contains(bar.String(), tc.want) || strings.Contains(bar.String(), "/0 ") {
			t.Errorf("%d epochs: bar %q, want %q", tc.epochs, bar.String(), tc.want)
		}
	}
}

// TestLargeAutoSizeSaysSmallerIsFaster: a size chosen above 64 px from
// the pictures says what --size 64 would save; one of 64 or less says
// nothing more.
func TestLargeAutoSizeSaysSmallerIsFaster(t *testing.T) {
	for _, tc := range []struct {
		side int
		hint bool
	}{{128, true}, {64, false}} {
		fsys := fstest.MapFS{}
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, tc.side, tc.side))); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"a/1.png", "a/2.png", "b/1.png", "b/2.png"} {
			fsys["d/"+p] = &fstest.MapFile{Data: buf.Bytes()}
		}
		ix, err := dataset.ScanFS(fsys, "d")
		if err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		o := Options{Log: &log}
		if err := o.choosePreprocessing(ix); err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(log.String(), "--size 64 trains on 4 times fewer pixels")
		if o.Size != tc.side || got != tc.hint {
			t.Errorf("%d px images: size %d, hint %t; log:\n%s", tc.side, o.Size, got, log.String())
		}
	}
}
