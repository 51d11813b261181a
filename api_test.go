package siamese

import (
	"context"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siamese-dev/siamese/internal/train"
	"github.com/siamese-dev/siamese/internal/verify"
)

// userContrastive is the contrastive loss written as a user would write
// it, to check that a caller's loss trains like the built-in one.
type userContrastive struct{ m float64 }

func (userContrastive) Name() string { return "user-contrastive" }
func (u userContrastive) Value(d, y []float32) float64 {
	var s float64
	for i := range d {
		gap := math.Max(u.m-float64(d[i]), 0)
		s += float64(y[i])*float64(d[i])*float64(d[i]) + (1-float64(y[i]))*gap*gap
	}
	return s / float64(len(d))
}
func (u userContrastive) Grad(d, y []float32) []float32 {
	g := make([]float32, len(d))
	for i := range d {
		gap := math.Max(u.m-float64(d[i]), 0)
		g[i] = float32((2*float64(y[i])*float64(d[i]) - 2*(1-float64(y[i]))*gap) / float64(len(d)))
	}
	return g
}

func TestBuiltinLossValueAndGrad(t *testing.T) {
	cases := []struct {
		name      string
		loss      Loss
		d, y      []float32
		value     float64
		gradients []float32
	}{
		// d=0.5 similar: 0.25, ∂=2·0.5/2; d=0.25 dissimilar: 0.75², ∂=-2·0.75/2.
		{"contrastive", Contrastive(1), []float32{0.5, 0.25}, []float32{1, 0}, (0.25 + 0.5625) / 2, []float32{0.5, -0.75}},
		// a = 0.5 and 0.25-2 = -1.75: (0.25 + 3.0625)/2, ∂ = 2a/2.
		{"mse", MSE(2), []float32{0.5, 0.25}, []float32{1, 0}, (0.25 + 3.0625) / 2, []float32{0.5, -1.75}},
		// a = 0.25 inside δ=1: ½a²; a = -1.75 outside: δ(|a|-½δ) = 1.25; ∂ = a/2, -δ/2.
		{"huber", Huber(1, 2), []float32{0.25, 0.25}, []float32{1, 0}, (0.03125 + 1.25) / 2, []float32{0.125, -0.5}},
	}
	for _, tc := range cases {
		if v := tc.loss.Value(tc.d, tc.y); math.Abs(v-tc.value) > 1e-7 {
			t.Errorf("%s: Value %g, want %g", tc.name, v, tc.value)
		}
		if g := tc.loss.Grad(tc.d, tc.y); !slices.Equal(g, tc.gradients) {
			t.Errorf("%s: Grad %v, want %v", tc.name, g, tc.gradients)
		}
	}
}

// Grad must be the derivative of Value for every built-in loss and for the
// user's, away from the kinks.
func TestLossGradFiniteDifference(t *testing.T) {
	d := []float32{0.3, 1.7, 0.6, 1.2, 2.6}
	y := []float32{1, 0, 0, 1, 0}
	for _, l := range []Loss{Contrastive(1), Huber(0.5, 2), MSE(1.5), userContrastive{1}} {
		g := l.Grad(d, y)
		for i := range d {
			const eps = 1e-3
			p, m := slices.Clone(d), slices.Clone(d)
			p[i] += eps
			m[i] -= eps
			numeric := (l.Value(p, y) - l.Value(m, y)) / float64(p[i]-m[i])
			if math.Abs(float64(g[i])-numeric) > 1e-3 {
				t.Errorf("%s: ∂L/∂d[%d] = %g, finite difference %g", l.Name(), i, g[i], numeric)
			}
		}
	}
}

