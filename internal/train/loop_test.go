package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/siamese-dev/siamese/internal/augment"
	"github.com/siamese-dev/siamese/internal/contrastive"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/optimize"
)

func TestLearningRateSchedules(t *testing.T) {
	cases := []struct {
		schedule string
		epochs   int
		want     []float64 // lr of epochs 1..E with base 1
	}{
		{"none", 3, []float64{1, 1, 1}},
		// thirds of 6 epochs: 2 each
		{"step", 6, []float64{1, 1, 0.1, 0.1, 0.01, 0.01}},
		// ceil(4/3)=2 epochs per third
		{"step", 4, []float64{1, 1, 0.1, 0.1}},
		// lo + (1-lo)(1+cos(pi f))/2, lo=0.01, f = 0, 1/2, 1
		{"cosine", 3, []float64{1, 0.505, 0.01}},
		{"cosine", 1, []float64{1}},
	}
	for _, c := range cases {
		o := LoopOptions{Schedule: c.schedule, Epochs: c.epochs, LearningRate: 1}
		for e, want := range c.want {
			if got := lrAt(o, e+1); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s/%d epoch %d: lr %g, want %g", c.schedule, c.epochs, e+1, got, want)
			}
		}
	}
}

func TestClipNorm(t *testing.T) {
	g := [][]float32{{3}, {4}} // norm 5
	clipNorm(g, 10)
	if g[0][0] != 3 || g[1][0] != 4 {
		t.Errorf("norm under the limit changed: %v", g)
	}
	clipNorm(g, 1)
	if math.Abs(float64(g[0][0])-0.6) > 1e-6 || math.Abs(float64(g[1][0])-0.8) > 1e-6 {
		t.Errorf("clipped to %v, want [0.6 0.8]", g)
	}
}

// tinyData is two classes of 8×8 images: a bright left half or a bright
// right half, with seeded noise.
func tinyData(n int, seed uint64) *dataset.Images {
	rng := rand.New(rand.NewPCG(seed, 1))
	im := &dataset.Images{Size: 8, Channels: 1, Classes: []string{"left", "right"}}
	var pix []byte
	for i := 0; i < n; i++ {
		c := i % 2
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				v := 0.2 * rng.Float32()
				if (x < 4) == (c == 0) {
					v += 0.7
				}
				pix = append(pix, uint8(min(v, 1)*255+0.5))
			}
		}
		im.Labels = append(im.Labels, c)
		im.Paths = append(im.Paths, "x")
	}
	return dataset.NewImages(im.Size, im.Channels, pix, im.Labels, im.Paths, im.Classes)
}

func tinySpec() network.Spec {
	return network.Spec{Size: 8, Channels: 1, Layers: []network.Layer{
		{Kind: network.KindConv, Filters: 4, Kernel: 3}, {Kind: network.KindReLU},
		{Kind: network.KindMaxPool, Size: 2}, {Kind: network.KindDense, Units: 4},
	}}
}

type quietReporter struct{ warnings []string }

func (q *quietReporter) EpochStart(int, int, int)   {}
func (q *quietReporter) Step(int, float64, float64) {}
func (q *quietReporter) EpochEnd(EpochResult)       {}
func (q *quietReporter) Warn(m string)              { q.warnings = append(q.warnings, m) }

