package network

// A network's first convolution followed by batch norm (the photos
// preset's stem: 3×3 at stride 2 on the colour image, then batch norm and
// ReLU) needs no input gradient, so its output gradient, batch norm's
// input gradient dL/dx = a·g + k·(x - μ) + b, has one reader: the kernel
// gradient, Σ_i col_i · dL/dy_i. Written by batch norm's op, that
// gradient went to memory (64×32×32×32 floats a tower at 64 px, 8 MiB)
// and came back for the product. convBNGradWeight computes it an image at
// a time into a scratch that the product then reads from cache: the
// same values, by the same kernels, summed in the same order. The photos
// preset's step (BenchmarkTrainStepPhotos, test binaries with and
// without, 20 runs in turn on a 2-core Zen 5) took 4.4% less time on two
// cores and 3.5% less on one (pairwise medians 0.956, 0.965).

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnAfter is the batch norm input gradient op that produced dy, the
// output gradient of convolution k, if an op of k's gradient may compute
// it where it reads it: a channels-last batch norm in training mode
// (bnCombine.rows), unless k keeps the two apart.
func (k *conv2D) bnAfter(dy *gorgonia.Node) *bnGradInputOp {
	bn, ok := dy.Op().(*bnGradInputOp)
	if !ok || k.bnGradApart || !bn.fwd.training || !bn.fwd.cl {
		return nil
	}
	return bn
}

// bnGradTakenIn is bnAfter for the kernel gradient of convolution k on
// input x, unfolded (convBNGradWeight): x must be the graph's input, whose
// gradient no program computes, so that nothing else reads dy, and the
// convolution unfolded channel-first, writing channels-last.
func (k *conv2D) bnGradTakenIn(x, w, dy *gorgonia.Node) *bnGradInputOp {
	bn := k.bnAfter(dy)
	if bn == nil || x.Op() != nil || !k.outCL {
		return nil
	}
	if g, err := k.geometry(x.Shape(), w.Shape()); err != nil || !g.useIm2col() {
		return nil
	}
	return bn
}

// convBNGradWeight is conv2DGradWeight whose output gradient is the input
// gradient of the batch norm after it, computed here. Inputs: x, then
// batch norm's input gradient op's (its input, γ, dL/dy, dL/dγ, dL/dβ).
type convBNGradWeight struct {
	grad *conv2DGradWeight
	bn   *bnGradInputOp
}

func (k *convBNGradWeight) name() string { return "conv2d kernel gradient (through batch norm)" }
func (k *convBNGradWeight) inputs() []string {
	return append([]string{"input"}, bnGradInputNames()...)
}

func (k *convBNGradWeight) shape(in []tensor.Shape) (tensor.Shape, error) {
	if !in[1].Eq(in[3]) {
		return nil, fmt.Errorf("%s: batch norm input %v and output gradient %v differ in shape", k.name(), in[1], in[3])
	}
	return k.grad.shape([]tensor.Shape{in[0], in[1]})
}

func (k *convBNGradWeight) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x := in[0]
	g, err := k.grad.geometry(shapes[0], shapes[1])
	if err != nil {
		return nil, err
	}
	c, err := k.bn.prepare(in[1:], shapes[1:])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.name(), err)
	}
	chunks := max(1, min(g.n, gradChunks))
	k.grad.out = grow(k.grad.out, g.kernelSize())
	outSize, inSize := g.outSize(), g.inSize()
	kernelGradIm2col(k.grad.out, &k.grad.partial, &k.grad.buf, outSize, g, chunks, workersFor(chunks), func(i int, col, scratch []float32) []float32 {
		im2col(col, x[i*inSize:(i+1)*inSize], g)
		dy := scratch[:outSize]
		c.rows(dy, i*outSize, (i+1)*outSize)
		return dy
	}, true)
	return k.grad.out, nil
}
