package network

// The end of a residual block: y = max(a + b, 0) elementwise, the block's
// branch a plus its shortcut b, then ReLU. Both inputs reach y with
// weight 1 wherever y > 0, so
//
//	dL/da = dL/db = dL/dy · [y > 0],
//
// one tensor serving both gradients (ReLU's gradient op, on the output).

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// AddReLU is max(a + b, 0) for two tensors of one shape.
func AddReLU(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(&addReLU{}, a, b)
}

type addReLU struct {
	out []float32
}

func (k *addReLU) name() string     { return "add+relu" }
func (k *addReLU) inputs() []string { return []string{"first input", "second input"} }

func (k *addReLU) shape(in []tensor.Shape) (tensor.Shape, error) {
	if !in[0].Eq(in[1]) || len(in[0]) == 0 {
		return nil, fmt.Errorf("%s: inputs %v and %v must be tensors of one shape", k.name(), in[0], in[1])
	}
	return in[0].Clone(), nil
}

func (k *addReLU) forward(in [][]float32, _ []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	a, b := in[0], in[1]
	k.out = grow(k.out, len(a))
	parallelElems(len(a), func(lo, hi int) { linalg.AddReLU(k.out[lo:hi], a[lo:hi], b[lo:hi]) })
	return k.out, nil
}

func (k *addReLU) backward(_ gorgonia.Nodes, y, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	d, err := apply(&reluGrad{}, y, dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{d, d}, nil
}
