package contrastive

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// checkInputs rejects d and y that cannot form a batch of pair losses, so
// that shape mistakes surface when the graph is built rather than as an
// opaque failure inside the VM.
func checkInputs(name string, d, y *G.Node) error {
	if d == nil || y == nil {
		return fmt.Errorf("%s loss: nil distance or label node", name)
	}
	if d.Graph() != y.Graph() {
		return fmt.Errorf("%s loss: distances %q and labels %q are in different graphs", name, d.Name(), y.Name())
	}
	if !d.IsVector() || !y.IsVector() {
		return fmt.Errorf("%s loss: distances %q (shape %v) and labels %q (shape %v) must be vectors", name, d.Name(), d.Shape(), y.Name(), y.Shape())
	}
	if !d.Shape().Eq(y.Shape()) {
		return fmt.Errorf("%s loss: distances %q have shape %v but labels %q have shape %v", name, d.Name(), d.Shape(), y.Name(), y.Shape())
	}
	dt, yt := d.Dtype(), y.Dtype()
	if dt != yt {
		return fmt.Errorf("%s loss: distances %q are %v but labels %q are %v", name, d.Name(), dt, y.Name(), yt)
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("%s loss: distances %q are %v, want float32 or float64", name, d.Name(), dt)
	}
	return nil
}

// builder chains gorgonia operations and keeps the first error, so a loss
// reads as its formula instead of a ladder of error checks. Once an error is
// recorded every further operation returns nil and finish reports it.
type builder struct {
	dtype tensor.Dtype
	err   error
}

func newBuilder(dt tensor.Dtype) *builder { return &builder{dtype: dt} }

// constant makes a scalar constant of the graph's dtype; gorgonia refuses to
// mix a float64 constant into a float32 expression.
func (b *builder) constant(x float64) *G.Node {
	if b.dtype == tensor.Float32 {
		return G.NewConstant(float32(x))
	}
	return G.NewConstant(x)
}

func (b *builder) unary(op func(*G.Node) (*G.Node, error), a *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	n, err := op(a)
	b.err = err
	return n
}

func (b *builder) binary(op func(a, c *G.Node) (*G.Node, error), a, c *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	n, err := op(a, c)
	b.err = err
	return n
}

func (b *builder) add(a, c *G.Node) *G.Node { return b.binary(G.Add, a, c) }
func (b *builder) sub(a, c *G.Node) *G.Node { return b.binary(G.Sub, a, c) }
func (b *builder) mul(a, c *G.Node) *G.Node { return b.binary(G.HadamardProd, a, c) }
func (b *builder) square(a *G.Node) *G.Node { return b.unary(G.Square, a) }
func (b *builder) abs(a *G.Node) *G.Node    { return b.unary(G.Abs, a) }
func (b *builder) relu(a *G.Node) *G.Node   { return b.unary(G.Rectify, a) }

func (b *builder) mean(a *G.Node) *G.Node {
	return b.unary(func(n *G.Node) (*G.Node, error) { return G.Mean(n) }, a)
}

func (b *builder) finish(name string, n *G.Node) (*G.Node, error) {
	if b.err != nil {
		return nil, fmt.Errorf("%s loss: build graph: %w", name, b.err)
	}
	return n, nil
}