func TestLossByNameErrors(t *testing.T) {
	cases := []struct {
		name string
		p    LossParams
		want string
	}{
		{"cosine", LossParams{Margin: 1}, `unknown loss "cosine"`},
		{"contrastive", LossParams{Margin: -1}, "margin must be > 0"},
		{"huber", LossParams{Margin: 1}, "delta must be > 0"},
		{"ntxent", LossParams{Temperature: -0.1}, "temperature must be > 0"},
		{"ntxent", LossParams{Temperature: math.Inf(1)}, "temperature must be finite"},
	}
	for _, tc := range cases {
		if _, err := LossByName(tc.name, tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: error %v, want %q", tc.name, tc.p, err, tc.want)
		}
	}
	if l, err := LossByName("mse", LossParams{Margin: 2}); err != nil || l.Name() != "mse" {
		t.Errorf("mse: %v, %v", l, err)
	}
	// As the doc says: ntxent uses no margin, and a temperature of 0 is
	// its default.
	if l, err := LossByName("ntxent", LossParams{}); err != nil || l.(builtinLoss).l.Params().Temperature != 0.1 {
		t.Errorf("ntxent with no parameters: %v, %v", l, err)
	}
}

// tiny is a short, fast run on the built-in sample.
func tiny() Options {
	return Options{Epochs: 1, PairsPerEpoch: 128, BatchSize: 32, ValPairs: 64, Seed: 3,
		Layers: []Layer{{Kind: "conv", Filters: 4}, {Kind: "relu"}, {Kind: "maxpool"}, {Kind: "dense", Units: 16}}}
}

