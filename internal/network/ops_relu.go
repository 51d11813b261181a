package network

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU is max(x, 0) elementwise, on a tensor of any shape. Its gradient at
// exactly 0 is taken as 0, as in PyTorch.
func ReLU(x *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkFloat32Node("relu", "input", x); err != nil {
		return nil, err
	}
	if x.Dims() < 1 {
		return nil, fmt.Errorf("relu: input %s is a scalar, want a tensor", x.Name())
	}
	y, err := gorgonia.ApplyOp(&reluOp{dims: x.Dims()}, x)
	if err != nil {
		return nil, fmt.Errorf("relu: %w", err)
	}
	return y, nil
}

type reluOp struct {
	dims int

	out []float32
}

func (op *reluOp) Arity() int    { return 1 }
func (op *reluOp) Type() hm.Type { return hm.NewFnType(tensorType(op.dims), tensorType(op.dims)) }

func (op *reluOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("relu", ds, 0)
	if err != nil {
		return nil, err
	}
	return xs.Clone(), nil
}

func (op *reluOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vals, shapes, err := float32Inputs("relu", inputs, "input")
	if err != nil {
		return nil, err
	}
	x, xs := vals[0], shapes[0]
	op.out = grow(op.out, len(x))
	parallelElems(len(x), func(lo, hi int) {
		out := op.out[lo:hi]
		for i, v := range x[lo:hi] {
			// Clear every bit when the sign bit is set: negatives (and -0)
			// become +0 without a data-dependent branch.
			b := math.Float32bits(v)
			out[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
	})
	return wrap(op.out, xs...), nil
}

func (op *reluOp) ReturnsPtr() bool      { return false }
func (op *reluOp) CallsExtern() bool     { return false }
func (op *reluOp) OverwritesInput() int  { return -1 }
func (op *reluOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "ReLU", op.dims) }
func (op *reluOp) Hashcode() uint32      { return hashOf(op) }
func (op *reluOp) String() string        { return "ReLU" }

func (op *reluOp) DiffWRT(inputs int) []bool { return []bool{true} }

// SymDiff passes the gradient where the output is positive. It reads the
// output rather than the input: y > 0 exactly when x > 0, and y is already
// kept alive for the next layer.
func (op *reluOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&reluGradOp{dims: op.dims}, output, grad)
	if err != nil {
		return nil, fmt.Errorf("relu gradient: %w", err)
	}
	return gorgonia.Nodes{dx}, nil
}

// reluGradOp is dL/dx = dL/dy where y > 0, else 0. Inputs: y, dL/dy.
type reluGradOp struct {
	dims int

	out []float32
}

func (op *reluGradOp) Arity() int { return 2 }
func (op *reluGradOp) Type() hm.Type {
	t := tensorType(op.dims)
	return hm.NewFnType(t, t, t)
}

func (op *reluGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	ys, err := shapeArg("relu gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	return ys.Clone(), nil
}

func (op *reluGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "relu gradient"
	vals, shapes, err := float32Inputs(name, inputs, "output", "output gradient")
	if err != nil {
		return nil, err
	}
	y, ys, dy, gs := vals[0], shapes[0], vals[1], shapes[1]
	if !ys.Eq(gs) {
		return nil, fmt.Errorf("%s: output %v and its gradient %v differ in shape", name, ys, gs)
	}
	op.out = grow(op.out, len(y))
	parallelElems(len(y), func(lo, hi int) {
		out, dy := op.out[lo:hi], dy[lo:hi]
		for i, v := range y[lo:hi] {
			// Select on the bit pattern: the compiler turns this into a
			// conditional move, where a float select would be a branch that
			// mispredicts on half of all activations.
			d := math.Float32bits(dy[i])
			if !(v > 0) {
				d = 0
			}
			out[i] = math.Float32frombits(d)
		}
	})
	return wrap(op.out, ys...), nil
}

func (op *reluGradOp) ReturnsPtr() bool      { return false }
func (op *reluGradOp) CallsExtern() bool     { return false }
func (op *reluGradOp) OverwritesInput() int  { return -1 }
func (op *reluGradOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "ReLUGrad", op.dims) }
func (op *reluGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *reluGradOp) String() string        { return "ReLUGrad" }
