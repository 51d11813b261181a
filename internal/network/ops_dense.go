package network

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
)

// Dense is the affine layer y = x·w + b. x is N×(anything) and is read as
// N×In in row-major order (so an N×C×H×W feature map is flattened the way
// PyTorch's flatten does), w is In×Out, b has Out entries or is nil for no
// bias; y is N×Out.
func Dense(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	const name = "dense"
	if err := checkFloat32Node(name, "input", x); err != nil {
		return nil, err
	}
	if err := checkFloat32Node(name, "weight", w); err != nil {
		return nil, err
	}
	if x.Dims() < 2 || w.Dims() != 2 {
		return nil, fmt.Errorf("%s: input %v must be N×(features) and weight %v In×Out", name, x.Shape(), w.Shape())
	}
	op := &denseOp{xDims: x.Dims(), bias: b != nil}
	inputs := gorgonia.Nodes{x, w}
	if b != nil {
		if err := checkFloat32Node(name, "bias", b); err != nil {
			return nil, err
		}
		if b.Dims() != 1 {
			return nil, fmt.Errorf("%s: bias %v must be 1-D", name, b.Shape())
		}
		inputs = append(inputs, b)
	}
	shapes := make([]tensor.Shape, len(inputs))
	for i, n := range inputs {
		shapes[i] = n.Shape()
	}
	if _, _, _, err := op.sizes(shapes...); err != nil {
		return nil, err
	}
	y, err := gorgonia.ApplyOp(op, inputs...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}

// denseOp computes y = x·w (+ b). Rows of x are split across goroutines,
// each running one Gemm on its block.
type denseOp struct {
	xDims int  // dimensions of x, for the type signature
	bias  bool // whether a third input b is present

	out []float32
}

// sizes checks the shapes of x, w (and b) and returns N, In and Out.
func (op *denseOp) sizes(shapes ...tensor.Shape) (n, in, out int, err error) {
	xs, ws := shapes[0], shapes[1]
	if len(xs) < 2 || len(ws) != 2 || xs[0] < 1 {
		return 0, 0, 0, fmt.Errorf("dense: input %v must be N×(features) and weight %v In×Out", xs, ws)
	}
	n, in, out = xs[0], xs.TotalSize()/xs[0], ws[1]
	if ws[0] != in {
		return 0, 0, 0, fmt.Errorf("dense: input %v has %d features per row, weight %v expects %d", xs, in, ws, ws[0])
	}
	if op.bias {
		if len(shapes) < 3 {
			return 0, 0, 0, fmt.Errorf("dense: bias shape missing")
		}
		if bs := shapes[2]; bs.TotalSize() != out || len(bs) != 1 {
			return 0, 0, 0, fmt.Errorf("dense: bias %v does not match weight %v (want %d entries)", bs, ws, out)
		}
	}
	return n, in, out, nil
}

func (op *denseOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op *denseOp) Type() hm.Type {
	if op.bias {
		return hm.NewFnType(tensorType(op.xDims), tensorType(2), tensorType(1), tensorType(2))
	}
	return hm.NewFnType(tensorType(op.xDims), tensorType(2), tensorType(2))
}

func (op *denseOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	shapes := make([]tensor.Shape, op.Arity())
	for i := range shapes {
		s, err := shapeArg("dense", ds, i)
		if err != nil {
			return nil, err
		}
		shapes[i] = s
	}
	n, _, out, err := op.sizes(shapes...)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{n, out}, nil
}

func (op *denseOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity("dense", len(inputs), op.Arity()); err != nil {
		return nil, err
	}
	x, xs, err := float32Input("dense", "input", inputs[0])
	if err != nil {
		return nil, err
	}
	w, ws, err := float32Input("dense", "weight", inputs[1])
	if err != nil {
		return nil, err
	}
	shapes := []tensor.Shape{xs, ws}
	var b []float32
	if op.bias {
		var bs tensor.Shape
		if b, bs, err = float32Input("dense", "bias", inputs[2]); err != nil {
			return nil, err
		}
		shapes = append(shapes, bs)
	}
	n, in, out, err := op.sizes(shapes...)
	if err != nil {
		return nil, err
	}
	op.out = grow(op.out, n*out)
	parallel.Range(n, workersFor(n), func(_, lo, hi int) {
		y := op.out[lo*out : hi*out]
		if b == nil {
			clear(y)
		} else {
			for r := 0; r < hi-lo; r++ {
				copy(y[r*out:(r+1)*out], b)
			}
		}
		// y[lo:hi] = x[lo:hi]·w + y, with y preloaded with the bias.
		beta := float32(0)
		if b != nil {
			beta = 1
		}
		linalg.Gemm(false, false, hi-lo, out, in, 1, x[lo*in:hi*in], in, w, out, beta, y, out)
	})
	return wrap(op.out, n, out), nil
}

func (op *denseOp) ReturnsPtr() bool      { return false }
func (op *denseOp) CallsExtern() bool     { return false }
func (op *denseOp) OverwritesInput() int  { return -1 }
func (op *denseOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "Dense", op.xDims, op.bias) }
func (op *denseOp) Hashcode() uint32      { return hashOf(op) }
func (op *denseOp) String() string        { return fmt.Sprintf("Dense{bias=%t}", op.bias) }

