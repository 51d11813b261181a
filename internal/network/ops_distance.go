package network

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Distance is the Euclidean distance between matching rows of a and b
// (both N×D), smoothed by eps: d_i = sqrt(Σ_j (a_ij - b_ij)² + eps). The
// result has N entries. Its gradient is ∂d_i/∂a_ij = (a_ij - b_ij)/d_i =
// -∂d_i/∂b_ij; eps > 0 keeps it finite when a row of a equals the row of b,
// and with eps = 0 such a row gets gradient 0.
func Distance(a, b *gorgonia.Node, eps float32) (*gorgonia.Node, error) {
	const name = "distance"
	if err := checkFloat32Node(name, "first input", a); err != nil {
		return nil, err
	}
	if err := checkFloat32Node(name, "second input", b); err != nil {
		return nil, err
	}
	if eps < 0 || math.IsNaN(float64(eps)) {
		return nil, fmt.Errorf("%s: eps %v, want >= 0", name, eps)
	}
	if _, _, err := distanceSize(a.Shape(), b.Shape()); err != nil {
		return nil, err
	}
	d, err := gorgonia.ApplyOp(&distanceOp{eps: eps}, a, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// distanceSize checks that a and b are both N×D and returns N and D.
func distanceSize(as, bs tensor.Shape) (n, dim int, err error) {
	if len(as) != 2 || !as.Eq(bs) {
		return 0, 0, fmt.Errorf("distance: inputs %v and %v must be N×D of equal shape", as, bs)
	}
	return as[0], as[1], nil
}

type distanceOp struct {
	eps float32

	out []float32
}

func (op *distanceOp) Arity() int { return 2 }
func (op *distanceOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), tensorType(1))
}

func (op *distanceOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	as, err := shapeArg("distance", ds, 0)
	if err != nil {
		return nil, err
	}
	bs, err := shapeArg("distance", ds, 1)
	if err != nil {
		return nil, err
	}
	n, _, err := distanceSize(as, bs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{n}, nil
}

func (op *distanceOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vals, shapes, err := float32Inputs("distance", inputs, "first input", "second input")
	if err != nil {
		return nil, err
	}
	a, as, b, bs := vals[0], shapes[0], vals[1], shapes[1]
	n, dim, err := distanceSize(as, bs)
	if err != nil {
		return nil, err
	}
	op.out = grow(op.out, n)
	pairDistances(op.out, a, b, dim, op.eps)
	return wrap(op.out, n), nil
}

// pairDistances sets d[i] = sqrt(‖a_i - b_i‖² + eps) for the rows of a
// and b, len(d) rows of dim floats each.
func pairDistances(d, a, b []float32, dim int, eps float32) {
	for i := range d {
		bi := b[i*dim : (i+1)*dim]
		var s float32
		for j, v := range a[i*dim : (i+1)*dim] {
			diff := v - bi[j]
			s += diff * diff
		}
		d[i] = float32(math.Sqrt(float64(s + eps)))
	}
}

func (op *distanceOp) ReturnsPtr() bool      { return false }
func (op *distanceOp) CallsExtern() bool     { return false }
func (op *distanceOp) OverwritesInput() int  { return -1 }
func (op *distanceOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "Distance", op.eps) }
func (op *distanceOp) Hashcode() uint32      { return hashOf(op) }
func (op *distanceOp) String() string        { return fmt.Sprintf("Distance{eps=%g}", op.eps) }

func (op *distanceOp) DiffWRT(inputs int) []bool { return []bool{true, true} }

func (op *distanceOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("distance: differentiate: got %d inputs, want 2", len(inputs))
	}
	a, b := inputs[0], inputs[1]
	da, err := gorgonia.ApplyOp(&distanceGradOp{sign: 1}, a, b, output, grad)
	if err != nil {
		return nil, fmt.Errorf("distance gradient: %w", err)
	}
	db, err := gorgonia.ApplyOp(&distanceGradOp{sign: -1}, a, b, output, grad)
	if err != nil {
		return nil, fmt.Errorf("distance gradient: %w", err)
	}
	return gorgonia.Nodes{da, db}, nil
}

// distanceGradOp is sign·(a_i - b_i)·g_i/d_i row by row: sign +1 gives
// dL/da, -1 gives dL/db. Inputs: a, b, d, dL/dd. Recomputing a-b is cheaper
// than keeping an N×D difference alive between forward and backward.
type distanceGradOp struct {
	sign float32

	out []float32
}

func (op *distanceGradOp) Arity() int { return 4 }
func (op *distanceGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(2), tensorType(2), tensorType(1), tensorType(1), tensorType(2))
}

func (op *distanceGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	as, err := shapeArg("distance gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	return as.Clone(), nil
}

func (op *distanceGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "distance gradient"
	vals, shapes, err := float32Inputs(name, inputs, "first input", "second input", "distance", "distance gradient")
	if err != nil {
		return nil, err
	}
	a, as, b, bs, d, g := vals[0], shapes[0], vals[1], shapes[1], vals[2], vals[3]
	n, dim, err := distanceSize(as, bs)
	if err != nil {
		return nil, err
	}
	if len(d) != n || len(g) != n {
		return nil, fmt.Errorf("%s: %d distances and %d gradients for %d rows", name, len(d), len(g), n)
	}
	op.out = grow(op.out, n*dim)
	pairDistanceGrad(op.out, a, b, d, g, dim, op.sign)
	return wrap(op.out, n, dim), nil
}

// pairDistanceGrad sets out to sign·∂L/∂a for the rows of a (sign 1) or
// ∂L/∂b (sign -1), from the distances d and g = ∂L/∂d: row i is
// sign·g_i/d_i·(a_i - b_i).
func pairDistanceGrad(out, a, b, d, g []float32, dim int, sign float32) {
	for i := range d {
		o := out[i*dim : (i+1)*dim]
		if d[i] == 0 {
			clear(o) // eps = 0 and a_i = b_i: take the zero subgradient
			continue
		}
		scale := sign * g[i] / d[i]
		bi := b[i*dim : (i+1)*dim]
		for j, v := range a[i*dim : (i+1)*dim] {
			o[j] = scale * (v - bi[j])
		}
	}
}

func (op *distanceGradOp) ReturnsPtr() bool      { return false }
func (op *distanceGradOp) CallsExtern() bool     { return false }
func (op *distanceGradOp) OverwritesInput() int  { return -1 }
func (op *distanceGradOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "DistanceGrad", op.sign) }
func (op *distanceGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *distanceGradOp) String() string        { return fmt.Sprintf("DistanceGrad{sign=%g}", op.sign) }
