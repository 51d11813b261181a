package network

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// Conv2D is a stride-1 2-D convolution (cross-correlation, as in PyTorch)
// with zero padding pad on every side and no bias: x is N×C×H×W, w is
// O×C×K×K, and the result is N×O×(H+2pad-K+1)×(W+2pad-K+1).
func Conv2D(x, w *gorgonia.Node, pad int) (*gorgonia.Node, error) {
	const name = "conv2d"
	if err := checkFloat32Node(name, "input", x); err != nil {
		return nil, err
	}
	if err := checkFloat32Node(name, "kernel", w); err != nil {
		return nil, err
	}
	if x.Dims() != 4 || w.Dims() != 4 {
		return nil, fmt.Errorf("%s: input %v and kernel %v must both be 4-D (N×C×H×W, O×C×K×K)", name, x.Shape(), w.Shape())
	}
	if pad < 0 {
		return nil, fmt.Errorf("%s: negative padding %d", name, pad)
	}
	op := &conv2DOp{pad: pad}
	if _, err := op.geometry(x.Shape(), w.Shape()); err != nil {
		return nil, err
	}
	y, err := gorgonia.ApplyOp(op, x, w)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}

// convGeometry is the shape bookkeeping of one stride-1 convolution.
type convGeometry struct {
	n, c, h, w int // input
	o, k, pad  int // kernel
	oh, ow     int // output plane
}

func (g convGeometry) inSize() int   { return g.c * g.h * g.w }    // one input image
func (g convGeometry) colRows() int  { return g.c * g.k * g.k }    // one patch
func (g convGeometry) outPlane() int { return g.oh * g.ow }        // one output channel
func (g convGeometry) outSize() int  { return g.o * g.outPlane() } // one output image
func (g convGeometry) colSize() int  { return g.colRows() * g.outPlane() }
func (g convGeometry) kernelSize() int {
	return g.o * g.colRows()
}

// conv2DOp is a stride-1 convolution computed as im2col and a matrix
// product per image.
type conv2DOp struct {
	pad int

	out []float32
	col []float32 // one image's columns per worker
}

// geometry checks an input and kernel shape against each other.
func (op *conv2DOp) geometry(xs, ws tensor.Shape) (convGeometry, error) {
	if len(xs) != 4 || len(ws) != 4 {
		return convGeometry{}, fmt.Errorf("conv2d: input %v and kernel %v must both be 4-D", xs, ws)
	}
	g := convGeometry{n: xs[0], c: xs[1], h: xs[2], w: xs[3], o: ws[0], k: ws[2], pad: op.pad}
	switch {
	case ws[1] != g.c:
		return g, fmt.Errorf("conv2d: kernel %v has %d input channels, input %v has %d", ws, ws[1], xs, g.c)
	case ws[2] != ws[3]:
		return g, fmt.Errorf("conv2d: kernel %v is not square", ws)
	case g.k < 1 || g.o < 1:
		return g, fmt.Errorf("conv2d: empty kernel %v", ws)
	}
	g.oh = g.h + 2*g.pad - g.k + 1
	g.ow = g.w + 2*g.pad - g.k + 1
	if g.oh < 1 || g.ow < 1 {
		return g, fmt.Errorf("conv2d: kernel %v with pad %d does not fit input %v", ws, g.pad, xs)
	}
	return g, nil
}

func (op *conv2DOp) Arity() int { return 2 }
func (op *conv2DOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}

func (op *conv2DOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("conv2d", ds, 0)
	if err != nil {
		return nil, err
	}
	ws, err := shapeArg("conv2d", ds, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geometry(xs, ws)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.n, g.o, g.oh, g.ow}, nil
}

