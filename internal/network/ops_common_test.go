package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernelIn is the kernel that op runs, when op is one of this package's
// kernel ops (kernelOp, or diffKernelOp for one with a gradient).
func kernelIn(op gorgonia.Op) (kernel, bool) {
	switch o := op.(type) {
	case *kernelOp:
		return o.k, true
	case *diffKernelOp:
		return o.k, true
	}
	return nil, false
}

// opCase is one op under test: its inputs' shapes, how to build it on
// graph nodes, and a float64 reference of its forward pass. The same table
// drives the forward check and the finite-difference gradient check.
type opCase struct {
	name   string
	shapes [][]int
	// fill draws the values of input k; nil means uniform on [-1, 1).
	fill  func(r *rand.Rand, k, n int) []float32
	build func(in gorgonia.Nodes) (*gorgonia.Node, error)
	ref   func(in [][]float64) []float64
	// noGrad lists inputs excluded from the gradient check.
	noGrad map[int]bool
	// tol is the forward check's relative tolerance; 0 means 1e-5.
	tol float64
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func uniform(r *rand.Rand, n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float32()
	}
	return v
}

// awayFromZero is uniform on ±[0.1, 1): finite differences never step
// across the kink of ReLU.
func awayFromZero(r *rand.Rand, n int) []float32 {
	v := uniform(r, n, 0.1, 1)
	for i := range v {
		if r.IntN(2) == 0 {
			v[i] = -v[i]
		}
	}
	return v
}

// distinct holds n distinct values at least 0.01 apart, shuffled, so a
// finite-difference step never changes which element a max-pool picks.
func distinct(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i, p := range r.Perm(n) {
		v[i] = float32(p)*0.01 - float32(n)*0.005
	}
	return v
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func (c opCase) draw(r *rand.Rand) [][]float32 {
	in := make([][]float32, len(c.shapes))
	for k, s := range c.shapes {
		if c.fill != nil {
			in[k] = c.fill(r, k, size(s))
		} else {
			in[k] = uniform(r, size(s), -1, 1)
		}
	}
	return in
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func all64(in [][]float32) [][]float64 {
	out := make([][]float64, len(in))
	for i, v := range in {
		out[i] = to64(v)
	}
	return out
}

// inputNode makes a float32 input node whose value is backed by data.
func inputNode(g *gorgonia.ExprGraph, name string, shape []int, data []float32) *gorgonia.Node {
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return gorgonia.NewTensor(g, tensor.Float32, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name), gorgonia.WithValue(t))
}

func close32(got float32, want, tol float64) bool {
	return math.Abs(float64(got)-want) <= tol*(1+math.Abs(want))
}

func checkClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !close32(got[i], want[i], tol) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.7g, want %.7g", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values off", what, bad, len(got))
	}
}

func float32s(t *testing.T, v gorgonia.Value) []float32 {
	t.Helper()
	d, ok := v.Data().([]float32)
	if !ok {
		t.Fatalf("value data is %T, want []float32", v.Data())
	}
	return d
}

