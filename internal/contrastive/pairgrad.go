package contrastive

// Plain-slice forms of the built-in pair losses, for the training step.
// Node builds a loss as a chain of gorgonia ops, and gorgonia's Grad
// differentiates it into another: about 25 ops on vectors of 64 distances,
// which took 124-133 µs of a 7 ms training step (28 px, batch 64, 2 cores)
// while the other tower waited, where the arithmetic is a few hundred
// flops. PairGrad computes the same loss and its gradient in one loop,
// op for op as the graph does: every float32 operation of the graph
// and of its derivative, in the graph's order, each rounded as it is
// (a product, a difference, the sum over the batch in index order, the
// mean as that sum divided by the count). So the loss and the gradient
// are the graph's to the bit (TestPairGradMatchesGraph), and a model
// trained either way is the same file.
//
// The comments name each quantity as the graph does; "inv" is the
// gradient of the mean with respect to each term, 1/n, which gorgonia
// repeats over the batch.

import (
	"fmt"
	"math"
)

// PairGrader is a pair loss that also computes itself on plain slices:
// PairGrad returns the mean loss over the batch of distances d and labels
// y and writes its gradient with respect to every distance into grad, the
// same values, bit for bit, as the graph that Node builds and its gradient
// (in float32). It panics if the lengths differ.
type PairGrader interface {
	PairGrad(d, y, grad []float32) float32
}

var (
	_ PairGrader = contrastiveLoss{}
	_ PairGrader = huberLoss{}
	_ PairGrader = mseLoss{}
)

func checkPairGrad(name string, d, y, grad []float32) {
	if len(d) != len(y) || len(d) != len(grad) {
		panic(fmt.Sprintf("%s loss: %d distances, %d labels and %d gradients", name, len(d), len(y), len(grad)))
	}
}

// In the loops below every product is converted to float32 on its own:
// a conversion rounds, so a compiler that fuses a multiply and an add
// into one instruction (Go may, on some targets) cannot skip a rounding
// the graph makes.

// Each loss takes one pass: the gradient of the mean, inv = 1/n, is known
// before the sum, and the sum adds its terms in index order either way.

// PairGrad is the contrastive loss mean(y·d² + (1-y)·relu(m-d)²), relu
// taken as (m-d)·[m-d >= 0], and its gradient
//
//	∂L/∂d_i = -([m-d >= 0]·((relu(m-d)·2)·((1-y)·inv))) + (d·2)·(y·inv).
func (l contrastiveLoss) PairGrad(d, y, grad []float32) float32 {
	checkPairGrad(NameContrastive, d, y, grad)
	m, n := float32(l.margin), float32(len(d))
	inv := 1 / n
	var sum float32
	for i, di := range d {
		r, mask := reluMask(m - di)
		pull := float32(y[i] * float32(di*di))
		push := float32((1 - y[i]) * float32(r*r))
		sum += pull + push
		fromPush := float32(mask * float32(float32(r*2)*float32((1-y[i])*inv)))
		fromPull := float32(float32(di*2) * float32(y[i]*inv))
		grad[i] = -fromPush + fromPull
	}
	return sum / n
}

// PairGrad is the Huber loss of a = d - (1-y)·m, with c = |a| - relu(|a|-δ)
// (min(|a|, δ)) and h = c·(|a| - ½c), and its gradient through c, the
// relu and |a| as the graph takes it:
//
//	g_c = (|a| - ½c)·inv + ½·(-(c·inv)),
//	∂L/∂d_i = ((c·inv + g_c) + [|a|-δ >= 0]·(-g_c))·sign(a).
func (l huberLoss) PairGrad(d, y, grad []float32) float32 {
	checkPairGrad(NameHuber, d, y, grad)
	m, delta, n := float32(l.margin), float32(l.delta), float32(len(d))
	inv := 1 / n
	var sum float32
	for i, di := range d {
		a := di - float32((1-y[i])*m)
		absA := abs32(a)
		over, mask := reluMask(absA - delta)
		c := absA - over
		inner := absA - float32(0.5*c)
		sum += float32(c * inner)
		gInner := float32(c * inv)
		gC := float32(inner*inv) + float32(0.5*(-gInner))
		gAbs := (gInner + gC) + float32(mask*(-gC))
		grad[i] = float32(gAbs * sign32(a))
	}
	return sum / n
}

// PairGrad is the mean squared error of a = d - (1-y)·m, and its gradient
// (a·2)·inv.
func (l mseLoss) PairGrad(d, y, grad []float32) float32 {
	checkPairGrad(NameMSE, d, y, grad)
	m, n := float32(l.margin), float32(len(d))
	inv := 1 / n
	var sum float32
	for i, di := range d {
		a := di - float32((1-y[i])*m)
		sum += float32(a * a)
		grad[i] = float32(float32(a*2) * inv)
	}
	return sum / n
}

// reluMask is the graph's relu of x, x·[x >= 0], and the mask [x >= 0]
// (0 for NaN, whose product with it stays NaN).
func reluMask(x float32) (relu, mask float32) {
	if x >= 0 {
		mask = 1
	}
	return float32(x * mask), mask
}

// abs32 is |x| with the sign bit cleared, as gorgonia's (math32.Abs).
func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

// sign32 is gorgonia's sign: -1 below 0, 1 above, and x itself otherwise
// (±0 and NaN).
func sign32(x float32) float32 {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return x
}