func (op *conv2DOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vals, shapes, err := float32Inputs("conv2d", inputs, "input", "kernel")
	if err != nil {
		return nil, err
	}
	x, xs, w, ws := vals[0], shapes[0], vals[1], shapes[1]
	g, err := op.geometry(xs, ws)
	if err != nil {
		return nil, err
	}
	op.out = grow(op.out, g.n*g.outSize())
	rows, plane, colSize, outSize := g.colRows(), g.outPlane(), g.colSize(), g.outSize()
	// Unfold one image at a time into a per-worker buffer: its columns stay
	// in cache for the product that reads them, and memory holds one image's
	// columns per core instead of the whole batch's. The kernel gradient
	// unfolds again rather than keep these.
	workers, inSize := workersFor(g.n), g.inSize()
	op.col = grow(op.col, workers*colSize)
	parallelRange(g.n, workers, func(wk, lo, hi int) {
		col := op.col[wk*colSize : (wk+1)*colSize]
		for i := lo; i < hi; i++ {
			im2col(col, x[i*inSize:(i+1)*inSize], g)
			// out_i (O×OH·OW) = W (O×C·K·K) · col_i (C·K·K×OH·OW)
			linalg.Gemm(false, false, g.o, plane, rows, 1, w, rows, col, plane,
				0, op.out[i*outSize:(i+1)*outSize], plane)
		}
	})
	return wrap(op.out, g.n, g.o, g.oh, g.ow), nil
}

func (op *conv2DOp) ReturnsPtr() bool      { return false }
func (op *conv2DOp) CallsExtern() bool     { return false }
func (op *conv2DOp) OverwritesInput() int  { return -1 }
func (op *conv2DOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "Conv2D", op.pad) }
func (op *conv2DOp) Hashcode() uint32      { return hashOf(op) }
func (op *conv2DOp) String() string        { return fmt.Sprintf("Conv2D{pad=%d}", op.pad) }

func (op *conv2DOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *conv2DOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("conv2d: differentiate: got %d inputs, want 2", len(inputs))
	}
	x, w := inputs[0], inputs[1]
	dx, err := gorgonia.ApplyOp(&conv2DGradInputOp{fwd: op}, w, grad)
	if err != nil {
		return nil, fmt.Errorf("conv2d input gradient: %w", err)
	}
	dw, err := gorgonia.ApplyOp(&conv2DGradWeightOp{fwd: op}, x, grad)
	if err != nil {
		return nil, fmt.Errorf("conv2d kernel gradient: %w", err)
	}
	return gorgonia.Nodes{dx, dw}, nil
}

