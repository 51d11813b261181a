package network

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refDense is y = x·w + b with x read as N×In.
func refDense(x, w, b []float64, n, in, out int) []float64 {
	y := make([]float64, n*out)
	for i := range n {
		for j := range out {
			var s float64
			if b != nil {
				s = b[j]
			}
			for p := range in {
				s += x[i*in+p] * w[p*out+j]
			}
			y[i*out+j] = s
		}
	}
	return y
}

func denseCase(xs []int, out int, bias bool) opCase {
	n, in := xs[0], size(xs)/xs[0]
	shapes := [][]int{xs, {in, out}}
	if bias {
		shapes = append(shapes, []int{out})
	}
	return opCase{
		name:   fmt.Sprintf("x%v_out%d_bias%t", xs, out, bias),
		shapes: shapes,
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			if bias {
				return Dense(in[0], in[1], in[2])
			}
			return Dense(in[0], in[1], nil)
		},
		ref: func(x [][]float64) []float64 {
			var b []float64
			if bias {
				b = x[2]
			}
			return refDense(x[0], x[1], b, n, in, out)
		},
	}
}

var denseCases = []opCase{
	denseCase([]int{2, 3, 4, 4}, 5, true), // a feature map, flattened
	denseCase([]int{3, 7}, 4, false),
	denseCase([]int{5, 6}, 3, true),
	denseCase([]int{1, 9}, 2, true),
}

func TestDenseForward(t *testing.T) {
	for i, c := range denseCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(700+i)) })
	}
}

func TestDenseGradient(t *testing.T) {
	for i, c := range denseCases {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(800+i)) })
	}
}

// TestDenseGradientKeepsInputShape: the input gradient of a flattened
// feature map comes back in the feature map's shape.
func TestDenseGradientKeepsInputShape(t *testing.T) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(2, 3, 2, 2), gorgonia.WithName("x"))
	w := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(12, 4), gorgonia.WithName("w"))
	y, err := Dense(x, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !y.Shape().Eq(tensor.Shape{2, 4}) {
		t.Errorf("output shape %v, want (2, 4)", y.Shape())
	}
	grads, err := y.Op().(*denseOp).SymDiff(gorgonia.Nodes{x, w}, y, y)
	if err != nil {
		t.Fatal(err)
	}
	if !grads[0].Shape().Eq(x.Shape()) || !grads[1].Shape().Eq(w.Shape()) {
		t.Errorf("gradient shapes %v, %v; want %v, %v", grads[0].Shape(), grads[1].Shape(), x.Shape(), w.Shape())
	}
}

func TestDenseShapeErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	node := func(name string, shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(g, tensor.Float32, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
	}
	x := node("x", 2, 3, 4)
	for _, tc := range []struct {
		name    string
		x, w, b *gorgonia.Node
	}{
		{"features mismatch", x, node("w1", 11, 5), nil},
		{"bias length", x, node("w2", 12, 5), node("b2", 4)},
		{"bias not a vector", x, node("w3", 12, 5), node("b3", 1, 5)},
		{"weight not a matrix", x, node("w4", 12, 5, 1), nil},
		{"1-D input", node("x5", 12), node("w5", 12, 5), nil},
	} {
		if _, err := Dense(tc.x, tc.w, tc.b); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
