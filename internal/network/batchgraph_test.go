package network

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// The batch graph's weight gradients must match central finite differences
// of the whole batch loss, for every batch loss of the library.
func TestBatchGraphGradientFiniteDifference(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss contrastive.Loss
	}{
		{"contrastive", contrastive.Contrastive(1.5)},
		{"triplet", contrastive.Triplet(1)},
		{"ntxent", contrastive.NTXent(0.5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := New(smallSpec(), 5)
			if err != nil {
				t.Fatal(err)
			}
			const batch = 6
			bg, err := net.NewBatchGraph(batch, tc.loss.(contrastive.BatchLoss).Batch)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(9, 9))
			x := make([]float32, batch*64)
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