// im2col lays one image (C×H×W) out as a (C·K·K)×(OH·OW) matrix: row
// (c,ki,kj) holds x[c, oh+ki-pad, ow+kj-pad] for every output pixel, zero
// where that falls in the padding. A convolution is then one matrix
// product with the kernel seen as O×(C·K·K).
func im2col(col, img []float32, g convGeometry) {
	r := 0
	for c := 0; c < g.c; c++ {
		plane := img[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[r*g.outPlane() : (r+1)*g.outPlane()]
				r++
				// Output columns whose input column ow+kj-pad is inside the image.
				lo := max(0, g.pad-kj)
				hi := min(g.ow, g.w+g.pad-kj)
				for oh := 0; oh < g.oh; oh++ {
					dst := row[oh*g.ow : (oh+1)*g.ow]
					ih := oh + ki - g.pad
					if ih < 0 || ih >= g.h || lo >= hi {
						clear(dst)
						continue
					}
					clear(dst[:lo])
					src := plane[ih*g.w:]
					copy(dst[lo:hi], src[lo+kj-g.pad:hi+kj-g.pad])
					clear(dst[hi:])
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds every column entry back onto the
// input pixel it was copied from. img must be zeroed by the caller.
func col2im(img, col []float32, g convGeometry) {
	r := 0
	for c := 0; c < g.c; c++ {
		plane := img[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			for kj := 0; kj < g.k; kj++ {
				row := col[r*g.outPlane() : (r+1)*g.outPlane()]
				r++
				lo := max(0, g.pad-kj)
				hi := min(g.ow, g.w+g.pad-kj)
				if lo >= hi {
					continue
				}
				for oh := 0; oh < g.oh; oh++ {
					ih := oh + ki - g.pad
					if ih < 0 || ih >= g.h {
						continue
					}
					src := row[oh*g.ow+lo : oh*g.ow+hi]
					dst := plane[ih*g.w+lo+kj-g.pad : ih*g.w+hi+kj-g.pad]
					dst = dst[:len(src)] // lets the compiler drop the bounds check below
					for j, v := range src {
						dst[j] += v
					}
				}
			}
		}
	}
}

// conv2DGradInputOp computes dL/dx = col2im(Wᵀ · dL/dy) image by image.
// Inputs: w, dL/dy. It needs nothing cached by forward except the padding,
// and recovers H = OH - 2pad + K - 1 from the gradient's shape.
type conv2DGradInputOp struct {
	fwd *conv2DOp

	out []float32
	col []float32 // one colRows×outPlane scratch block per worker
}

func (op *conv2DGradInputOp) geometry(ws, gs tensor.Shape) (convGeometry, error) {
	if len(ws) != 4 || len(gs) != 4 {
		return convGeometry{}, fmt.Errorf("conv2d input gradient: kernel %v and output gradient %v must be 4-D", ws, gs)
	}
	if gs[1] != ws[0] {
		return convGeometry{}, fmt.Errorf("conv2d input gradient: output gradient %v has %d channels, kernel %v has %d", gs, gs[1], ws, ws[0])
	}
	k, pad := ws[2], op.fwd.pad
	xs := tensor.Shape{gs[0], ws[1], gs[2] - 2*pad + k - 1, gs[3] - 2*pad + k - 1}
	g, err := op.fwd.geometry(xs, ws)
	if err != nil {
		return g, fmt.Errorf("conv2d input gradient: %w", err)
	}
	return g, nil
}

func (op *conv2DGradInputOp) Arity() int { return 2 }
func (op *conv2DGradInputOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}

func (op *conv2DGradInputOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	ws, err := shapeArg("conv2d input gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	gs, err := shapeArg("conv2d input gradient", ds, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geometry(ws, gs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.n, g.c, g.h, g.w}, nil
}

func (op *conv2DGradInputOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "conv2d input gradient"
	vals, shapes, err := float32Inputs(name, inputs, "kernel", "output gradient")
	if err != nil {
		return nil, err
	}
	w, ws, dy, gs := vals[0], shapes[0], vals[1], shapes[1]
	g, err := op.geometry(ws, gs)
	if err != nil {
		return nil, err
	}
	workers := workersFor(g.n)
	op.out = grow(op.out, g.n*g.inSize())
	op.col = grow(op.col, workers*g.colSize())
	rows, plane, colSize, outSize, inSize := g.colRows(), g.outPlane(), g.colSize(), g.outSize(), g.inSize()
	parallelRange(g.n, workers, func(wk, lo, hi int) {
		col := op.col[wk*colSize : (wk+1)*colSize]
		for i := lo; i < hi; i++ {
			// dcol (C·K·K×OH·OW) = Wᵀ · dy_i (O×OH·OW)
			linalg.Gemm(true, false, rows, plane, g.o, 1,
				w, rows, dy[i*outSize:(i+1)*outSize], plane,
				0, col, plane)
			img := op.out[i*inSize : (i+1)*inSize]
			clear(img)
			col2im(img, col, g)
		}
	})
	return wrap(op.out, g.n, g.c, g.h, g.w), nil
}

func (op *conv2DGradInputOp) ReturnsPtr() bool     { return false }
func (op *conv2DGradInputOp) CallsExtern() bool    { return false }
func (op *conv2DGradInputOp) OverwritesInput() int { return -1 }
func (op *conv2DGradInputOp) WriteHash(h hash.Hash) {
	writeOpHash(h, op, "Conv2DGradInput", op.fwd.pad)
}
func (op *conv2DGradInputOp) Hashcode() uint32 { return hashOf(op) }
func (op *conv2DGradInputOp) String() string {
	return fmt.Sprintf("Conv2DGradInput{pad=%d}", op.fwd.pad)
}

// conv2DGradWeightOp computes dL/dW = Σ_i dL/dy_i · col_iᵀ. Inputs: x,
// dL/dy. It unfolds x again, one image at a time; each worker sums its images into
// a private O×(C·K·K) partial, and the partials are added at the end, so no
// two goroutines write the same memory.
type conv2DGradWeightOp struct {
	fwd *conv2DOp

	out     []float32 // also worker 0's partial sum
	partial []float32 // workers 1.. partial sums
	cols    []float32 // one image's columns per worker
}

func (op *conv2DGradWeightOp) geometry(xs, gs tensor.Shape) (convGeometry, error) {
	if len(xs) != 4 || len(gs) != 4 {
		return convGeometry{}, fmt.Errorf("conv2d kernel gradient: input %v and output gradient %v must be 4-D", xs, gs)
	}
	if gs[0] != xs[0] {
		return convGeometry{}, fmt.Errorf("conv2d kernel gradient: output gradient %v and input %v differ in batch size", gs, xs)
	}
	// Output side = input side + 2pad - K + 1, so K follows from both.
	k := xs[2] + 2*op.fwd.pad + 1 - gs[2]
	g, err := op.fwd.geometry(xs, tensor.Shape{gs[1], xs[1], k, k})
	if err != nil {
		return g, fmt.Errorf("conv2d kernel gradient: %w", err)
	}
	if g.oh != gs[2] || g.ow != gs[3] {
		return g, fmt.Errorf("conv2d kernel gradient: output gradient %v does not match input %v with pad %d", gs, xs, op.fwd.pad)
	}
	return g, nil
}

func (op *conv2DGradWeightOp) Arity() int { return 2 }
func (op *conv2DGradWeightOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}

func (op *conv2DGradWeightOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("conv2d kernel gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	gs, err := shapeArg("conv2d kernel gradient", ds, 1)
	if err != nil {
		return nil, err
	}
	g, err := op.geometry(xs, gs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.o, g.c, g.k, g.k}, nil
}

func (op *conv2DGradWeightOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "conv2d kernel gradient"
	vals, shapes, err := float32Inputs(name, inputs, "input", "output gradient")
	if err != nil {
		return nil, err
	}
	x, xs, dy, gs := vals[0], shapes[0], vals[1], shapes[1]
	g, err := op.geometry(xs, gs)
	if err != nil {
		return nil, err
	}
	size := g.kernelSize()
	workers := workersFor(g.n)
	op.out = grow(op.out, size)
	op.partial = grow(op.partial, (workers-1)*size)
	rows, plane, colSize, outSize, inSize := g.colRows(), g.outPlane(), g.colSize(), g.outSize(), g.inSize()
	// Unfold each image again into a per-worker buffer rather than keep the
	// forward pass's columns for the whole batch: the unfolding is cheap,
	// and one image's columns stay in cache for the product that reads them.
	op.cols = grow(op.cols, workers*colSize)
	parallelRange(g.n, workers, func(wk, lo, hi int) {
		col := op.cols[wk*colSize : (wk+1)*colSize]
		sum := op.out
		if wk > 0 {
			sum = op.partial[(wk-1)*size : wk*size]
		}
		if lo == hi {
			clear(sum)
			return
		}
		for i := lo; i < hi; i++ {
			beta := float32(1)
			if i == lo {
				beta = 0
			}
			im2col(col, x[i*inSize:(i+1)*inSize], g)
			// sum (O×C·K·K) += dy_i (O×OH·OW) · col_iᵀ
			linalg.Gemm(false, true, g.o, rows, plane, 1,
				dy[i*outSize:(i+1)*outSize], plane, col, plane,
				beta, sum, rows)
		}
	})
	for wk := 1; wk < workers; wk++ {
		for j, v := range op.partial[(wk-1)*size : wk*size] {
			op.out[j] += v
		}
	}
	return wrap(op.out, g.o, g.c, g.k, g.k), nil
}

func (op *conv2DGradWeightOp) ReturnsPtr() bool     { return false }
func (op *conv2DGradWeightOp) CallsExtern() bool    { return false }
func (op *conv2DGradWeightOp) OverwritesInput() int { return -1 }
func (op *conv2DGradWeightOp) WriteHash(h hash.Hash) {
	writeOpHash(h, op, "Conv2DGradWeight", op.fwd.pad)
}
func (op *conv2DGradWeightOp) Hashcode() uint32 { return hashOf(op) }
func (op *conv2DGradWeightOp) String() string {
	return fmt.Sprintf("Conv2DGradWeight{pad=%d}", op.fwd.pad)
}
