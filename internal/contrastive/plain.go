package contrastive

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Plain is a Loss given as two functions on plain numbers, the mean loss
// and its gradient, for callers who do not build gorgonia graphs (the public
// Go API). Node wraps them in one graph op: its forward pass calls Eval and
// its backward pass scales Grad by the incoming gradient, so the trainer
// differentiates through it like through a built-in loss.
type Plain struct {
	// LossName is returned by Name.
	LossName string
	// Parameters is returned by Params, for recording in the model file
	// and for mining, which needs the margin.
	Parameters Params
	// Eval is the mean loss over the batch.
	Eval func(d, y []float32) float64
	// Grad is ∂Eval/∂d_i for every pair; it must return len(d) values.
	Grad func(d, y []float32) []float32
}

// Name returns p.LossName.
func (p Plain) Name() string { return p.LossName }

// Params returns p.Parameters.
func (p Plain) Params() Params { return p.Parameters }

// Value calls p.Eval after the length check the built-in losses make.
// It panics if len(d) != len(y).
func (p Plain) Value(d, y []float32) float64 {
	if len(d) != len(y) {
		panic(fmt.Sprintf("%s loss: %d distances but %d labels", p.LossName, len(d), len(y)))
	}
	return p.Eval(d, y)
}

// Node builds the loss as one op on float32 vectors d and y.
func (p Plain) Node(d, y *G.Node) (*G.Node, error) {
	if p.Eval == nil || p.Grad == nil {
		return nil, fmt.Errorf("%s loss: needs both a value and a gradient function", p.LossName)
	}
	if err := checkInputs(p.LossName, d, y); err != nil {
		return nil, err
	}
	if d.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("%s loss: distances %q are %v, want float32", p.LossName, d.Name(), d.Dtype())
	}
	n, err := G.ApplyOp(&plainOp{loss: p}, d, y)
	if err != nil {
		return nil, fmt.Errorf("%s loss: build graph: %w", p.LossName, err)
	}
	return n, nil
}

// call runs f under Guard.
func (p Plain) call(what string, f func()) error { return Guard(p.LossName, what, f) }

// Guard runs f, a part (what: "value", "gradient") of the loss named name,
// and turns a panic in it into an error, so a bug in a user's loss ends
// training with a message instead of a crash.
func Guard(name, what string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s loss: %s panicked: %v", name, what, r)
		}
	}()
	f()
	return nil
}

func plainInputs(name string, inputs []G.Value, want int) ([][]float32, error) {
	if len(inputs) != want {
		return nil, fmt.Errorf("%s loss: got %d inputs, want %d", name, len(inputs), want)
	}
	out := make([][]float32, want)
	for i, v := range inputs {
		switch x := v.Data().(type) {
		case []float32:
			out[i] = x
		case float32: // the scalar incoming gradient
			out[i] = []float32{x}
		default:
			return nil, fmt.Errorf("%s loss: input %d holds %T, want float32", name, i, x)
		}
	}
	return out, nil
}

// plainOp is the forward op: (d, y) -> mean loss, a scalar.
type plainOp struct{ loss Plain }

func (op *plainOp) Arity() int { return 2 }
func (op *plainOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 1, Of: a}, G.TensorType{Dims: 1, Of: a}, a)
}
func (op *plainOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }

func (op *plainOp) Do(inputs ...G.Value) (G.Value, error) {
	in, err := plainInputs(op.loss.LossName, inputs, 2)
	if err != nil {
		return nil, err
	}
	var v float64
	if err := op.loss.call("value", func() { v = op.loss.Value(in[0], in[1]) }); err != nil {
		return nil, err
	}
	return G.NewF32(float32(v)), nil
}

func (op *plainOp) ReturnsPtr() bool     { return false }
func (op *plainOp) CallsExtern() bool    { return false }
func (op *plainOp) OverwritesInput() int { return -1 }
func (op *plainOp) WriteHash(h hash.Hash) {
	// The address keeps two losses from being merged into one node.
	fmt.Fprintf(h, "PlainLoss(%s)@%p", op.loss.LossName, op)
}
func (op *plainOp) Hashcode() uint32 { return hashOp(op) }
func (op *plainOp) String() string   { return fmt.Sprintf("PlainLoss{%s}", op.loss.LossName) }

// Labels are data, not parameters: only d gets a gradient.
func (op *plainOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *plainOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%s loss: differentiate: got %d inputs, want 2", op.loss.LossName, len(inputs))
	}
	dd, err := G.ApplyOp(&plainGradOp{loss: op.loss}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, fmt.Errorf("%s loss gradient: %w", op.loss.LossName, err)
	}
	return G.Nodes{dd, nil}, nil
}

// plainGradOp is (d, y, g) -> g·∂L/∂d, a vector like d.
type plainGradOp struct {
	loss Plain
	out  []float32
}

func (op *plainGradOp) Arity() int { return 3 }
func (op *plainGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	v := G.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(v, v, a, v)
}

func (op *plainGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) < 1 {
		return nil, fmt.Errorf("%s loss gradient: no input shapes", op.loss.LossName)
	}
	s, ok := ds[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s loss gradient: input shape is %T", op.loss.LossName, ds[0])
	}
	return s.Clone(), nil
}

func (op *plainGradOp) Do(inputs ...G.Value) (G.Value, error) {
	name := op.loss.LossName
	in, err := plainInputs(name, inputs, 3)
	if err != nil {
		return nil, err
	}
	d, y, g := in[0], in[1], in[2]
	if len(g) != 1 {
		return nil, fmt.Errorf("%s loss gradient: incoming gradient has %d values, want 1", name, len(g))
	}
	var grad []float32
	if err := op.loss.call("gradient", func() { grad = op.loss.Grad(d, y) }); err != nil {
		return nil, err
	}
	if len(grad) != len(d) {
		return nil, fmt.Errorf("%s loss: gradient has %d values for %d pairs", name, len(grad), len(d))
	}
	// A fresh backing each run would do; reusing one follows the network
	// ops' rule: Do overwrites all of its output.
	if cap(op.out) < len(d) {
		op.out = make([]float32, len(d))
	}
	op.out = op.out[:len(d)]
	for i, v := range grad {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%s loss: gradient of pair %d is %v (distance %v, label %v)", name, i, v, d[i], y[i])
		}
		op.out[i] = g[0] * v
	}
	return tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(op.out)), nil
}

func (op *plainGradOp) ReturnsPtr() bool     { return false }
func (op *plainGradOp) CallsExtern() bool    { return false }
func (op *plainGradOp) OverwritesInput() int { return -1 }
func (op *plainGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "PlainLossGrad(%s)@%p", op.loss.LossName, op)
}
func (op *plainGradOp) Hashcode() uint32 { return hashOp(op) }
func (op *plainGradOp) String() string   { return fmt.Sprintf("PlainLossGrad{%s}", op.loss.LossName) }

func hashOp(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
