package network

// One home for gorgonia's Op interface. An op of this package is a kernel:
// its name, the names of its inputs, the shape of its output, its forward
// pass and, when it has one, its gradient as graph nodes. apply wraps the
// kernel in an adapter that supplies everything else gorgonia asks of an op
// (arity, type, shape inference, hashing, input checks), the way spaGO's
// ag/fn ops are a Forward and a Backward and nothing more.
//
// The buffer rules of ops_common.go hold for kernels: forward returns a
// backing slice the kernel owns and rewrites completely on every call.

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernel is the maths of one op.
type kernel interface {
	// name prefixes every error of the op and is its String.
	name() string
	// inputs names the op's inputs, in order, for error messages; its
	// length is the op's arity.
	inputs() []string
	// shape checks the input shapes and returns the output shape. It runs
	// when the graph is built and again before every forward pass.
	shape(in []tensor.Shape) (tensor.Shape, error)
	// forward computes the output from contiguous float32 inputs whose
	// shapes shape has accepted; out is the shape it returned.
	forward(in [][]float32, shapes []tensor.Shape, out tensor.Shape) ([]float32, error)
}

// differentiable is a kernel with a gradient: given its input nodes, its
// output node and the gradient of the loss with respect to the output, it
// returns the gradient with respect to every input, built from other ops.
type differentiable interface {
	kernel
	backward(in gorgonia.Nodes, y, dy *gorgonia.Node) (gorgonia.Nodes, error)
}

// apply adds the op of kernel k on the given input nodes to their graph.
func apply(k kernel, in ...*gorgonia.Node) (*gorgonia.Node, error) {
	names := k.inputs()
	if len(in) != len(names) {
		return nil, fmt.Errorf("%s: got %d inputs, want %d", k.name(), len(in), len(names))
	}
	shapes := make([]tensor.Shape, len(in))
	dims := make([]int, len(in)+1)
	for i, n := range in {
		if err := checkFloat32Node(k.name(), names[i], n); err != nil {
			return nil, err
		}
		shapes[i], dims[i] = n.Shape(), n.Dims()
	}
	out, err := k.shape(shapes)
	if err != nil {
		return nil, err
	}
	dims[len(in)] = len(out)
	base := &kernelOp{k: k, dims: dims}
	var op gorgonia.Op = base
	if _, ok := k.(differentiable); ok {
		op = &diffKernelOp{base}
	}
	y, err := gorgonia.ApplyOp(op, in...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.name(), err)
	}
	return y, nil
}

// kernelOp is the gorgonia.Op of a kernel. dims holds the rank of every
// input and, last, of the output, as the graph had them when it was built.
type kernelOp struct {
	k    kernel
	dims []int
}

func (o *kernelOp) Arity() int { return len(o.k.inputs()) }

// Type spells the signature as gorgonia's own ops do: every tensor of one
// type variable, so float32 in gives float32 out.
func (o *kernelOp) Type() hm.Type {
	ts := make([]hm.Type, len(o.dims))
	for i, d := range o.dims {
		ts[i] = tensorType(d)
	}
	return hm.NewFnType(ts...)
}

func (o *kernelOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	shapes := make([]tensor.Shape, o.Arity())
	for i := range shapes {
		s, err := shapeArg(o.k.name(), ds, i)
		if err != nil {
			return nil, err
		}
		shapes[i] = s
	}
	return o.k.shape(shapes)
}

func (o *kernelOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	data, shapes, err := float32Inputs(o.k.name(), inputs, o.k.inputs()...)
	if err != nil {
		return nil, err
	}
	out, err := o.k.shape(shapes)
	if err != nil {
		return nil, err
	}
	y, err := o.k.forward(data, shapes, out)
	if err != nil {
		return nil, err
	}
	return wrap(y, out...), nil
}

func (o *kernelOp) ReturnsPtr() bool     { return false }
func (o *kernelOp) CallsExtern() bool    { return false }
func (o *kernelOp) OverwritesInput() int { return -1 }

// WriteHash includes the kernel's address: see writeOpHash.
func (o *kernelOp) WriteHash(h hash.Hash) { writeOpHash(h, o.k, o.String(), o.dims) }
func (o *kernelOp) Hashcode() uint32      { return hashOf(o) }

func (o *kernelOp) String() string {
	if s, ok := o.k.(fmt.Stringer); ok {
		return s.String()
	}
	return o.k.name()
}

// diffKernelOp adds gorgonia's symbolic differentiation to a kernel that
// has a gradient. Kernels without one (the gradient ops themselves) stay
// plain kernelOps, so gorgonia refuses to differentiate through them
// instead of getting a wrong answer.
type diffKernelOp struct{ *kernelOp }

// partial is a differentiable kernel that gives some of its inputs no
// gradient: differentiates says which get one.
type partial interface {
	differentiates() []bool
}

func (o *diffKernelOp) DiffWRT(inputs int) []bool {
	if p, ok := o.k.(partial); ok {
		return p.differentiates()
	}
	wrt := make([]bool, inputs)
	for i := range wrt {
		wrt[i] = true
	}
	return wrt
}

func (o *diffKernelOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != o.Arity() {
		return nil, fmt.Errorf("%s: differentiate: got %d inputs, want %d", o.k.name(), len(inputs), o.Arity())
	}
	d, err := o.k.(differentiable).backward(inputs, output, grad)
	if err != nil {
		return nil, fmt.Errorf("%s gradient: %w", o.k.name(), err)
	}
	return d, nil
}