func (op *denseOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op *denseOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("dense: differentiate: got %d inputs, want %d", len(inputs), op.Arity())
	}
	x, w := inputs[0], inputs[1]
	dx, err := gorgonia.ApplyOp(&denseGradInputOp{xShape: x.Shape()}, w, grad)
	if err != nil {
		return nil, fmt.Errorf("dense input gradient: %w", err)
	}
	dw, err := gorgonia.ApplyOp(&denseGradWeightOp{xDims: op.xDims}, x, grad)
	if err != nil {
		return nil, fmt.Errorf("dense weight gradient: %w", err)
	}
	grads := gorgonia.Nodes{dx, dw}
	if op.bias {
		db, err := gorgonia.ApplyOp(&denseGradBiasOp{}, grad)
		if err != nil {
			return nil, fmt.Errorf("dense bias gradient: %w", err)
		}
		grads = append(grads, db)
	}
	return grads, nil
}

// denseGradInputOp is dL/dx = dL/dy · wᵀ, reshaped to x's shape (with the
// batch size taken from dL/dy). Inputs: w, dL/dy.
type denseGradInputOp struct {
	xShape tensor.Shape // shape of x at graph build; only its trailing dims are used

	out []float32
}

func (op *denseGradInputOp) shape(ws, gs tensor.Shape) (tensor.Shape, error) {
	if len(ws) != 2 || len(gs) != 2 || ws[1] != gs[1] {
		return nil, fmt.Errorf("dense input gradient: weight %v and output gradient %v do not match", ws, gs)
	}
	xs := op.xShape.Clone()
	xs[0] = gs[0]
	if xs.TotalSize() != gs[0]*ws[0] {
		return nil, fmt.Errorf("dense input gradient: weight %v does not fit input shape %v", ws, op.xShape)
	}
	return xs, nil
}

func (op *denseGradInputOp) Arity() int { return 2 }
func (op *denseGradInputOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), tensorType(len(op.xShape)))
}

func (op *denseGradInputOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	ws, err := shapeArg("dense input gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	gs, err := shapeArg("dense input gradient", ds, 1)
	if err != nil {
		return nil, err
	}
	return op.shape(ws, gs)
}

func (op *denseGradInputOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "dense input gradient"
	vals, shapes, err := float32Inputs(name, inputs, "weight", "output gradient")
	if err != nil {
		return nil, err
	}
	w, ws, dy, gs := vals[0], shapes[0], vals[1], shapes[1]
	xs, err := op.shape(ws, gs)
	if err != nil {
		return nil, err
	}
	n, in, out := gs[0], ws[0], ws[1]
	op.out = grow(op.out, n*in)
	parallel.Range(n, workersFor(n), func(_, lo, hi int) {
		// dx[lo:hi] (rows×In) = dy[lo:hi] (rows×Out) · wᵀ (Out×In)
		linalg.Gemm(false, true, hi-lo, in, out, 1, dy[lo*out:hi*out], out, w, out, 0, op.out[lo*in:hi*in], in)
	})
	return wrap(op.out, xs...), nil
}

func (op *denseGradInputOp) ReturnsPtr() bool      { return false }
func (op *denseGradInputOp) CallsExtern() bool     { return false }
func (op *denseGradInputOp) OverwritesInput() int  { return -1 }
func (op *denseGradInputOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "DenseGradInput", op.xShape) }
func (op *denseGradInputOp) Hashcode() uint32      { return hashOf(op) }
func (op *denseGradInputOp) String() string        { return "DenseGradInput" }

