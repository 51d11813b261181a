package network

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func refDistance(a, b []float64, n, dim int, eps float64) []float64 {
	out := make([]float64, n)
	for i := range n {
		var s float64
		for j := range dim {
			d := a[i*dim+j] - b[i*dim+j]
			s += d * d
		}
		out[i] = math.Sqrt(s + eps)
	}
	return out
}

func distanceCase(n, dim int, eps float32) opCase {
	return opCase{
		name:   fmt.Sprintf("%dx%d_eps%g", n, dim, eps),
		shapes: [][]int{{n, dim}, {n, dim}},
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			return Distance(in[0], in[1], eps)
		},
		ref: func(in [][]float64) []float64 { return refDistance(in[0], in[1], n, dim, float64(eps)) },
	}
}

var distanceCases = []opCase{
	distanceCase(4, 6, 1e-6),
	distanceCase(3, 5, 0),
	distanceCase(2, 128, 0.5),
}

func TestDistanceForward(t *testing.T) {
	for i, c := range distanceCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(900+i)) })
	}
}

func TestDistanceGradient(t *testing.T) {
	for i, c := range distanceCases {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(1000+i)) })
	}
}

// TestDistanceIdenticalRows: with eps = 0 the distance of equal rows is 0
// and its gradient is taken as 0 rather than 0/0; with eps > 0 it is
// sqrt(eps) and the gradient is exactly 0 as a - b = 0.
func TestDistanceIdenticalRows(t *testing.T) {
	a := []float32{1, 2, 3, 4}
	b := []float32{1, 2, 0, 0}
	dd := []float32{1, 1}
	for _, tc := range []struct {
		eps      float32
		wantD    []float64
		wantGrad []float64
	}{
		{0, []float64{0, 5}, []float64{0, 0, 0.6, 0.8}},
		{0.25, []float64{0.5, math.Sqrt(25.25)}, []float64{0, 0, 3 / math.Sqrt(25.25), 4 / math.Sqrt(25.25)}},
	} {
		op := &distanceOp{eps: tc.eps}
		d, err := op.Do(wrap(a, 2, 2), wrap(b, 2, 2))
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, fmt.Sprintf("eps %g distance", tc.eps), float32s(t, d), tc.wantD, 1e-6)
		for _, sign := range []float32{1, -1} {
			g, err := (&distanceGradOp{sign: sign}).Do(wrap(a, 2, 2), wrap(b, 2, 2), d, wrap(dd, 2))
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, len(tc.wantGrad))
			for i, v := range tc.wantGrad {
				want[i] = float64(sign) * v
			}
			checkClose(t, fmt.Sprintf("eps %g sign %g gradient", tc.eps, sign), float32s(t, g), want, 1e-6)
		}
	}
}

func TestDistanceErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	node := func(name string, shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(g, tensor.Float32, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
	}
	a := node("a", 4, 3)
	for _, tc := range []struct {
		name string
		b    *gorgonia.Node
		eps  float32
	}{
		{"shape mismatch", node("b1", 4, 2), 0},
		{"not a matrix", node("b2", 4, 3, 1), 0},
		{"negative eps", node("b3", 4, 3), -1},
	} {
		if _, err := Distance(a, tc.b, tc.eps); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// ExampleDistance: the rows (3, 0) and (0, 4) are 5 apart.
func ExampleDistance() {
	g := gorgonia.NewGraph()
	a := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithName("a"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{3, 0, 1, 1}))))
	b := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithName("b"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{0, 4, 1, 1}))))
	d, err := Distance(a, b, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Value().Data())
	// Output: [5 0]
}
