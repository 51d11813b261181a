package network

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// L2Normalize scales every row of x to unit length: x is N×(anything), read
// as N×D row-major, and row i becomes
//
//	y_i = x_i / s_i,  s_i = sqrt(Σ_j x_ij² + eps).
//
// The result has x's shape. Its gradient is
//
//	dL/dx_i = (g_i - y_i·(g_i·y_i)) / s_i,  g = dL/dy,
//
// the part of g orthogonal to y_i, divided by the norm: moving x along y_i
// only rescales it, which normalisation undoes. eps > 0 keeps the gradient
// finite at x_i = 0; with eps = 0 a zero row maps to 0 with gradient 0.
func L2Normalize(x *gorgonia.Node, eps float32) (*gorgonia.Node, error) {
	const name = "l2normalize"
	if err := checkFloat32Node(name, "input", x); err != nil {
		return nil, err
	}
	if x.Dims() < 2 {
		return nil, fmt.Errorf("%s: input %v must be N×(features)", name, x.Shape())
	}
	if !(eps >= 0) || math.IsInf(float64(eps), 1) {
		return nil, fmt.Errorf("%s: eps %v, want a finite value >= 0", name, eps)
	}
	op := &l2NormOp{dims: x.Dims(), eps: eps}
	if _, _, err := l2Rows(x.Shape()); err != nil {
		return nil, err
	}
	y, err := gorgonia.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}

// l2Rows reads a shape as n rows of d values.
func l2Rows(xs tensor.Shape) (n, d int, err error) {
	if len(xs) < 2 || xs[0] < 1 || xs.TotalSize() < 1 {
		return 0, 0, fmt.Errorf("l2normalize: input %v must be N×(features), not empty", xs)
	}
	return xs[0], xs.TotalSize() / xs[0], nil
}

// parallelRows runs fn over row ranges, on several goroutines only when
// the tensor is large enough to pay for them.
func parallelRows(n, d int, fn func(lo, hi int)) {
	workers := 1
	if n*d >= minParallelElems {
		workers = workersFor(n)
	}
	parallelRange(n, workers, func(_, lo, hi int) { fn(lo, hi) })
}

// l2NormOp caches 1/s_i of every row for its gradient op.
type l2NormOp struct {
	dims int
	eps  float32

	out   []float32
	inv   []float32 // per row: 1/s_i, or 0 for a zero row with eps = 0
	invOf []float32 // the input inv was computed from
}

func (op *l2NormOp) Arity() int    { return 1 }
func (op *l2NormOp) Type() hm.Type { return hm.NewFnType(tensorType(op.dims), tensorType(op.dims)) }

func (op *l2NormOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("l2normalize", ds, 0)
	if err != nil {
		return nil, err
	}
	return xs.Clone(), nil
}

func (op *l2NormOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vals, shapes, err := float32Inputs("l2normalize", inputs, "input")
	if err != nil {
		return nil, err
	}
	x, xs := vals[0], shapes[0]
	n, d, err := l2Rows(xs)
	if err != nil {
		return nil, err
	}
	op.computeInv(x, n, d)
	op.out = grow(op.out, n*d)
	parallelRows(n, d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			inv, out := op.inv[i], op.out[i*d:(i+1)*d]
			for j, v := range x[i*d : (i+1)*d] {
				out[j] = v * inv
			}
		}
	})
	return wrap(op.out, xs...), nil
}

// computeInv fills inv with 1/s_i for every row of x.
func (op *l2NormOp) computeInv(x []float32, n, d int) {
	op.inv = grow(op.inv, n)
	parallelRows(n, d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			_, sq := sumAndSquares(x[i*d : (i+1)*d])
			s2 := sq + float64(op.eps)
			if s2 == 0 {
				op.inv[i] = 0
				continue
			}
			op.inv[i] = float32(1 / math.Sqrt(s2))
		}
	})
	op.invOf = x
}

// invFor returns the cached 1/s of x's rows, recomputing them if the cache
// holds another input (a gradient op run without its forward).
func (op *l2NormOp) invFor(x []float32, n, d int) []float32 {
	if !sameData(op.invOf, x) || len(op.inv) != n {
		op.computeInv(x, n, d)
	}
	return op.inv
}

func (op *l2NormOp) ReturnsPtr() bool      { return false }
func (op *l2NormOp) CallsExtern() bool     { return false }
func (op *l2NormOp) OverwritesInput() int  { return -1 }
func (op *l2NormOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "L2Normalize", op.dims, op.eps) }
func (op *l2NormOp) Hashcode() uint32      { return hashOf(op) }
func (op *l2NormOp) String() string        { return fmt.Sprintf("L2Normalize{eps=%g}", op.eps) }

func (op *l2NormOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *l2NormOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, fmt.Errorf("l2normalize: differentiate: got %d inputs, want 1", len(inputs))
	}
	dx, err := gorgonia.ApplyOp(&l2NormGradOp{fwd: op}, inputs[0], grad)
	if err != nil {
		return nil, fmt.Errorf("l2normalize gradient: %w", err)
	}
	return gorgonia.Nodes{dx}, nil
}

// l2NormGradOp is dL/dx. Inputs: x, dL/dy. It works from x and the cached
// 1/s rather than from y: with y_i = x_i/s_i the gradient is
//
//	dL/dx_i = g_i/s_i - x_i·(g_i·x_i)/s_i³,
//
// which needs no N×D value kept alive besides x, already an input.
type l2NormGradOp struct {
	fwd *l2NormOp

	out []float32
}

func (op *l2NormGradOp) Arity() int { return 2 }
func (op *l2NormGradOp) Type() hm.Type {
	t := tensorType(op.fwd.dims)
	return hm.NewFnType(t, t, t)
}

func (op *l2NormGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("l2normalize gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	return xs.Clone(), nil
}

func (op *l2NormGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "l2normalize gradient"
	vals, shapes, err := float32Inputs(name, inputs, "input", "output gradient")
	if err != nil {
		return nil, err
	}
	x, xs, dy, gs := vals[0], shapes[0], vals[1], shapes[1]
	if !xs.Eq(gs) {
		return nil, fmt.Errorf("%s: input %v and output gradient %v differ in shape", name, xs, gs)
	}
	n, d, err := l2Rows(xs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	inv := op.fwd.invFor(x, n, d)
	op.out = grow(op.out, n*d)
	parallelRows(n, d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xi, gi, out := x[i*d:(i+1)*d], dy[i*d:(i+1)*d], op.out[i*d:(i+1)*d]
			var dot float64
			for j, v := range xi {
				dot += float64(v) * float64(gi[j])
			}
			r := inv[i]
			k := float32(dot * float64(r) * float64(r) * float64(r))
			for j, v := range xi {
				out[j] = r*gi[j] - k*v
			}
		}
	})
	return wrap(op.out, xs...), nil
}

func (op *l2NormGradOp) ReturnsPtr() bool      { return false }
func (op *l2NormGradOp) CallsExtern() bool     { return false }
func (op *l2NormGradOp) OverwritesInput() int  { return -1 }
func (op *l2NormGradOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "L2NormalizeGrad", op.fwd.eps) }
func (op *l2NormGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *l2NormGradOp) String() string        { return fmt.Sprintf("L2NormalizeGrad{eps=%g}", op.fwd.eps) }