// buildCase draws c's inputs from r and builds c's op on them in a new
// graph: the graph, the inputs' data (each node's backing), their nodes
// and the output.
func buildCase(t *testing.T, c opCase, r *rand.Rand) (*gorgonia.ExprGraph, [][]float32, gorgonia.Nodes, *gorgonia.Node) {
	t.Helper()
	g := gorgonia.NewGraph()
	in := c.draw(r)
	nodes := make(gorgonia.Nodes, len(in))
	for k := range in {
		nodes[k] = inputNode(g, fmt.Sprintf("in%d", k), c.shapes[k], in[k])
	}
	y, err := c.build(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return g, in, nodes, y
}

// runForward builds the op on fresh inputs, runs a forward-only tape
// machine twice with different inputs and checks both outputs, so buffers
// reused across runs must be fully rewritten.
func runForward(t *testing.T, c opCase, seed uint64) {
	r := newRand(seed)
	g, in, _, y := buildCase(t, c, r)
	var yv gorgonia.Value
	gorgonia.Read(y, &yv)
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	for run := range 2 {
		if run > 0 {
			for k, v := range c.draw(r) {
				copy(in[k], v)
			}
		}
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		want := c.ref(all64(in))
		if !y.Shape().Eq(yv.Shape()) {
			t.Fatalf("run %d: output shape %v, node shape %v", run, yv.Shape(), y.Shape())
		}
		tol := c.tol
		if tol == 0 {
			tol = 1e-5
		}
		checkClose(t, fmt.Sprintf("run %d output", run), float32s(t, yv), want, tol)
	}
}

// fdGrad is the central-difference gradient of loss with respect to every
// element of input k, in float64.
func fdGrad(in [][]float64, k int, loss func([][]float64) float64) []float64 {
	const h = 1e-4
	grad := make([]float64, len(in[k]))
	for i := range in[k] {
		orig := in[k][i]
		in[k][i] = orig + h
		lp := loss(in)
		in[k][i] = orig - h
		lm := loss(in)
		in[k][i] = orig
		grad[i] = (lp - lm) / (2 * h)
	}
	return grad
}

// runGradient checks the gradient of L = Σ op(x)·r, r random and fixed,
// against finite differences of the float64 reference for every input,
// through gorgonia.Grad and a TapeMachine, on two consecutive runs with
// different inputs.
func runGradient(t *testing.T, c opCase, seed uint64) {
	r := newRand(seed)
	g, in, nodes, y := buildCase(t, c, r)
	var wrt gorgonia.Nodes
	for k := range in {
		if !c.noGrad[k] {
			wrt = append(wrt, nodes[k])
		}
	}
	weights := uniform(r, y.Shape().TotalSize(), -1, 1)
	rn := inputNode(g, "r", y.Shape(), weights)
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, rn))))
	if _, err := gorgonia.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(wrt...))
	defer m.Close()
	refLoss := func(x [][]float64) float64 {
		var s float64
		for i, v := range c.ref(x) {
			s += v * float64(weights[i])
		}
		return s
	}
	for run := range 2 {
		if run > 0 {
			for k, v := range c.draw(r) {
				copy(in[k], v)
			}
		}
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		x64 := all64(in)
		for k, n := range nodes {
			if c.noGrad[k] {
				continue
			}
			gv, err := n.Grad()
			if err != nil {
				t.Fatalf("run %d: gradient of input %d: %v", run, k, err)
			}
			checkClose(t, fmt.Sprintf("run %d dL/d(input %d)", run, k), float32s(t, gv), fdGrad(x64, k, refLoss), 2e-4)
			// The machine adds into the bound gradient; clear it for the next run.
			gv.(tensor.Tensor).Zero()
		}
	}
}

// TestOpsRejectFloat64 checks the dtype error of every public builder.
func TestOpsRejectFloat64(t *testing.T) {
	g := gorgonia.NewGraph()
	x64 := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(1, 1, 4, 4), gorgonia.WithName("x64"))
	w64 := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(1, 1, 3, 3), gorgonia.WithName("w64"))
	m64 := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("m64"))
	wd64 := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(16, 2), gorgonia.WithName("wd64"))
	for _, tc := range []struct {
		name  string
		build func() (*gorgonia.Node, error)
	}{
		{"Conv2D", func() (*gorgonia.Node, error) { return Conv2D(x64, w64, 1) }},
		{"MaxPool2D", func() (*gorgonia.Node, error) { return MaxPool2D(x64, 2) }},
		{"ReLU", func() (*gorgonia.Node, error) { return ReLU(x64) }},
		{"Dense", func() (*gorgonia.Node, error) { return Dense(x64, wd64, nil) }},
		{"Distance", func() (*gorgonia.Node, error) { return Distance(m64, m64, 0) }},
	} {
		if _, err := tc.build(); err == nil {
			t.Errorf("%s accepted float64 inputs", tc.name)
		} else if want := "want float32"; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, want)
		}
	}
}

