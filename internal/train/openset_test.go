package train

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/siamese-dev/siamese/internal/contrastive"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/optimize"
)

// bandData is n 8×8 images of the given number of classes: class c lights
// rows 2c and 2c+1 faintly (so up to 4 classes) under strong noise.
func bandData(n, classes int, seed uint64) *dataset.Images {
	rng := rand.New(rand.NewPCG(seed, 3))
	im := &dataset.Images{Size: 8, Channels: 1}
	var pix []byte
	for i := range n {
		c := i % classes
		for y := range 8 {
			for range 8 {
				// Strong noise over a faint band: a random tower sees
				// mostly the noise, a trained one the band.
				v := 0.8 * rng.Float32()
				if y/2 == c {
					v += 0.35
				}
				pix = append(pix, uint8(v/1.15*255+0.5)) // bytes hold [0, 1]: scale, do not clip
			}
		}
		im.Labels = append(im.Labels, c)
		im.Paths = append(im.Paths, "x")
	}
	return dataset.NewImages(im.Size, im.Channels, pix, im.Labels, im.Paths, im.Classes)
}

func newBandLoop(t *testing.T, o LoopOptions, loss contrastive.Loss) *Loop {
	t.Helper()
	net, err := network.New(tinySpec(), o.Seed)
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{}
	for _, p := range net.Params {
		sizes = append(sizes, len(p.Data))
	}
	opt, err := optimize.New("adam", sizes, optimize.Options{LearningRate: o.LearningRate})
	if err != nil {
		t.Fatal(err)
	}
	return &Loop{Net: net, Loss: loss, Train: bandData(48, 4, 1), Val: bandData(24, 4, 2),
		Opts: o, Optim: opt, Report: &quietReporter{}}
}

// Every batch loss learns the four-class task from class batches, and the
// validation one-shot measurement sees it.
func TestClassBatchesLearn(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss contrastive.Loss
	}{
		{"contrastive", contrastive.Contrastive(1)},
		{"triplet", contrastive.Triplet(0.5)},
		{"ntxent", contrastive.NTXent(0.2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tinyOptions()
			o.Batches, o.ImagesPerClass, o.BatchSize = BatchesClasses, 2, 8
			o.OneShotWay, o.OneShotTrials, o.SelectBy = 4, 200, SelectOneShot
			l := newBandLoop(t, o, tc.loss)
			st, err := l.Run(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			best := st.History[st.BestEpoch-1]
			if best.OneShot < 0.9 || best.OneShotWay != 4 {
				t.Errorf("best epoch %d: %d-way one-shot %.3f on a separable task", st.BestEpoch, best.OneShotWay, best.OneShot)
			}
			if st.Pairs != o.Epochs*(o.PairsPerEpoch/o.BatchSize)*o.BatchSize {
				t.Errorf("%d images trained on, want %d", st.Pairs, o.Epochs*o.PairsPerEpoch)
			}
		})
	}
}

// Pair losses refuse nothing; batch-only losses refuse pair batches.
func TestBatchOnlyLossNeedsClassBatches(t *testing.T) {
	o := tinyOptions()
	l := newBandLoop(t, o, contrastive.NTXent(0.1))
	if _, err := l.Run(context.Background(), nil); err == nil {
		t.Fatal("ntxent on pair batches: no error")
	}
	o.Batches, o.ImagesPerClass = BatchesClasses, 2
	l = newBandLoop(t, o, contrastive.Huber(1, 0.5))
	if _, err := l.Run(context.Background(), nil); err == nil {
		t.Fatal("huber on class batches: no error")
	}
}

// The best epoch is the one that scores best under SelectBy.
func TestSelectBy(t *testing.T) {
	for _, sel := range []string{SelectLoss, SelectAccuracy, SelectOneShot} {
		o := tinyOptions()
		o.OneShotWay, o.OneShotTrials, o.SelectBy, o.LearningRate = 4, 100, sel, 0.003
		l := newBandLoop(t, o, contrastive.Contrastive(1))
		st, err := l.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		// The best score, a tie going to the lower validation loss.
		bestScore, bestLoss := math.Inf(1), math.Inf(1)
		want := 0
		for _, h := range st.History {
			if sc := score(sel, h); sc < bestScore || sc == bestScore && h.ValLoss < bestLoss {
				bestScore, bestLoss, want = sc, h.ValLoss, h.Epoch
			}
		}
		if st.BestEpoch != want {
			t.Errorf("select by %s: best epoch %d, want %d (history %+v)", sel, st.BestEpoch, want, st.History)
		}
	}
}

