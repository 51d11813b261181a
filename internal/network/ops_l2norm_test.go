package network

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refL2Normalize is y_i = x_i/sqrt(|x_i|² + eps) row by row in float64,
// 0 for a zero row with eps = 0.
func refL2Normalize(x []float64, n int, eps float64) []float64 {
	d := len(x) / n
	y := make([]float64, len(x))
	for i := range n {
		var s float64
		for _, v := range x[i*d : (i+1)*d] {
			s += v * v
		}
		if s+eps == 0 {
			continue
		}
		for j, v := range x[i*d : (i+1)*d] {
			y[i*d+j] = v / math.Sqrt(s+eps)
		}
	}
	return y
}

func l2Case(shape []int, eps float32) opCase {
	return opCase{
		name:   fmt.Sprintf("x%v_eps%g", shape, eps),
		shapes: [][]int{shape},
		build:  func(in gorgonia.Nodes) (*gorgonia.Node, error) { return L2Normalize(in[0], eps) },
		ref:    func(in [][]float64) []float64 { return refL2Normalize(in[0], shape[0], float64(eps)) },
	}
}

var l2Cases = []opCase{
	l2Case([]int{4, 6}, 1e-6),
	l2Case([]int{3, 2, 2, 2}, 0), // a feature map, rows of 8
	l2Case([]int{2, 5}, 0.5),     // eps large enough to shorten the rows
	l2Case([]int{1, 1}, 1e-3),
	l2Case([]int{300, 128}, 1e-6), // above minParallelElems
}

func TestL2NormalizeForward(t *testing.T) {
	for i, c := range l2Cases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(1900+i)) })
	}
}

func TestL2NormalizeGradient(t *testing.T) {
	// The largest case is there for the parallel forward path; see
	// TestL2NormalizeParallelGradient for its backward.
	for i, c := range l2Cases[:4] {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(2000+i)) })
	}
}

// TestL2NormalizeUnitRows: with a small eps every output row has norm 1.
func TestL2NormalizeUnitRows(t *testing.T) {
	r := newRand(2100)
	const n, d = 7, 33
	x := uniform(r, n*d, -3, 3)
	y, err := opFor(&l2Norm{eps: 1e-12}).Do(wrap(x, n, d))
	if err != nil {
		t.Fatal(err)
	}
	v := float32s(t, y)
	for i := range n {
		var s float64
		for _, e := range v[i*d : (i+1)*d] {
			s += float64(e) * float64(e)
		}
		if math.Abs(math.Sqrt(s)-1) > 1e-6 {
			t.Errorf("row %d has norm %v, want 1", i, math.Sqrt(s))
		}
	}
}

// TestL2NormalizeHandComputed: (3, 4) normalises to (0.6, 0.8); for
// dL/dy = (1, 0) the gradient is ((1, 0) - 0.6·(0.6, 0.8))/5 =
// (0.128, -0.096). A zero row with eps = 0 gives 0 and gradient 0.
func TestL2NormalizeHandComputed(t *testing.T) {
	x := wrap([]float32{3, 4, 0, 0}, 2, 2)
	fwd := &l2Norm{}
	y, err := opFor(fwd).Do(x)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "y", float32s(t, y), []float64{0.6, 0.8, 0, 0}, 1e-7)
	dx, err := opFor(&l2NormGrad{fwd: fwd}).Do(x, wrap([]float32{1, 0, 1, 1}, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "dL/dx", float32s(t, dx), []float64{0.128, -0.096, 0, 0}, 1e-6)
}

// refL2NormalizeGrad is (g - y·(g·y))/s row by row in float64.
func refL2NormalizeGrad(x, g []float64, n int, eps float64) []float64 {
	d := len(x) / n
	y := refL2Normalize(x, n, eps)
	dx := make([]float64, len(x))
	for i := range n {
		var ss, dot float64
		for j := range d {
			ss += x[i*d+j] * x[i*d+j]
			dot += g[i*d+j] * y[i*d+j]
		}
		s := math.Sqrt(ss + eps)
		for j := range d {
			dx[i*d+j] = (g[i*d+j] - y[i*d+j]*dot) / s
		}
	}
	return dx
}

// TestL2NormalizeParallelGradient checks the row-parallel backward pass
// against the closed form, with and without a forward run first.
func TestL2NormalizeParallelGradient(t *testing.T) {
	r := newRand(2200)
	const n, d = 300, 128
	x, other, dy := uniform(r, n*d, -1, 1), uniform(r, n*d, -1, 1), uniform(r, n*d, -1, 1)
	want := refL2NormalizeGrad(to64(x), to64(dy), n, 1e-6)
	for _, forwardOn := range [][]float32{x, other} {
		fwd := &l2Norm{eps: 1e-6}
		if _, err := opFor(fwd).Do(wrap(forwardOn, n, d)); err != nil {
			t.Fatal(err)
		}
		got, err := opFor(&l2NormGrad{fwd: fwd}).Do(wrap(x, n, d), wrap(dy, n, d))
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "dL/dx", float32s(t, got), want, 1e-5)
	}
}

func TestL2NormalizeErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(2, 3), gorgonia.WithName("x"))
	for _, tc := range []struct {
		name string
		x    *gorgonia.Node
		eps  float32
		want string
	}{
		{"1-D input", gorgonia.NewVector(g, tensor.Float32, gorgonia.WithShape(3), gorgonia.WithName("v")), 0, "N×(features)"},
		{"float64 input", gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x64")), 0, "want float32"},
		{"negative eps", x, -1, "eps"},
		{"NaN eps", x, float32(math.NaN()), "eps"},
		{"infinite eps", x, float32(math.Inf(1)), "eps"},
	} {
		if _, err := L2Normalize(tc.x, tc.eps); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	v64 := tensor.New(tensor.WithShape(2, 3), tensor.Of(tensor.Float64))
	if _, err := opFor(&l2Norm{}).Do(v64); err == nil || !strings.Contains(err.Error(), "want float32") {
		t.Errorf("Do on float64 gave error %v, want a dtype error", err)
	}
	fwd := &l2Norm{}
	if _, err := opFor(&l2NormGrad{fwd: fwd}).Do(wrap(make([]float32, 6), 2, 3), wrap(make([]float32, 6), 3, 2)); err == nil {
		t.Error("gradient accepted an output gradient of another shape")
	}
}

// ExampleL2Normalize scales the row (3, 4) to unit length.
func ExampleL2Normalize() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float32{3, 4}))))
	y, err := L2Normalize(x, 0)
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
	fmt.Println(y.Shape(), y.Value().Data())
	// Output: (1, 2) [0.6 0.8]
}
