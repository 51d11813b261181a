package network

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
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
	if !(eps >= 0) || math.IsInf(float64(eps), 1) {
		return nil, fmt.Errorf("l2normalize: eps %v, want a finite value >= 0", eps)
	}
	return apply(&l2Norm{eps: eps}, x)
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
	parallel.Range(n, workers, func(_, lo, hi int) { fn(lo, hi) })
}

// l2Norm caches 1/s_i of every row for its gradient op.
type l2Norm struct {
	eps float32

	out   []float32
	inv   []float32 // per row: 1/s_i, or 0 for a zero row with eps = 0
	invOf []float32 // the input inv was computed from
}

func (k *l2Norm) name() string     { return "l2normalize" }
func (k *l2Norm) inputs() []string { return []string{"input"} }
func (k *l2Norm) String() string   { return fmt.Sprintf("L2Normalize{eps=%g}", k.eps) }

func (k *l2Norm) shape(in []tensor.Shape) (tensor.Shape, error) {
	if _, _, err := l2Rows(in[0]); err != nil {
		return nil, err
	}
	return in[0].Clone(), nil
}

func (k *l2Norm) forward(in [][]float32, _ []tensor.Shape, out tensor.Shape) ([]float32, error) {
	x := in[0]
	n, d, _ := l2Rows(out)
	k.computeInv(x, n, d)
	k.out = grow(k.out, n*d)
	parallelRows(n, d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			inv, out := k.inv[i], k.out[i*d:(i+1)*d]
			for j, v := range x[i*d : (i+1)*d] {
				out[j] = v * inv
			}
		}
	})
	return k.out, nil
}

// computeInv fills inv with 1/s_i for every row of x.
func (op *l2Norm) computeInv(x []float32, n, d int) {
	op.inv = grow(op.inv, n)
	parallelRows(n, d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			_, sq := linalg.SumSquares(x[i*d : (i+1)*d])
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
func (op *l2Norm) invFor(x []float32, n, d int) []float32 {
	if !sameData(op.invOf, x) || len(op.inv) != n {
		op.computeInv(x, n, d)
	}
	return op.inv
}

func (k *l2Norm) backward(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(&l2NormGrad{fwd: k}, in[0], dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// l2NormGrad is dL/dx. Inputs: x, dL/dy. It works from x and the cached
// 1/s rather than from y: with y_i = x_i/s_i the gradient is
//
//	dL/dx_i = g_i/s_i - x_i·(g_i·x_i)/s_i³,
//
// which needs no N×D value kept alive besides x, already an input.
type l2NormGrad struct {
	fwd *l2Norm

	out []float32
}

func (k *l2NormGrad) name() string     { return "l2normalize gradient" }
func (k *l2NormGrad) inputs() []string { return []string{"input", "output gradient"} }

func (k *l2NormGrad) shape(in []tensor.Shape) (tensor.Shape, error) {
	if !in[0].Eq(in[1]) {
		return nil, fmt.Errorf("%s: input %v and output gradient %v differ in shape", k.name(), in[0], in[1])
	}
	if _, _, err := l2Rows(in[0]); err != nil {
		return nil, fmt.Errorf("%s: %w", k.name(), err)
	}
	return in[0].Clone(), nil
}

func (k *l2NormGrad) forward(in [][]float32, _ []tensor.Shape, out tensor.Shape) ([]float32, error) {
	x, dy := in[0], in[1]
	n, d, _ := l2Rows(out)
	inv := k.fwd.invFor(x, n, d)
	k.out = grow(k.out, n*d)
	parallelRows(n, d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xi, gi, out := x[i*d:(i+1)*d], dy[i*d:(i+1)*d], k.out[i*d:(i+1)*d]
			var dot float64
			for j, v := range xi {
				dot += float64(v) * float64(gi[j])
			}
			r := inv[i]
			c := float32(dot * float64(r) * float64(r) * float64(r))
			for j, v := range xi {
				out[j] = r*gi[j] - c*v
			}
		}
	})
	return k.out, nil
}