// denseGradWeightOp is dL/dw = xᵀ · dL/dy. Inputs: x, dL/dy. Rows of dL/dw
// (input features) are split across goroutines, so no reduction is needed.
type denseGradWeightOp struct {
	xDims int

	out []float32
}

func (op *denseGradWeightOp) shape(xs, gs tensor.Shape) (n, in, out int, err error) {
	if len(xs) < 2 || len(gs) != 2 || xs[0] != gs[0] || xs[0] < 1 {
		return 0, 0, 0, fmt.Errorf("dense weight gradient: input %v and output gradient %v do not match", xs, gs)
	}
	return xs[0], xs.TotalSize() / xs[0], gs[1], nil
}

func (op *denseGradWeightOp) Arity() int { return 2 }
func (op *denseGradWeightOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.xDims), tensorType(2), tensorType(2))
}

func (op *denseGradWeightOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("dense weight gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	gs, err := shapeArg("dense weight gradient", ds, 1)
	if err != nil {
		return nil, err
	}
	_, in, out, err := op.shape(xs, gs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{in, out}, nil
}

func (op *denseGradWeightOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "dense weight gradient"
	vals, shapes, err := float32Inputs(name, inputs, "input", "output gradient")
	if err != nil {
		return nil, err
	}
	x, xs, dy, gs := vals[0], shapes[0], vals[1], shapes[1]
	n, in, out, err := op.shape(xs, gs)
	if err != nil {
		return nil, err
	}
	op.out = grow(op.out, in*out)
	parallel.Range(in, workersFor(in), func(_, lo, hi int) {
		// dw[lo:hi] (rows×Out) = x[:, lo:hi]ᵀ · dy (N×Out)
		linalg.Gemm(true, false, hi-lo, out, n, 1, x[lo:], in, dy, out, 0, op.out[lo*out:hi*out], out)
	})
	return wrap(op.out, in, out), nil
}

func (op *denseGradWeightOp) ReturnsPtr() bool      { return false }
func (op *denseGradWeightOp) CallsExtern() bool     { return false }
func (op *denseGradWeightOp) OverwritesInput() int  { return -1 }
func (op *denseGradWeightOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "DenseGradWeight", op.xDims) }
func (op *denseGradWeightOp) Hashcode() uint32      { return hashOf(op) }
func (op *denseGradWeightOp) String() string        { return "DenseGradWeight" }

// denseGradBiasOp is dL/db = Σ_rows dL/dy. Input: dL/dy.
type denseGradBiasOp struct {
	out []float32
}

func (op *denseGradBiasOp) Arity() int    { return 1 }
func (op *denseGradBiasOp) Type() hm.Type { return hm.NewFnType(tensorType(2), tensorType(1)) }

func (op *denseGradBiasOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	gs, err := shapeArg("dense bias gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	if len(gs) != 2 {
		return nil, fmt.Errorf("dense bias gradient: output gradient %v must be 2-D", gs)
	}
	return tensor.Shape{gs[1]}, nil
}

func (op *denseGradBiasOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "dense bias gradient"
	vals, shapes, err := float32Inputs(name, inputs, "output gradient")
	if err != nil {
		return nil, err
	}
	dy, gs := vals[0], shapes[0]
	if len(gs) != 2 {
		return nil, fmt.Errorf("%s: output gradient %v must be 2-D", name, gs)
	}
	n, out := gs[0], gs[1]
	op.out = grow(op.out, out)
	clear(op.out)
	for r := 0; r < n; r++ {
		for j, v := range dy[r*out : (r+1)*out] {
			op.out[j] += v
		}
	}
	return wrap(op.out, out), nil
}

func (op *denseGradBiasOp) ReturnsPtr() bool      { return false }
func (op *denseGradBiasOp) CallsExtern() bool     { return false }
func (op *denseGradBiasOp) OverwritesInput() int  { return -1 }
func (op *denseGradBiasOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "DenseGradBias") }
func (op *denseGradBiasOp) Hashcode() uint32      { return hashOf(op) }
func (op *denseGradBiasOp) String() string        { return "DenseGradBias" }
