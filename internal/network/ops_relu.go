package network

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// ReLU is max(x, 0) elementwise, on a tensor of any shape. Its gradient at
// exactly 0 is taken as 0, as in PyTorch.
func ReLU(x *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(&relu{}, x)
}

type relu struct {
	out []float32
}

func (k *relu) name() string     { return "relu" }
func (k *relu) inputs() []string { return []string{"input"} }

func (k *relu) shape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) == 0 {
		return nil, fmt.Errorf("relu: input is a scalar, want a tensor")
	}
	return in[0].Clone(), nil
}

func (k *relu) forward(in [][]float32, _ []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x := in[0]
	k.out = grow(k.out, len(x))
	parallelElems(len(x), func(lo, hi int) { linalg.ReLU(k.out[lo:hi], x[lo:hi]) })
	return k.out, nil
}

// backward passes the gradient where the output is positive. It reads the
// output rather than the input: y > 0 exactly when x > 0, and y is already
// kept alive for the next layer.
func (k *relu) backward(_ gorgonia.Nodes, y, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(&reluGrad{}, y, dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// reluGrad is dL/dx = dL/dy where y > 0, else 0. Inputs: y, dL/dy.
type reluGrad struct {
	out []float32
}

func (k *reluGrad) name() string     { return "relu gradient" }
func (k *reluGrad) inputs() []string { return []string{"output", "output gradient"} }

func (k *reluGrad) shape(in []tensor.Shape) (tensor.Shape, error) {
	if !in[0].Eq(in[1]) {
		return nil, fmt.Errorf("%s: output %v and its gradient %v differ in shape", k.name(), in[0], in[1])
	}
	return in[0].Clone(), nil
}

func (k *reluGrad) forward(in [][]float32, _ []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	y, dy := in[0], in[1]
	k.out = grow(k.out, len(y))
	parallelElems(len(y), func(lo, hi int) { linalg.PassPositive(k.out[lo:hi], y[lo:hi], dy[lo:hi]) })
	return k.out, nil
}
