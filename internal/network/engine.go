package network

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// engine is gorgonia's CPU engine with its addition of two float32
// tensors done by internal/linalg. Differentiation sums the gradients a
// node gets from several consumers with that addition (a residual block's
// input feeds its first convolution and its shortcut), and the tensor
// package does it in a scalar loop: 2.9% of the photos preset's training
// run, against a memory-bound vector pass. The sum of two floats does not
// depend on how it is computed, so the bits are the same either way.
type engine struct{ G.StandardEngine }

// Add is StdEng.Add, through linalg on whole float32 tensors of one
// shape into a reused tensor or in place; any other case, which gorgonia's
// training graphs do not make, goes to the standard engine.
func (e engine) Add(a, b tensor.Tensor, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	if out := addDense(a, b, opts); out != nil {
		return out, nil
	}
	return e.StandardEngine.Add(a, b, opts...)
}

// addDense does the additions engine.Add takes on and returns their
// result, or nil for the rest.
func addDense(a, b tensor.Tensor, opts []tensor.FuncOpt) tensor.Tensor {
	x, y := plainFloat32s(a), plainFloat32s(b)
	if x == nil || y == nil || len(x) != len(y) || !a.Shape().Eq(b.Shape()) {
		return nil
	}
	fo := tensor.ParseFuncOpts(opts...)
	reuse, incr := fo.IncrReuse()
	switch {
	case incr:
		return nil
	case reuse != nil:
		out := plainFloat32s(reuse)
		if out == nil || len(out) != len(x) {
			return nil
		}
		linalg.AddInto(out, x, y)
		return reuse
	case !fo.Safe():
		linalg.Add(x, y)
		return a
	}
	return nil
}

// plainFloat32s is the data of t if t is a float32 *tensor.Dense laid out
// plainly (no view, no iterator needed), else nil.
func plainFloat32s(t tensor.Tensor) []float32 {
	d, ok := t.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float32 || d.RequiresIterator() || d.IsScalar() {
		return nil
	}
	return d.Float32s()
}