func newTinyLoop(t *testing.T, o LoopOptions, opt optimize.Optimizer) *Loop {
	t.Helper()
	net, err := network.New(tinySpec(), o.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if opt == nil {
		sizes := []int{}
		for _, p := range net.Params {
			sizes = append(sizes, len(p.Data))
		}
		if opt, err = optimize.New("adam", sizes, optimize.Options{LearningRate: o.LearningRate}); err != nil {
			t.Fatal(err)
		}
	}
	return &Loop{Net: net, Loss: contrastive.Contrastive(1), Train: tinyData(40, 1), Val: tinyData(20, 2),
		Opts: o, Optim: opt, Report: &quietReporter{}}
}

func tinyOptions() LoopOptions {
	return LoopOptions{Epochs: 4, BatchSize: 8, PairsPerEpoch: 64, ValPairs: 40, Optimizer: "adam",
		LearningRate: 0.01, Schedule: "none", Seed: 5, Mining: "random", MiningPool: 20, MiningFraction: 0.5}
}

// frozen is an optimiser that never moves: validation loss stays put, so
// every epoch after the first is a bad one.
type frozen struct{}

func (frozen) Step(_, _ [][]float32)               {}
func (frozen) SetLearningRate(float64)             {}
func (frozen) State() map[string][]float32         { return nil }
func (frozen) SetState(map[string][]float32) error { return nil }

func TestEarlyStopping(t *testing.T) {
	cases := []struct {
		patience, wantEpochs int
	}{
		{0, 4}, // off
		{1, 2},
		{2, 3},
		{5, 4}, // never reached
	}
	for _, c := range cases {
		o := tinyOptions()
		o.Patience = c.patience
		l := newTinyLoop(t, o, frozen{})
		st, err := l.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Epoch != c.wantEpochs || st.BestEpoch != 1 {
			t.Errorf("patience %d: ran %d epochs (best %d), want %d (best 1)", c.patience, st.Epoch, st.BestEpoch, c.wantEpochs)
		}
	}
}

// The loop learns the tiny task, keeps the best epoch's weights, and a run
// split in two (state carried over, as a checkpoint does) ends with the
// same weights as one run.
func TestLoopLearnsAndResumesExactly(t *testing.T) {
	for _, mining := range []string{"random", "semi-hard", "hard"} {
		o := tinyOptions()
		o.Mining = mining
		o.Augment = augment.Options{Shift: 1, Brightness: 0.1}
		whole := newTinyLoop(t, o, nil)
		st, err := whole.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		best := st.History[st.BestEpoch-1]
		if best.ValAccuracy < 0.9 {
			t.Errorf("%s: best val accuracy %.3f on a trivially separable task", mining, best.ValAccuracy)
		}

		second := newTinyLoop(t, o, nil)
		// Stop right after epoch 2, as Ctrl-C does, and carry the state
		// (current weights, optimiser moments, best so far) into a second
		// Run, as --resume does from the checkpoint.
		ctx, cancel := context.WithCancel(context.Background())
		second.AfterEpoch = func(s *State) error {
			if s.Epoch == 2 {
				cancel()
			}
			return nil
		}
		mid, err := second.Run(ctx, nil)
		if err != ErrInterrupted || mid.Epoch != 2 {
			t.Fatalf("%s: interrupted run returned epoch %d, %v", mining, mid.Epoch, err)
		}
		second.AfterEpoch = nil
		end, err := second.Run(context.Background(), mid)
		if err != nil {
			t.Fatal(err)
		}
		if end.BestEpoch != st.BestEpoch || end.Epoch != st.Epoch {
			t.Errorf("%s: resumed run best %d/%d epochs, whole run %d/%d", mining, end.BestEpoch, end.Epoch, st.BestEpoch, st.Epoch)
		}
		for i, p := range whole.Net.Params {
			if !slices.Equal(p.Data, second.Net.Params[i].Data) {
				t.Errorf("%s: %s differs between the whole and the resumed run", mining, p.Name)
			}
		}
	}
}

func TestAssembleBatches(t *testing.T) {
	o := tinyOptions()
	l := newTinyLoop(t, o, nil)
	ps, err := l.epochPairs(1, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	batches, stop := l.assemble(ps, 1)
	n := 0
	for b := range batches {
		for i := 0; i < o.BatchSize; i++ {
			p := ps[n*o.BatchSize+i]
			if !slices.Equal(b.xa[i*64:(i+1)*64], l.Train.Image(p.A)) || !slices.Equal(b.xb[i*64:(i+1)*64], l.Train.Image(p.B)) {
				t.Fatalf("batch %d row %d does not hold pair %+v", n, i, p)
			}
			if (b.y[i] == 1) != p.Similar {
				t.Fatalf("batch %d row %d label %v for %+v", n, i, b.y[i], p)
			}
		}
		b.done()
		n++
	}
	stop()
	if n != 3 {
		t.Errorf("%d batches of 8 from 24 pairs, want 3", n)
	}
	// Stopping early must not hang.
	batches, stop = l.assemble(ps, 1)
	<-batches
	stop()
}

// TestNewPairSet draws validation pairs: as many as asked where the images
// make enough distinct pairs of each kind, else each distinct pair of the
// scarcer kind once with as many of the other. 6 images of 2 classes make
// 6 similar and 9 dissimilar pairs.
func TestNewPairSet(t *testing.T) {
	for _, tc := range []struct{ images, asked, want int }{
		{6, 8, 8},   // 4 of each: enough
		{6, 12, 12}, // 6 similar: just enough
		{6, 14, 12}, // 7 similar asked, 6 made: 6 of each
		{6, 2000, 12},
		{40, 200, 200}, // 380 similar, 400 dissimilar
	} {
		ps, err := newPairSet(tinyData(tc.images, 1), tc.asked, 3)
		if err != nil {
			t.Fatal(err)
		}
		sim, seen := 0, map[[2]int]bool{}
		for _, p := range ps.pairs {
			if p.Similar {
				sim++
			}
			seen[[2]int{min(p.A, p.B), max(p.A, p.B)}] = true
		}
		if len(ps.pairs) != tc.want || sim != (tc.want+1)/2 {
			t.Errorf("%d images, %d pairs asked: %d pairs, %d similar; want %d, %d", tc.images, tc.asked, len(ps.pairs), sim, tc.want, (tc.want+1)/2)
		}
		if tc.want < tc.asked && len(seen) != len(ps.pairs) {
			t.Errorf("%d images, %d pairs asked: %d pairs repeat", tc.images, tc.asked, len(ps.pairs)-len(seen))
		}
	}
}