// A user's loss that computes the contrastive loss must train to what the
// built-in one trains to: same pairs, same steps, the gradient reaching the
// weights through the adapter instead of the graph.
func TestUserLossTrainsLikeBuiltin(t *testing.T) {
	var got [2]Summary
	for i, l := range []Loss{Contrastive(1), userContrastive{1}} {
		o := tiny()
		o.Loss = l
		var epochs []Epoch
		o.Progress = func(e Epoch) { epochs = append(epochs, e) }
		_, s, err := Train(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if len(epochs) != 1 || epochs[0].ValLoss != s.ValLoss {
			t.Fatalf("%s: progress saw %+v, summary val loss %g", l.Name(), epochs, s.ValLoss)
		}
		got[i] = s
	}
	b, u := got[0], got[1]
	t.Logf("val loss: built-in %.7g, user's %.7g", b.ValLoss, u.ValLoss)
	if u.Loss != "user-contrastive" || b.Loss != "contrastive" || u.Margin != 1 {
		t.Errorf("loss names %q, %q, margin %g", b.Loss, u.Loss, u.Margin)
	}
	if math.Abs(b.ValLoss-u.ValLoss) > 1e-4*b.ValLoss || math.Abs(b.History[0].TrainLoss-u.History[0].TrainLoss) > 1e-4 {
		t.Errorf("built-in: train %g val %g; user's: train %g val %g", b.History[0].TrainLoss, b.ValLoss, u.History[0].TrainLoss, u.ValLoss)
	}
}

func gray(v uint8) image.Image {
	img := image.NewGray(image.Rect(0, 0, 20, 20))
	for i := range img.Pix {
		img.Pix[i] = v + uint8(i%7)
	}
	return img
}

func TestSaveLoadCompare(t *testing.T) {
	o := tiny()
	o.Out = filepath.Join(t.TempDir(), "m.safetensors")
	m, s, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Threshold != m.Threshold() || s.Data != "builtin:fashion" {
		t.Errorf("summary threshold %g data %q, model threshold %g", s.Threshold, s.Data, m.Threshold())
	}
	saved, err := Load(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again.safetensors")
	if err := saved.Save(again); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(again)
	if err != nil {
		t.Fatal(err)
	}
	a, b := gray(10), gray(200)
	d1, sim1, err := m.Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	d2, sim2, err := loaded.Compare(a, b)
	if err != nil || d1 != d2 || sim1 != sim2 {
		t.Fatalf("trained model: %g %v; saved and loaded: %g %v %v", d1, sim1, d2, sim2, err)
	}
	ea, err := m.Embed(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := m.Embed(b)
	if err != nil || len(ea) != 16 || Distance(ea, eb) != d1 {
		t.Fatalf("embeddings of %d values, distance %g, Compare %g, %v", len(ea), Distance(ea, eb), d1, err)
	}
	if d, _, _ := m.Compare(a, a); d > 1e-2 {
		t.Errorf("an image against itself: distance %g", d)
	}
	if _, _, err := m.Compare(a, nil); err == nil || !strings.Contains(err.Error(), "compare: image 1: image is nil") {
		t.Errorf("nil image: %v", err)
	}
	// A nil pointer of an image type is an image.Image that is not nil:
	// an error too, not a panic.
	var typedNil *image.Gray
	if _, _, err := m.Compare(a, typedNil); err == nil || !strings.Contains(err.Error(), "compare: image 1: image is nil") {
		t.Errorf("typed nil image: %v", err)
	}
	if _, err := m.Embed(typedNil); err == nil || !strings.Contains(err.Error(), "embed: image 0: image is nil") {
		t.Errorf("typed nil image: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.safetensors")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

// namedLoss is a loss under another name.
type namedLoss struct {
	userContrastive
	name string
}

func (l namedLoss) Name() string { return l.name }

// shortGrad is a loss whose gradient has one value whatever the batch.
type shortGrad struct{ userContrastive }

func (shortGrad) Name() string                  { return "short" }
func (shortGrad) Grad(d, y []float32) []float32 { return []float32{0} }

// panicValue is a loss whose Value panics.
type panicValue struct{ userContrastive }

func (panicValue) Name() string                 { return "panicky" }
func (panicValue) Value(d, y []float32) float64 { panic("oops") }

// scribbler is the contrastive loss written by a caller who reuses the
// slices it is given as scratch space, which Train's copies allow.
type scribbler struct{ userContrastive }

func (scribbler) Name() string { return "scribbler" }
func (s scribbler) Value(d, y []float32) float64 {
	v := s.userContrastive.Value(d, y)
	for i := range d {
		d[i], y[i] = float32(math.NaN()), -1
	}
	return v
}
func (s scribbler) Grad(d, y []float32) []float32 {
	g := s.userContrastive.Grad(d, y)
	for i := range d {
		d[i], y[i] = float32(math.NaN()), -1
	}
	return g
}

func TestTrainErrors(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"epochs", func(o *Options) { o.Epochs = -1 }, "--epochs must be >= 1"},
		{"empty class", func(o *Options) { o.Classes = []Class{{Name: "a"}} }, `class "a" has no images`},
		{"layer", func(o *Options) { o.Layers = []Layer{{Kind: "attention"}} }, "attention"},
		{"data", func(o *Options) { o.Data = filepath.Join(t.TempDir(), "none") }, "does not exist"},
		// Contrastive panics on a bad margin; Train must not.
		{"negative margin", func(o *Options) { o.Margin = -1 }, "Margin must be a finite number > 0, got -1"},
		{"NaN margin", func(o *Options) { o.Margin = math.NaN() }, "Margin must be a finite number > 0, got NaN"},
		{"nameless loss", func(o *Options) { o.Loss = namedLoss{userContrastive{1}, ""} }, "empty Name()"},
		// A loss whose gradient is the wrong length fails the step with its
		// own message, not the tape machine's wrapping.
		{"short gradient", func(o *Options) { o.Loss = shortGrad{userContrastive{1}} }, "train: training step: distance head: short loss: gradient has 1 values for 32 pairs"},
		// A panic in the caller's Value, outside the graph too, is an
		// error, not a crash of the caller's program.
		{"panicking value", func(o *Options) { o.Loss = panicValue{userContrastive{1}} }, "panicky loss: value panicked: oops"},
		// Custom losses are pair losses; the error says what to do in the
		// API's words.
		{"own loss on class batches", func(o *Options) { o.Loss, o.Batches = userContrastive{1}, "classes" },
			`loss user-contrastive is a pair loss of your own (Value and Grad over the distances of given pairs) and cannot train on class batches: leave Batches "pairs"`},
		// The model file would record it as the built-in loss.
		{"own loss with a built-in name", func(o *Options) { o.Loss = namedLoss{userContrastive{1}, "triplet"} }, `named "triplet", a built-in loss's name`},
		{"infinite clip norm", func(o *Options) { o.ClipNorm = math.Inf(1) }, "--clip-norm must be a finite number >= 0, got +Inf"},
		{"typed nil image", func(o *Options) { o.Classes = []Class{{Name: "a", Images: []image.Image{gray(1), (*image.Gray)(nil)}}} },
			`class "a" image 1: image is nil (a nil *image.Gray)`},
	}
	for _, tc := range cases {
		o := tiny()
		tc.change(&o)
		if _, _, err := Train(context.Background(), o); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "train: ") {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestTrainCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, s, err := Train(ctx, tiny())
	if m != nil || !errors.Is(err, context.Canceled) || s.Epochs != 0 {
		t.Fatalf("model %v, summary epochs %d, error %v", m, s.Epochs, err)
	}
}

// In-memory classes are split and trained like a folder.
func TestTrainInMemory(t *testing.T) {
	var classes []Class
	for c, v := range []uint8{20, 120, 220} {
		cl := Class{Name: string(rune('a' + c))}
		for range 8 {
			cl.Images = append(cl.Images, gray(v))
		}
		classes = append(classes, cl)
	}
	o := tiny()
	o.Classes, o.Split, o.ValSplit, o.TestSplit, o.BatchSize, o.PairsPerEpoch, o.ValPairs = classes, "images", 0.25, 0.125, 8, 16, 8
	o.Size = 12
	m, s, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Data != "memory" || s.Classes != 3 || s.TrainImages != 15 || s.ValImages != 6 || s.TestImages != 3 {
		t.Errorf("summary %+v", s)
	}
	// The model records the data under a name eval knows, so that eval
	// without --data asks for it; with "memory" it looked for a folder of
	// that name.
	if got := m.m.Meta.Split.Data; got != memoryRecord {
		t.Errorf("model records the data as %q, want %q", got, memoryRecord)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.Evaluate(verify.EvalOptions{Model: path, Pairs: 10}); err == nil || !strings.Contains(err.Error(), "trained on images held in memory") {
		t.Errorf("eval of an in-memory model without --data: %v", err)
	}
	if d, _, err := m.Compare(classes[0].Images[0], classes[2].Images[0]); err != nil || math.IsNaN(d) {
		t.Errorf("compare: %g, %v", d, err)
	}
}

// Size and Channels left 0 are chosen from the data, as the flags' "auto"
// is: colour pictures train in colour (they trained gray at 28 px).
func TestTrainChoosesSizeAndChannels(t *testing.T) {
	var classes []Class
	for c := range 3 {
		cl := Class{Name: string(rune('a' + c))}
		for k := range 8 {
			img := image.NewRGBA(image.Rect(0, 0, 36, 36))
			for i := 0; i < len(img.Pix); i += 4 {
				img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(80*c), uint8(30*k), 200, 255
			}
			cl.Images = append(cl.Images, img)
		}
		classes = append(classes, cl)
	}
	o := tiny()
	o.Classes, o.Split, o.ValSplit, o.TestSplit, o.BatchSize, o.PairsPerEpoch, o.ValPairs = classes, "images", 0.25, 0.125, 8, 16, 8
	var log strings.Builder
	o.Log = &log
	m, _, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.m.Meta.Spec; s.Channels != 3 || s.Size != 36 {
		t.Errorf("trained at %d px, %d channel(s); want 36 px (the pictures' side) and 3", s.Size, s.Channels)
	}
	if !strings.Contains(log.String(), "channels 3: ") {
		t.Errorf("the log does not say why 3 channels:\n%s", log.String())
	}
}

// On a class split the epochs report the one-shot accuracy that picks the
// best of them (Options.SelectBy's auto).
func TestTrainReportsOneShot(t *testing.T) {
	var classes []Class
	for c := range 8 {
		cl := Class{Name: string(rune('a' + c))}
		for k := range 4 {
			cl.Images = append(cl.Images, gray(uint8(30*c+k)))
		}
		classes = append(classes, cl)
	}
	o := tiny()
	o.Classes, o.Split, o.BatchSize, o.PairsPerEpoch, o.ValPairs, o.Size = classes, "classes", 8, 16, 8, 12
	_, s, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if e := s.History[0]; e.ValOneShotWay < 2 || e.ValOneShot <= 0 || e.ValOneShot > 1 {
		t.Errorf("epoch 1 on a class split: one-shot %g, %d-way; want trials of 2 ways or more", e.ValOneShot, e.ValOneShotWay)
	}
}

// The ntxent loss trains through the API as through the CLI: it has no
// margin, and Train once handed the trainer its 0 ("--margin must be > 0").
// ImagesPerClass left 0 is the flag's 4, and LossParams{} is ntxent at its
// default temperature.
func TestTrainNTXent(t *testing.T) {
	for _, tc := range []struct {
		name           string
		p              LossParams
		imagesPerClass int
		temperature    float64
	}{
		{"as QA called it", LossParams{Margin: 1}, 4, 0.1},
		{"defaults", LossParams{}, 0, 0.1},
		{"temperature", LossParams{Temperature: 0.5}, 2, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := LossByName("ntxent", tc.p)
			if err != nil {
				t.Fatal(err)
			}
			o := tiny()
			o.Data, o.Loss, o.Batches, o.BatchSize, o.ImagesPerClass = filepath.Join("testdata", "digits"), l, "classes", 8, tc.imagesPerClass
			m, s, err := Train(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if s.Loss != "ntxent" || s.Epochs != 1 || m.m.Meta.Loss.Temperature != tc.temperature {
				t.Errorf("loss %q, %d epochs, temperature %g; want ntxent, 1, %g", s.Loss, s.Epochs, m.m.Meta.Loss.Temperature, tc.temperature)
			}
		})
	}
}

// The zero values that are not the flag's default, and the fields whose
// default depends on another, map onto the trainer's options as the
// Options doc says.
func TestOptionsDefaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     Options
		check func(to train.Options) bool
	}{
		// The budget decides, as --time-budget without --epochs: it was cut
		// off after 10 epochs.
		{"time budget alone", Options{TimeBudget: time.Minute}, func(to train.Options) bool { return to.Loop.Epochs == train.MaxBudgetEpochs }},
		{"time budget capped", Options{TimeBudget: time.Minute, Epochs: 3}, func(to train.Options) bool { return to.Loop.Epochs == 3 }},
		{"epochs", Options{}, func(to train.Options) bool { return to.Loop.Epochs == 10 }},
		// --images-per-class 4; 0 left 0 failed class batches.
		{"images per class", Options{}, func(to train.Options) bool { return to.Loop.ImagesPerClass == 4 }},
		{"images per class given", Options{ImagesPerClass: 2}, func(to train.Options) bool { return to.Loop.ImagesPerClass == 2 }},
		{"patience 0 never stops", Options{}, func(to train.Options) bool { return to.Loop.Patience == 0 }},
		{"test split default", Options{}, func(to train.Options) bool { return to.TestSplit == 0.1 }},
		// A negative share is --test-split 0: none held out.
		{"no test split", Options{TestSplit: -1}, func(to train.Options) bool { return to.TestSplit == 0 }},
		{"ntxent margin", Options{Loss: must(LossByName("ntxent", LossParams{}))}, func(to train.Options) bool { return to.Margin == 1 }},
		{"triplet margin", Options{Loss: must(LossByName("triplet", LossParams{Margin: 0.3}))}, func(to train.Options) bool { return to.Margin == 0.3 }},
	} {
		to, err := tc.o.internal()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tc.check(to) {
			t.Errorf("%s: epochs %d, images per class %d, patience %d, test split %g, margin %g", tc.name,
				to.Loop.Epochs, to.Loop.ImagesPerClass, to.Loop.Patience, to.TestSplit, to.Margin)
		}
	}
}

func must(l Loss, err error) Loss {
	if err != nil {
		panic(err)
	}
	return l
}

// Every warning of a run is in Summary.Warnings as on Log: a broken image
// in the data folder and the augmentation warning once reached Log alone.
func TestTrainWarningsInSummary(t *testing.T) {
	data := t.TempDir()
	for _, c := range []string{"0", "1", "2"} {
		src := filepath.Join("testdata", "digits", c)
		files, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(data, c), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(src, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(data, c, f.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	bad := filepath.Join(data, "1", "empty.png")
	if err := os.WriteFile(bad, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := tiny()
	o.Data, o.Augment.Hue, o.Channels, o.Split = data, 10, 1, "images"
	var log strings.Builder
	o.Log = &log
	_, s, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"skipping " + bad + ": not a valid image: empty file", "skipped 1 image(s), each named above",
		"--augment-hue, --augment-gray: colour augmentation has no effect on gray images (channels 1)"} {
		if !slices.Contains(s.Warnings, want) {
			t.Errorf("Summary.Warnings %q lacks %q", s.Warnings, want)
		}
	}
	for _, w := range s.Warnings {
		if !strings.Contains(log.String(), "warning: "+w+"\n") {
			t.Errorf("warning %q is not on Log:\n%s", w, log.String())
		}
	}
	if n := strings.Count(log.String(), "warning: "); n != len(s.Warnings) {
		t.Errorf("%d warnings on Log, %d in the summary:\n%s", n, len(s.Warnings), log.String())
	}
}

// Value and Grad get copies of the distances and labels: a loss that uses
// them as scratch trains as the built-in one, where it used to overwrite
// the graph's own values (and the gradient then read NaN distances).
func TestUserLossGetsCopies(t *testing.T) {
	var got [2]Summary
	for i, l := range []Loss{Contrastive(1), scribbler{userContrastive{1}}} {
		o := tiny()
		o.Loss = l
		_, s, err := Train(context.Background(), o)
		if err != nil {
			t.Fatalf("%s: %v", l.Name(), err)
		}
		got[i] = s
	}
	if b, u := got[0], got[1]; math.Abs(b.ValLoss-u.ValLoss) > 1e-4*b.ValLoss {
		t.Errorf("val loss: built-in %g, scribbler %g", b.ValLoss, u.ValLoss)
	}
}

// Resize reaches the model, whose preprocessing then crops non-square
// pictures, and EmbedAll gives what Embed gives each image, over more
// images than one chunk of the batched embedding.
func TestResizeAndEmbedAll(t *testing.T) {
	wide := func(v uint8) image.Image {
		img := image.NewGray(image.Rect(0, 0, 30, 12))
		for i := range img.Pix {
			img.Pix[i] = v + uint8(i%11)
		}
		return img
	}
	var classes []Class
	for c, v := range []uint8{20, 120, 220} {
		cl := Class{Name: string(rune('a' + c))}
		for k := range 8 {
			cl.Images = append(cl.Images, wide(v+uint8(k)))
		}
		classes = append(classes, cl)
	}
	o := tiny()
	o.Classes, o.Split, o.ValSplit, o.TestSplit, o.BatchSize, o.PairsPerEpoch, o.ValPairs = classes, "images", 0.25, 0.125, 8, 16, 8
	o.Size, o.Resize = 12, "crop"
	m, _, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.m.Meta.Spec.Resize; got != "crop" {
		t.Errorf("model resize %q, want crop", got)
	}
	var imgs []image.Image
	for i := range 1100 {
		imgs = append(imgs, classes[i%3].Images[i%8])
	}
	all, err := m.EmbedAll(imgs)
	if err != nil || len(all) != len(imgs) {
		t.Fatalf("EmbedAll: %d embeddings, %v", len(all), err)
	}
	for _, i := range []int{0, 1, 2, 1023, 1024, 1099} {
		one, err := m.Embed(imgs[i])
		if err != nil {
			t.Fatal(err)
		}
		for j := range one {
			if d := math.Abs(float64(one[j] - all[i][j])); d > 1e-5 {
				t.Errorf("image %d, value %d: EmbedAll's %g, Embed's %g", i, j, all[i][j], one[j])
				break
			}
		}
	}
	o.Resize = "zoom"
	if _, _, err := Train(context.Background(), o); err == nil || !strings.Contains(err.Error(), `unknown --resize "zoom"`) {
		t.Errorf("Resize zoom: %v", err)
	}
}
