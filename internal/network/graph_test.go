package network

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// smallSpec is a tower small enough for finite differences on every layer kind.
func smallSpec() Spec {
	return Spec{Size: 8, Channels: 1, Layers: []Layer{
		{Kind: KindConv, Filters: 3, Kernel: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, Size: 2},
		{Kind: KindConv, Filters: 4, Kernel: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, Size: 2},
		{Kind: KindDense, Units: 5},
	}}
}

// richSpec has every layer kind, dropout included.
func richSpec() Spec {
	return Spec{Size: 8, Channels: 1, Layers: []Layer{
		{Kind: KindConv, Filters: 3, Kernel: 3},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindMaxPool, Size: 2},
		{Kind: KindDense, Units: 6},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindDropout, Rate: 0.3},
		{Kind: KindDense, Units: 5},
		{Kind: KindL2Norm},
	}}
}

// The training graph's gradients, summed over both twin branches by
// gorgonia, must match central finite differences of the whole pair loss
// for every parameter tensor, run after run (buffers are reused).
func TestPairGraphGradientFiniteDifference(t *testing.T) {
	// Batch norm over a batch of 4 bends the loss sharply, so its case
	// needs a smaller step to stay on one side of every ReLU and max kink.
	cases := []struct {
		lossName string
		spec     Spec
		h        float32
	}{
		{"contrastive", smallSpec(), 1e-3}, {"huber", smallSpec(), 1e-3}, {"mse", smallSpec(), 1e-3},
		{"contrastive", richSpec(), 1e-4},
		{"contrastive", photoSpec(), 1e-4},
		{"contrastive", clSmallSpec(), 1e-4},
		{"contrastive", poolSpec(), 1e-4},
	}
	for _, c := range cases {
		lossName := c.lossName
		net, err := New(c.spec, 3)
		if err != nil {
			t.Fatal(err)
		}
		loss, _ := contrastive.NewRegistry().New(lossName, contrastive.Params{Margin: 1, Delta: 0.3})
		const batch = 4
		pg, err := net.NewPairGraph(batch, loss.Node)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		per := c.spec.Channels * c.spec.Size * c.spec.Size
		for run := 0; run < 2; run++ {
			xa := make([]float32, batch*per)
			xb := make([]float32, batch*per)
			for i := range xa {
				xa[i], xb[i] = rng.Float32(), rng.Float32()
			}
			y := []float32{1, 0, 1, 0}
			lossAt := func() float64 {
				// The same dropout masks for every evaluation of this run.
				pg.SetMaskStream(1, run)
				l, _, err := pg.Step(xa, xb, y)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			lossAt()
			grads, err := pg.Grads()
			if err != nil {
				t.Fatal(err)
			}
			analytic := make([][]float32, len(grads))
			for i, g := range grads {
				analytic[i] = append([]float32(nil), g...)
			}
			for pi, p := range net.Params {
				for _, k := range []int{0, len(p.Data) / 2, len(p.Data) - 1} {
					h := c.h
					orig := p.Data[k]
					p.Data[k] = orig + h
					lp := lossAt()
					p.Data[k] = orig - h
					lm := lossAt()
					p.Data[k] = orig
					num := (lp - lm) / float64(2*h)
					got := float64(analytic[pi][k])
					if math.Abs(num-got) > 2e-3+0.05*math.Abs(num) {
						t.Errorf("%s run %d: d loss / d %s[%d] = %g, finite difference %g", lossName, run, p.Name, k, got, num)
					}
				}
			}
		}
	}
}
