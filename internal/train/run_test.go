package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/contrastive"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/network"
)

// brokenDigits is a folder of three digit classes from testdata/digits and
// a fourth, "broken", of 12 empty .png files, none of which can be read.
func brokenDigits(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range []string{"0", "1", "2"} {
		src := filepath.Join("..", "..", "testdata", "digits", c)
		files, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(src, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, c, f.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		if err := os.WriteFile(filepath.Join(dir, "broken", strings.Repeat("x", i+1)+".png"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runOptions is a run of one short epoch of a tiny tower on data.
func runOptions(t *testing.T, data string) Options {
	t.Helper()
	lo := tinyOptions()
	lo.Epochs, lo.PairsPerEpoch, lo.ValPairs = 1, 16, 8
	return Options{Data: data, Out: filepath.Join(t.TempDir(), "m.safetensors"), Size: 8, Channels: 1, Resize: dataset.ResizeSquash,
		ValSplit: 0.2, TestSplit: 0.2, Split: dataset.SplitImages, Layers: tinySpec().Layers,
		LossName: contrastive.NameContrastive, Margin: 1, Loop: lo, Workers: 1}
}

// A class whose files all fail to decode is named in a warning, and the
// counts are of the images that could be read, the test part's included:
// train once decoded only the training and validation parts, so a class of
// 12 empty files counted as a class, and 2 of them as test images.
func TestRunCountsReadableImages(t *testing.T) {
	data := brokenDigits(t)
	// What the split holds outside the broken class, found as Run finds it.
	ix, err := dataset.Scan(data)
	if err != nil {
		t.Fatal(err)
	}
	broken := slices.Index(ix.Classes, "broken")
	o := runOptions(t, data)
	_, _, testIx, err := ix.SplitBy(o.Split, o.ValSplit, o.TestSplit, o.Loop.Seed)
	if err != nil {
		t.Fatal(err)
	}
	wantTest, brokenTest := 0, 0
	for _, it := range testIx.Items {
		if it.Class == broken {
			brokenTest++
		} else {
			wantTest++
		}
	}
	if brokenTest == 0 || wantTest == 0 {
		t.Fatalf("the split puts %d broken and %d good images in the test part; the test needs both", brokenTest, wantTest)
	}

	rep := &quietReporter{}
	o.Report = rep
	s, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Classes != 3 || s.TrainClasses != 3 || s.ValClasses != 3 || s.TestClasses != 3 {
		t.Errorf("classes %d (train %d, val %d, test %d), want 3 everywhere: the broken class has no image", s.Classes, s.TrainClasses, s.ValClasses, s.TestClasses)
	}
	if s.TestImages != wantTest || s.SkippedFiles != 12 {
		t.Errorf("%d test images, %d skipped; want %d (the test part's %d broken files left out) and 12", s.TestImages, s.SkippedFiles, wantTest, brokenTest)
	}
	for _, want := range []string{`class "broken" has no image that could be read: it is left out`, "skipped 12 image(s), each named above"} {
		if !slices.Contains(rep.warnings, want) {
			t.Errorf("no warning %q in %q", want, rep.warnings)
		}
	}
	named := 0
	for _, w := range rep.warnings {
		if strings.HasPrefix(w, "skipping "+filepath.Join(data, "broken")) {
			named++
		}
	}
	if named != 12 {
		t.Errorf("%d of the 12 broken files named in %q", named, rep.warnings)
	}
}

// Every warning reaches the Reporter when there is one (the Go API's
// Summary.Warnings), and the Warnings stream, as "warning: ..." lines,
// when there is not (the CLI's stderr): they once went to the stream
// whatever the Reporter, so the API's summary missed most of them.
func TestRunWarningsTakeOnePath(t *testing.T) {
	data := brokenDigits(t)
	want := []string{
		"--augment-hue, --augment-gray: colour augmentation has no effect on gray images (channels 1)",
		"skipped 12 image(s), each named above",
		`class "broken" has no image that could be read: it is left out`,
	}
	for _, withReporter := range []bool{true, false} {
		o := runOptions(t, data)
		o.Loop.Augment.Hue = 10
		var stream strings.Builder
		o.Log, o.Warnings = &strings.Builder{}, &stream
		rep := &quietReporter{}
		if withReporter {
			o.Report = rep
		}
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			switch {
			case withReporter && !slices.Contains(rep.warnings, w):
				t.Errorf("the reporter missed %q; it heard %q", w, rep.warnings)
			case !withReporter && !strings.Contains(stream.String(), "warning: "+w+"\n"):
				t.Errorf("the stream missed %q:\n%s", w, stream.String())
			}
		}
		if withReporter && stream.Len() > 0 {
			t.Errorf("with a reporter, the stream still got:\n%s", stream.String())
		}
	}
}

// A panic in a caller's loss's Value, wherever the loop calls it, ends the
// run with an error naming the loss, as one inside the training graph
// does; it used to crash the caller's program.
func TestLoopLossValuePanics(t *testing.T) {
	o := tinyOptions()
	o.Epochs = 1
	for _, tc := range []struct {
		name  string
		panic func(d []float32) bool
	}{
		// The collapse reference, on two pairs, comes first.
		{"always", func([]float32) bool { return true }},
		// Only on the validation pairs, after the steps went well.
		{"validation", func(d []float32) bool { return len(d) == o.ValPairs }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTinyLoop(t, o, nil)
			good := contrastive.Contrastive(1)
			l.Loss = contrastive.Plain{LossName: "fragile", Parameters: contrastive.Params{Margin: 1},
				Eval: func(d, y []float32) float64 {
					if tc.panic(d) {
						panic("index out of range")
					}
					return good.Value(d, y)
				},
				Grad: func(d, y []float32) []float32 { return make([]float32, len(d)) }}
			_, err := l.Run(context.Background(), nil)
			if err == nil || !strings.Contains(err.Error(), "fragile loss: value panicked: index out of range") {
				t.Fatalf("error %v, want the loss's panic as an error", err)
			}
		})
	}
}

func TestValidateClipNorm(t *testing.T) {
	for _, tc := range []struct {
		clip float64
		ok   bool
	}{{0, true}, {1.5, true}, {-1, false}, {math.NaN(), false}, {math.Inf(1), false}} {
		o := Options{Out: filepath.Join(t.TempDir(), "m.safetensors"), Margin: 1, ValSplit: 0.1, Loop: tinyOptions(),
			Layers: []network.Layer{{Kind: network.KindDense, Units: 2}}}
		o.Loop.ClipNorm = tc.clip
		err := o.validate()
		if tc.ok != (err == nil) || err != nil && !strings.Contains(err.Error(), "--clip-norm must be a finite number >= 0") {
			t.Errorf("clip norm %g: error %v", tc.clip, err)
		}
	}
}