// TestLowerLossBreaksTies: of epochs with the same score, the one with the
// lower validation loss is better (a saturated one-shot accuracy ties).
func TestLowerLossBreaksTies(t *testing.T) {
	st := &State{BestEpoch: 2, History: []EpochResult{{Epoch: 1, ValLoss: 0.3}, {Epoch: 2, ValLoss: 0.2}}}
	for _, tc := range []struct {
		loss float64
		want bool
	}{{0.1, true}, {0.2, false}, {0.25, false}} {
		if got := lowerLoss(st, EpochResult{Epoch: 3, ValLoss: tc.loss}); got != tc.want {
			t.Errorf("loss %g against the best's 0.2: %t, want %t", tc.loss, got, tc.want)
		}
	}
	if lowerLoss(&State{}, EpochResult{ValLoss: 0}) {
		t.Error("no best epoch yet, yet a tie was broken")
	}
}

// A spent budget still gives one step and one measurement; a generous one
// runs every epoch.
func TestTimeBudget(t *testing.T) {
	o := tinyOptions()
	o.TimeBudget = time.Nanosecond
	st, err := newBandLoop(t, o, contrastive.Contrastive(1)).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 1 || st.Pairs != o.BatchSize || len(st.History) != 1 {
		t.Errorf("1ns budget: %d epochs, %d pairs; want 1 epoch of one step (%d pairs)", st.Epoch, st.Pairs, o.BatchSize)
	}
	o.TimeBudget = time.Hour
	st, err = newBandLoop(t, o, contrastive.Contrastive(1)).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != o.Epochs || st.Elapsed <= 0 {
		t.Errorf("1h budget: %d epochs (elapsed %gs), want %d", st.Epoch, st.Elapsed, o.Epochs)
	}
}

func TestLRAtProgress(t *testing.T) {
	o := LoopOptions{LearningRate: 1}
	tests := []struct {
		schedule string
		f, want  float64
	}{
		{"none", 0.7, 1},
		{"cosine", 0, 1},
		{"cosine", 0.5, 0.01 + 0.99*0.5},
		{"cosine", 1, 0.01},
		{"cosine", 2, 0.01}, // past the budget: stays at the floor
		{"step", 0.2, 1},
		{"step", 0.34, 0.1},
		{"step", 0.99, 0.01},
		{"step", 1, 0.01},
	}
	for _, tc := range tests {
		o.Schedule = tc.schedule
		if got := lrAtProgress(o, tc.f); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s at %g: %g, want %g", tc.schedule, tc.f, got, tc.want)
		}
	}
}

// The loss of a collapsed tower, worked by hand for 2 classes × 2 images:
// triplet pays its margin (up to the distance smoothing), contrastive half
// its margin squared (the dissimilar half), ntxent log 3 for each anchor
// (its one positive among three equal logits).
func TestCollapsedBatchLoss(t *testing.T) {
	tests := []struct {
		loss contrastive.Loss
		want float64
	}{
		{contrastive.Triplet(0.5), 0.5},
		{contrastive.Contrastive(1), 0.5 * (1 - math.Sqrt(1e-6)) * (1 - math.Sqrt(1e-6))},
		{contrastive.NTXent(0.1), math.Log(3)},
	}
	for _, tc := range tests {
		if got := collapsedBatchLoss(tc.loss.(contrastive.BatchLoss), 4, 2); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: %.12f, want %.12f", tc.loss.Name(), got, tc.want)
		}
	}
}

func TestFitClassBatches(t *testing.T) {
	tests := []struct {
		classes, batch, k int
		wantBatch, wantK  int
	}{
		{100, 64, 4, 64, 4}, // enough classes: unchanged
		{16, 64, 4, 64, 4},
		{6, 64, 4, 60, 10}, // 6 classes × 10 images
		{4, 64, 4, 64, 16},
	}
	for _, tc := range tests {
		o := Options{Log: io.Discard, Loop: LoopOptions{Batches: BatchesClasses, BatchSize: tc.batch, ImagesPerClass: tc.k}}
		o.fitClassBatches(tc.classes)
		if o.Loop.BatchSize != tc.wantBatch || o.Loop.ImagesPerClass != tc.wantK {
			t.Errorf("%d classes, %d × %d: got batch %d of %d per class, want %d of %d",
				tc.classes, tc.batch/tc.k, tc.k, o.Loop.BatchSize, o.Loop.ImagesPerClass, tc.wantBatch, tc.wantK)
		}
	}
}
