package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// The batch graph's weight gradients must match central finite differences
// of the whole batch loss, for every batch loss of the library.
func TestBatchGraphGradientFiniteDifference(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss contrastive.Loss
		spec Spec
	}{
		{"contrastive", contrastive.Contrastive(1.5), smallSpec()},
		{"triplet", contrastive.Triplet(1), smallSpec()},
		{"ntxent", contrastive.NTXent(0.5), smallSpec()},
		// Batch norm over the halves of a split batch: its statistics
		// and its gradient are the whole batch's.
		{"ntxent, batch norm", contrastive.NTXent(0.5), clSmallSpec()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := New(tc.spec, 5)
			if err != nil {
				t.Fatal(err)
			}
			const batch = 6
			bg, err := net.NewBatchGraph(batch, tc.loss.(contrastive.BatchLoss).Batch)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(9, 9))
			x := make([]float32, batch*tc.spec.Channels*tc.spec.Size*tc.spec.Size)
			for i := range x {
				x[i] = rng.Float32()
			}
			labels := []int{0, 0, 1, 1, 2, 2}
			lossAt := func() float64 {
				l, err := bg.Step(x, labels)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			if l := lossAt(); l <= 0 {
				t.Fatalf("loss %g on random weights, want > 0", l)
			}
			grads, err := bg.Grads()
			if err != nil {
				t.Fatal(err)
			}
			analytic := make([][]float32, len(grads))
			for i, g := range grads {
				analytic[i] = append([]float32(nil), g...)
			}
			const h = 1e-3
			for pi, p := range net.Params {
				for _, k := range []int{0, len(p.Data) / 2, len(p.Data) - 1} {
					orig := p.Data[k]
					p.Data[k] = orig + h
					lp := lossAt()
					p.Data[k] = orig - h
					lm := lossAt()
					p.Data[k] = orig
					num := (lp - lm) / (2 * h)
					got := float64(analytic[pi][k])
					if math.Abs(num-got) > 2e-3+0.05*math.Abs(num) {
						t.Errorf("d loss / d %s[%d] = %g, finite difference %g", p.Name, k, got, num)
					}
				}
			}
		})
	}
}

// TestBatchGraphHalvesMatchWhole: a batch run in two halves side by side
// gives the loss, gradients and running statistics of the same batch run
// through one tower, batch norm included (its statistics are the whole
// batch's in both), step after step, at any number of cores.
func TestBatchGraphHalvesMatchWhole(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	ntxent := contrastive.NTXent(0.5).(contrastive.BatchLoss).Batch
	// richSpec without its dropout, whose masks fall on other elements in
	// halves.
	dense := richSpec()
	dense.Layers = slices.DeleteFunc(dense.Layers, func(l Layer) bool { return l.Kind == KindDropout })
	for name, spec := range map[string]Spec{"batch norm": dense, "photo": clSmallSpec(), "no batch norm": poolSpec()} {
		for _, batch := range []int{6, 7} {
			t.Run(fmt.Sprintf("%s/%d", name, batch), func(t *testing.T) {
				per := spec.Channels * spec.Size * spec.Size
				x := uniform(newRand(5), batch*per, 0, 1)
				labels := make([]int, batch)
				for i := range labels {
					labels[i] = i / 2
				}
				type result struct {
					loss  []float64
					grads [][]float32
					bufs  [][]float32
				}
				run := func(split bool, procs int) result {
					runtime.GOMAXPROCS(procs)
					net, err := New(spec, 2)
					if err != nil {
						t.Fatal(err)
					}
					bg, err := net.newBatchGraph(batch, ntxent, split)
					if err != nil {
						t.Fatal(err)
					}
					if got := bg.towers[1] != nil; got != split {
						t.Fatalf("split %v, want %v", got, split)
					}
					var r result
					for range 2 {
						l, err := bg.Step(x, labels)
						if err != nil {
							t.Fatal(err)
						}
						r.loss = append(r.loss, l)
					}
					gs, _ := bg.Grads()
					for _, g := range gs {
						r.grads = append(r.grads, append([]float32(nil), g...))
					}
					for _, b := range net.Buffers {
						r.bufs = append(r.bufs, append([]float32(nil), b.Data...))
					}
					return r
				}
				whole := run(false, 2)
				for _, procs := range []int{1, 2} {
					halves := run(true, procs)
					for i := range whole.loss {
						if math.Abs(halves.loss[i]-whole.loss[i]) > 1e-5 {
							t.Errorf("step %d: loss %v in halves, %v whole", i, halves.loss[i], whole.loss[i])
						}
					}
					for i := range whole.grads {
						checkClose(t, fmt.Sprintf("gradient %d", i), halves.grads[i], to64(whole.grads[i]), 2e-5)
					}
					for i := range whole.bufs {
						checkClose(t, "running statistics", halves.bufs[i], to64(whole.bufs[i]), 1e-6)
					}
				}
			})
		}
	}
}