// TestOpsDoRejectFloat64 checks the run-time dtype check of Do, which
// guards ops fed values that disagree with their graph types.
func TestOpsDoRejectFloat64(t *testing.T) {
	v := tensor.New(tensor.WithShape(1, 1, 4, 4), tensor.Of(tensor.Float64))
	m := tensor.New(tensor.WithShape(2, 3), tensor.Of(tensor.Float64))
	for _, tc := range []struct {
		name string
		op   gorgonia.Op
		in   []gorgonia.Value
	}{
		{"conv2d", opFor(&conv2D{pad: 1, stride: 1}), []gorgonia.Value{v, v}},
		{"maxpool2d", &maxPool2DOp{size: 2}, []gorgonia.Value{v}},
		{"relu", opFor(&relu{}), []gorgonia.Value{v}},
		{"dense", &denseOp{xDims: 2}, []gorgonia.Value{m, m}},
		{"distance", &distanceOp{}, []gorgonia.Value{m, m}},
	} {
		if _, err := tc.op.Do(tc.in...); err == nil || !strings.Contains(err.Error(), "want float32") {
			t.Errorf("%s: Do on float64 gave error %v, want a dtype error", tc.name, err)
		}
	}
}

// TestOpsSteadyStateAllocation runs conv, ReLU and pool forward and
// backward repeatedly and checks that, once warm, a step allocates only
// tensor headers and goroutine bookkeeping, not output-sized buffers.
func TestOpsSteadyStateAllocation(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	r := newRand(7)
	const n, c, h, o = 8, 16, 16, 32
	x := wrap(uniform(r, n*c*h*h, -1, 1), n, c, h, h)
	w := wrap(uniform(r, o*c*9, -1, 1), o, c, 3, 3)
	dy := wrap(uniform(r, n*o*h*h, -1, 1), n, o, h, h)
	dp := wrap(uniform(r, n*o*h*h/4, -1, 1), n, o, h/2, h/2)
	conv, gx, gw := convOps(1, 1, 3)
	relu, rg := opFor(&relu{}), opFor(&reluGrad{})
	pool := &maxPool2DOp{size: 2}
	pg := &maxPoolGradOp{fwd: pool}
	step := func() {
		y, err := conv.Do(x, w)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := relu.Do(y)
		if _, err := pool.Do(a); err != nil {
			t.Fatal(err)
		}
		if _, err := pg.Do(a, dp); err != nil {
			t.Fatal(err)
		}
		if _, err := rg.Do(a, dy); err != nil {
			t.Fatal(err)
		}
		if _, err := gx.Do(w, dy); err != nil {
			t.Fatal(err)
		}
		if _, err := gw.Do(x, dy); err != nil {
			t.Fatal(err)
		}
	}
	step() // warm: buffers are allocated here
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const steps = 20
	for range steps {
		step()
	}
	runtime.ReadMemStats(&after)
	perStep := (after.TotalAlloc - before.TotalAlloc) / steps
	// One conv output is 256 KiB; reallocating any op buffer would cost at
	// least that per step. The margin below it absorbs linalg's pooled
	// packing buffers, which a garbage collection may drop and refill.
	outBytes := uint64(n * o * h * h * 4)
	if perStep > outBytes/2 {
		t.Errorf("steady state allocates %d bytes per step; a conv output alone is %d", perStep, outBytes)
	}
}

// opFor is the gorgonia op of a kernel, for tests that call Do directly.
func opFor(k kernel) *kernelOp { return &kernelOp{k: k} }

// convOps are a convolution's forward, input-gradient and kernel-gradient
// ops for a k×k kernel, as SymDiff builds them for an input whose side
// the windows cover exactly.
func convOps(pad, stride, k int) (fwd, dx, dw *kernelOp) {
	c := &conv2D{pad: pad, stride: stride}
	return opFor(c), opFor(&conv2DGradInput{fwd: c}), opFor(&conv2DGradWeight{fwd: c, k: k})
}
