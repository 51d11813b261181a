package contrastive

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// TestPairGradMatchesGraph: PairGrad gives the loss and gradient of the
// graph Node builds, differentiated by gorgonia, to the bit, on random
// batches and at every kink (d = m, |a| = δ, a = 0, d = 0).
func TestPairGradMatchesGraph(t *testing.T) {
	losses := []Loss{Contrastive(1), Contrastive(0.7), Huber(1, 0.3), Huber(2, 0.5), MSE(1), MSE(1.3)}
	rng := rand.New(rand.NewPCG(7, 8))
	type batch struct {
		name string
		d, y []float64
	}
	batches := []batch{
		{"kinks", []float64{0, 1, 1, 0.7, 0.7, 0.3, 1.3, 0.5, 1.5, 2, 1.7, 2.3, 0}, []float64{1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0}},
	}
	for _, n := range []int{1, 7, 64} {
		b := batch{name: "random", d: make([]float64, n), y: make([]float64, n)}
		for i := range n {
			b.d[i] = float64(float32(3 * rng.Float64()))
			b.y[i] = float64(rng.IntN(2))
		}
		batches = append(batches, b)
	}
	for _, l := range losses {
		for _, b := range batches {
			want := runGraph(t, l, tensor.Float32, b.d, b.y)
			d, y := to32(b.d), to32(b.y)
			grad := make([]float32, len(d))
			loss := l.(PairGrader).PairGrad(d, y, grad)
			name := l.Name() + "/" + b.name
			if math.Float32bits(loss) != math.Float32bits(float32(want.loss)) {
				t.Errorf("%s (%v): loss %v, graph %v", name, l.Params(), loss, float32(want.loss))
			}
			for i, g := range grad {
				if w := float32(want.grad[i]); math.Float32bits(g) != math.Float32bits(w) {
					t.Errorf("%s (%v): ∂loss/∂d[%d] at d=%v y=%v: %v, graph %v", name, l.Params(), i, d[i], y[i], g, w)
				}
			}
		}
	}
}

// TestPairGradHandComputed pins PairGrad to values worked by hand:
// contrastive m=1 on d = (0.5, 0.25) similar and dissimilar: loss
// (0.25 + 0.5625)/2 = 0.40625, gradient (2·0.5/2, -2·0.75/2) = (0.5, -0.75);
// MSE m=1 on d = 2 dissimilar: a = 1, loss 1, gradient 2; Huber m=1 δ=0.5
// on d = 2 dissimilar: a = 1 > δ, loss 0.5·(1 - 0.25) = 0.375, gradient 0.5.
func TestPairGradHandComputed(t *testing.T) {
	for _, tc := range []struct {
		loss     Loss
		d, y     []float32
		want     float32
		wantGrad []float32
	}{
		{Contrastive(1), []float32{0.5, 0.25}, []float32{1, 0}, 0.40625, []float32{0.5, -0.75}},
		{MSE(1), []float32{2}, []float32{0}, 1, []float32{2}},
		{Huber(1, 0.5), []float32{2}, []float32{0}, 0.375, []float32{0.5}},
	} {
		grad := make([]float32, len(tc.d))
		if got := tc.loss.(PairGrader).PairGrad(tc.d, tc.y, grad); got != tc.want {
			t.Errorf("%s: loss %v, want %v", tc.loss.Name(), got, tc.want)
		}
		for i := range grad {
			if grad[i] != tc.wantGrad[i] {
				t.Errorf("%s: gradient[%d] %v, want %v", tc.loss.Name(), i, grad[i], tc.wantGrad[i])
			}
		}
	}
}
