package network

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refBatchNorm is batch normalisation in float64, x read as N×C×S. With
// mean and variance nil it uses the batch statistics (biased variance),
// else the given ones.
func refBatchNorm(x, gamma, beta []float64, shape []int, mean, variance []float64, eps float64) []float64 {
	n, c := shape[0], shape[1]
	s := size(shape) / (n * c)
	m := float64(n * s)
	y := make([]float64, len(x))
	for ch := range c {
		at := func(i, j int) int { return (i*c+ch)*s + j }
		var mu, v float64
		if mean != nil {
			mu, v = mean[ch], variance[ch]
		} else {
			for i := range n {
				for j := range s {
					mu += x[at(i, j)]
				}
			}
			mu /= m
			for i := range n {
				for j := range s {
					d := x[at(i, j)] - mu
					v += d * d
				}
			}
			v /= m
		}
		for i := range n {
			for j := range s {
				y[at(i, j)] = gamma[ch]*(x[at(i, j)]-mu)/math.Sqrt(v+eps) + beta[ch]
			}
		}
	}
	return y
}

// batchNormCase is a training-mode case when st is nil (a fresh state per
// build), else an inference case on st's running statistics.
func batchNormCase(shape []int, st *BNState) opCase {
	c := shape[1]
	training := st == nil
	return opCase{
		name:   fmt.Sprintf("x%v_training%t", shape, training),
		shapes: [][]int{shape, {c}, {c}},
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			s := st
			if training {
				s = NewBNState(c)
			}
			return BatchNorm(in[0], in[1], in[2], s, training)
		},
		ref: func(in [][]float64) []float64 {
			if training {
				return refBatchNorm(in[0], in[1], in[2], shape, nil, nil, 1e-5)
			}
			return refBatchNorm(in[0], in[1], in[2], shape, to64(st.Mean), to64(st.Var), float64(st.Eps))
		},
	}
}

// runningState is a state with varied running statistics, seeded.
func runningState(seed uint64, c int) *BNState {
	r := newRand(seed)
	st := NewBNState(c)
	st.Mean = uniform(r, c, -0.5, 0.5)
	st.Var = uniform(r, c, 0.5, 2)
	st.Eps = 1e-3
	return st
}

var batchNormCases = []opCase{
	batchNormCase([]int{5, 3}, nil),       // 2-D: statistics over the batch
	batchNormCase([]int{2, 3, 4, 4}, nil), // 4-D: over batch and plane
	batchNormCase([]int{3, 2, 3, 5}, nil),
	batchNormCase([]int{2, 4}, nil), // the smallest batch that trains
	batchNormCase([]int{4, 3}, runningState(1, 3)),
	batchNormCase([]int{2, 3, 3, 4}, runningState(2, 3)),
	batchNormCase([]int{1, 2, 2, 2}, runningState(3, 2)), // one image: fine without batch statistics
}

func TestBatchNormForward(t *testing.T) {
	for i, c := range batchNormCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(1100+i)) })
	}
}

func TestBatchNormGradient(t *testing.T) {
	for i, c := range batchNormCases {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(1200+i)) })
	}
}

// TestBatchNormForwardParallel covers the channel-parallel path (a tensor
// above minParallelElems) against the reference, forward and backward, on
// one op instance run twice.
func TestBatchNormForwardParallel(t *testing.T) {
	r := newRand(1300)
	shape := []int{8, 6, 32, 32}
	st := NewBNState(6)
	fwd := &batchNormOp{dims: 4, training: true, st: st}
	gb := &bnGradShiftOp{fwd: fwd}
	gs, gx := &bnGradScaleOp{src: gb}, &bnGradInputOp{fwd: fwd}
	for run := range 2 {
		x, dy := uniform(r, size(shape), -1, 3), uniform(r, size(shape), -1, 1)
		gamma, beta := uniform(r, 6, 0.5, 2), uniform(r, 6, -1, 1)
		y, err := fwd.Do(wrap(x, shape...), wrap(gamma, 6), wrap(beta, 6))
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, fmt.Sprintf("run %d output", run), float32s(t, y), refBatchNorm(to64(x), to64(gamma), to64(beta), shape, nil, nil, 1e-5), 1e-5)
		dbeta, err := gb.Do(wrap(x, shape...), wrap(dy, shape...))
		if err != nil {
			t.Fatal(err)
		}
		dgamma, err := gs.Do(dbeta)
		if err != nil {
			t.Fatal(err)
		}
		dx, err := gx.Do(wrap(x, shape...), wrap(gamma, 6), wrap(dy, shape...), dgamma, dbeta)
		if err != nil {
			t.Fatal(err)
		}
		wx, wg, wb := refBatchNormGrad(to64(x), to64(gamma), to64(dy), shape, 1e-5)
		checkClose(t, fmt.Sprintf("run %d dL/dgamma", run), float32s(t, dgamma), wg, 1e-5)
		checkClose(t, fmt.Sprintf("run %d dL/dbeta", run), float32s(t, dbeta), wb, 1e-5)
		checkClose(t, fmt.Sprintf("run %d dL/dx", run), float32s(t, dx), wx, 1e-4)
	}
}

// refBatchNormGrad is the closed-form training-mode gradient in float64,
// written as the sums over the channel rather than the expanded form the
// op uses, so the two are independent.
func refBatchNormGrad(x, gamma, dy []float64, shape []int, eps float64) (dx, dgamma, dbeta []float64) {
	n, c := shape[0], shape[1]
	s := size(shape) / (n * c)
	m := float64(n * s)
	dx, dgamma, dbeta = make([]float64, len(x)), make([]float64, c), make([]float64, c)
	for ch := range c {
		var idx []int
		for i := range n {
			for j := range s {
				idx = append(idx, (i*c+ch)*s+j)
			}
		}
		var mu, v float64
		for _, k := range idx {
			mu += x[k]
		}
		mu /= m
		for _, k := range idx {
			v += (x[k] - mu) * (x[k] - mu)
		}
		r := 1 / math.Sqrt(v/m+eps)
		for _, k := range idx {
			dbeta[ch] += dy[k]
			dgamma[ch] += dy[k] * (x[k] - mu) * r
		}
		for _, k := range idx {
			xhat := (x[k] - mu) * r
			dx[k] = gamma[ch] * r * (dy[k] - dbeta[ch]/m - xhat*dgamma[ch]/m)
		}
	}
	return dx, dgamma, dbeta
}

// TestBatchNormRunningStats checks the running statistics after each of
// two training runs against values worked out by hand with momentum 0.1
// from Mean 0, Var 1. The 2-D case also checks the output of run 1.
func TestBatchNormRunningStats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape []int
		runs  [2][]float32
		// running mean and variance after run 1 and after run 2
		mean, variance [2][]float64
	}{
		{
			// Run 1: feature 0 is {1, 3}: mean 2, unbiased var 2; feature 1
			// {2, 6}: mean 4, var 8. Run 2: {0, 2}: 1, 2; {0, 4}: 2, 8.
			name:     "2-D",
			shape:    []int{2, 2},
			runs:     [2][]float32{{1, 2, 3, 6}, {0, 0, 2, 4}},
			mean:     [2][]float64{{0.2, 0.4}, {0.9*0.2 + 0.1, 0.9*0.4 + 0.2}},
			variance: [2][]float64{{0.9 + 0.2, 0.9 + 0.8}, {0.9*1.1 + 0.2, 0.9*1.7 + 0.8}},
		},
		{
			// Run 1: channel 0 is {1, 3, 5, 7}: mean 4, unbiased var 20/3;
			// channel 1 {0, 0, 2, -2}: mean 0, var 8/3. Run 2 adds 1 to
			// every value: the means move by 1, the variances stay.
			name:     "4-D",
			shape:    []int{2, 2, 1, 2},
			runs:     [2][]float32{{1, 3, 0, 0, 5, 7, 2, -2}, {2, 4, 1, 1, 6, 8, 3, -1}},
			mean:     [2][]float64{{0.4, 0}, {0.9*0.4 + 0.5, 0.1}},
			variance: [2][]float64{{0.9 + 2.0/3, 0.9 + 0.8/3}, {0.9*(0.9+2.0/3) + 2.0/3, 0.9*(0.9+0.8/3) + 0.8/3}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gorgonia.NewGraph()
			in := make([]float32, size(tc.shape))
			x := inputNode(g, "x", tc.shape, in)
			gamma := inputNode(g, "gamma", []int{2}, []float32{2, 1})
			beta := inputNode(g, "beta", []int{2}, []float32{0.5, 0})
			st := NewBNState(2)
			y, err := BatchNorm(x, gamma, beta, st, true)
			if err != nil {
				t.Fatal(err)
			}
			var yv gorgonia.Value
			gorgonia.Read(y, &yv)
			m := gorgonia.NewTapeMachine(g)
			defer m.Close()
			for run, data := range tc.runs {
				copy(in, data)
				m.Reset()
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				checkClose(t, fmt.Sprintf("run %d mean", run), st.Mean, tc.mean[run], 1e-6)
				checkClose(t, fmt.Sprintf("run %d variance", run), st.Var, tc.variance[run], 1e-6)
				if run == 0 && tc.name == "2-D" {
					// x̂ = ∓1/sqrt(1+eps) for feature 0, ∓2/sqrt(4+eps) for 1.
					a, b := 1/math.Sqrt(1+1e-5), 2/math.Sqrt(4+1e-5)
					checkClose(t, "run 0 output", float32s(t, yv), []float64{-2*a + 0.5, -b, 2*a + 0.5, b}, 1e-6)
				}
			}
		})
	}
}

// TestBatchNormSharedState: two training nodes on one state (the twin
// branches of a pair graph) each fold their batch in, in graph order.
func TestBatchNormSharedState(t *testing.T) {
	g := gorgonia.NewGraph()
	x1 := inputNode(g, "x1", []int{2, 1}, []float32{0, 2}) // mean 1, unbiased var 2
	x2 := inputNode(g, "x2", []int{2, 1}, []float32{4, 8}) // mean 6, unbiased var 8
	gamma := inputNode(g, "gamma", []int{1}, []float32{1})
	beta := inputNode(g, "beta", []int{1}, []float32{0})
	st := NewBNState(1)
	st.Momentum = 0.5
	y1, err := BatchNorm(x1, gamma, beta, st, true)
	if err != nil {
		t.Fatal(err)
	}
	y2, err := BatchNorm(x2, gamma, beta, st, true)
	if err != nil {
		t.Fatal(err)
	}
	if y1.Op().Hashcode() == y2.Op().Hashcode() {
		t.Error("two BatchNorm nodes have equal op hashes and could be merged")
	}
	gorgonia.Must(gorgonia.Add(y1, y2)) // one graph, both branches run
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// Momentum 0.5 from Mean 0, Var 1. x1 then x2: Mean 0.25·1 + 0.5·6,
	// Var 0.25 + 0.25·2 + 0.5·8; x2 then x1: Mean 0.25·6 + 0.5·1, Var
	// 0.25 + 0.25·8 + 0.5·2. The graph fixes one order; either is right.
	folded := func(mean, variance float64) bool {
		return close32(st.Mean[0], mean, 1e-6) && close32(st.Var[0], variance, 1e-6)
	}
	if !folded(3.25, 4.75) && !folded(2, 3.25) {
		t.Errorf("after two branches: mean %v, var %v; want both batches folded in", st.Mean[0], st.Var[0])
	}
}

// TestBatchNormInferenceLeavesState: inference runs read the running
// statistics and never change them, and see changes made between runs (a
// checkpoint restored into the shared slices).
func TestBatchNormInferenceLeavesState(t *testing.T) {
	g := gorgonia.NewGraph()
	x := inputNode(g, "x", []int{2, 2}, []float32{1, 2, 3, 4})
	gamma := inputNode(g, "gamma", []int{2}, []float32{1, 1})
	beta := inputNode(g, "beta", []int{2}, []float32{0, 0})
	st := &BNState{Mean: []float32{1, 2}, Var: []float32{4, 1}, Momentum: 0.1, Eps: 1e-5}
	y, err := BatchNorm(x, gamma, beta, st, false)
	if err != nil {
		t.Fatal(err)
	}
	var yv gorgonia.Value
	gorgonia.Read(y, &yv)
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	a, b := 1/math.Sqrt(4+1e-5), 1/math.Sqrt(1+1e-5)
	checkClose(t, "output", float32s(t, yv), []float64{0, 0, 2 * a, 2 * b}, 1e-6)
	checkClose(t, "mean", st.Mean, []float64{1, 2}, 0)
	checkClose(t, "variance", st.Var, []float64{4, 1}, 0)
	copy(st.Mean, []float32{0, 0})
	m.Reset()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	checkClose(t, "output after restore", float32s(t, yv), []float64{a, 2 * b, 3 * a, 4 * b}, 1e-6)
}

// TestBatchNormBackwardWithoutForward: gradient ops whose forward last saw
// another input recompute the statistics of theirs, without touching the
// running statistics.
func TestBatchNormBackwardWithoutForward(t *testing.T) {
	r := newRand(1400)
	shape := []int{3, 2, 2, 2}
	x, other, dy := uniform(r, 24, -1, 1), uniform(r, 24, -1, 1), uniform(r, 24, -1, 1)
	gamma, beta := uniform(r, 2, 0.5, 2), uniform(r, 2, -1, 1)
	st := NewBNState(2)
	fwd := &batchNormOp{dims: 4, training: true, st: st}
	if _, err := fwd.Do(wrap(other, shape...), wrap(gamma, 2), wrap(beta, 2)); err != nil {
		t.Fatal(err)
	}
	mean, variance := append([]float32(nil), st.Mean...), append([]float32(nil), st.Var...)
	shift := &bnGradShiftOp{fwd: fwd}
	dbeta, err := shift.Do(wrap(x, shape...), wrap(dy, shape...))
	if err != nil {
		t.Fatal(err)
	}
	dgamma, err := (&bnGradScaleOp{src: shift}).Do(dbeta)
	if err != nil {
		t.Fatal(err)
	}
	dx, err := (&bnGradInputOp{fwd: fwd}).Do(wrap(x, shape...), wrap(gamma, 2), wrap(dy, shape...), dgamma, dbeta)
	if err != nil {
		t.Fatal(err)
	}
	wx, wg, wb := refBatchNormGrad(to64(x), to64(gamma), to64(dy), shape, 1e-5)
	checkClose(t, "dL/dgamma", float32s(t, dgamma), wg, 1e-5)
	checkClose(t, "dL/dbeta", float32s(t, dbeta), wb, 1e-5)
	checkClose(t, "dL/dx", float32s(t, dx), wx, 1e-5)
	checkClose(t, "running mean", st.Mean, to64(mean), 0)
	checkClose(t, "running variance", st.Var, to64(variance), 0)
}

func TestBatchNormErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	node := func(dt tensor.Dtype, name string, shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
	}
	f32 := func(name string, shape ...int) *gorgonia.Node { return node(tensor.Float32, name, shape...) }
	x, c3 := f32("x", 4, 3, 2, 2), f32("c3", 3)
	bad := func(edit func(*BNState)) *BNState {
		st := NewBNState(3)
		edit(st)
		return st
	}
	for _, tc := range []struct {
		name         string
		x, gamma     *gorgonia.Node
		st           *BNState
		training     bool
		wantInErrMsg string
	}{
		{"float64 input", node(tensor.Float64, "x64", 4, 3), c3, NewBNState(3), true, "want float32"},
		{"1-D input", f32("x1", 6), c3, NewBNState(3), true, "N×C"},
		{"scale length", x, f32("c4", 4), NewBNState(3), true, "3 entries"},
		{"nil state", x, c3, nil, true, "state is nil"},
		{"state length", x, c3, NewBNState(2), false, "3 channels"},
		{"momentum", x, c3, bad(func(s *BNState) { s.Momentum = 1.5 }), true, "momentum"},
		{"zero eps", x, c3, bad(func(s *BNState) { s.Eps = 0 }), true, "eps"},
		{"NaN eps", x, c3, bad(func(s *BNState) { s.Eps = float32(math.NaN()) }), false, "eps"},
		{"one value per channel", f32("x2", 1, 3), c3, NewBNState(3), true, "at least 2"},
	} {
		_, err := BatchNorm(tc.x, tc.gamma, c3, tc.st, tc.training)
		if err == nil || !strings.Contains(err.Error(), tc.wantInErrMsg) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.wantInErrMsg)
		}
	}
	// A state replaced after the graph was built is checked again at run time.
	st := NewBNState(3)
	op := &batchNormOp{dims: 4, training: true, st: st}
	st.Mean = st.Mean[:2]
	xv := wrap(make([]float32, 48), 4, 3, 2, 2)
	if _, err := op.Do(xv, wrap(make([]float32, 3), 3), wrap(make([]float32, 3), 3)); err == nil {
		t.Error("Do accepted a state of the wrong length")
	}
	v64 := tensor.New(tensor.WithShape(4, 3), tensor.Of(tensor.Float64))
	if _, err := (&batchNormOp{dims: 2, training: true, st: NewBNState(3)}).Do(v64, v64, v64); err == nil || !strings.Contains(err.Error(), "want float32") {
		t.Errorf("Do on float64 gave error %v, want a dtype error", err)
	}
}

// TestBatchNormConstantChannel: a channel with no variance normalises to
// beta (x̂ = 0·1/sqrt(eps)), and its input gradient stays finite.
func TestBatchNormConstantChannel(t *testing.T) {
	shape := []int{3, 1}
	x, dy := []float32{2, 2, 2}, []float32{1, -2, 0.5}
	fwd := &batchNormOp{dims: 2, training: true, st: NewBNState(1)}
	y, err := fwd.Do(wrap(x, shape...), wrap([]float32{3}, 1), wrap([]float32{0.25}, 1))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "output", float32s(t, y), []float64{0.25, 0.25, 0.25}, 0)
	shift := &bnGradShiftOp{fwd: fwd}
	dbeta, _ := shift.Do(wrap(x, shape...), wrap(dy, shape...))
	dgamma, _ := (&bnGradScaleOp{src: shift}).Do(dbeta)
	dx, err := (&bnGradInputOp{fwd: fwd}).Do(wrap(x, shape...), wrap([]float32{3}, 1), wrap(dy, shape...), dgamma, dbeta)
	if err != nil {
		t.Fatal(err)
	}
	// dL/dx = γ·r·(g - mean g), r = 1/sqrt(1e-5), mean g = -1/6.
	r := 3 / math.Sqrt(1e-5)
	checkClose(t, "dL/dx", float32s(t, dx), []float64{r * (1 + 1.0/6), r * (-2 + 1.0/6), r * (0.5 + 1.0/6)}, 1e-5)
}

// TestBatchNormReusedAcrossShapes: one op instance on shrinking and
// growing batches gives what a fresh one does.
func TestBatchNormReusedAcrossShapes(t *testing.T) {
	r := newRand(1500)
	fwd := &batchNormOp{dims: 4, training: true, st: NewBNState(3)}
	gx := &bnGradInputOp{fwd: fwd}
	for step, n := range []int{5, 2, 7} {
		shape := []int{n, 3, 2, 3}
		x, dy := uniform(r, size(shape), -1, 1), uniform(r, size(shape), -1, 1)
		gamma, beta := uniform(r, 3, 0.5, 2), uniform(r, 3, -1, 1)
		fresh := &batchNormOp{dims: 4, training: true, st: NewBNState(3)}
		for _, op := range []*batchNormOp{fwd, fresh} {
			if _, err := op.Do(wrap(x, shape...), wrap(gamma, 3), wrap(beta, 3)); err != nil {
				t.Fatal(err)
			}
		}
		dgamma, dbeta := wrap(uniform(r, 3, -1, 1), 3), wrap(uniform(r, 3, -1, 1), 3)
		got, err := gx.Do(wrap(x, shape...), wrap(gamma, 3), wrap(dy, shape...), dgamma, dbeta)
		if err != nil {
			t.Fatal(err)
		}
		want, err := (&bnGradInputOp{fwd: fresh}).Do(wrap(x, shape...), wrap(gamma, 3), wrap(dy, shape...), dgamma, dbeta)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, fmt.Sprintf("step %d dL/dx", step), float32s(t, got), to64(float32s(t, want)), 0)
	}
}

// ExampleBatchNorm normalises two features over a batch of two and shows
// the running statistics after that one training run.
func ExampleBatchNorm() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 6}))))
	gamma := gorgonia.NewVector(g, tensor.Float32, gorgonia.WithName("gamma"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 1}))))
	beta := gorgonia.NewVector(g, tensor.Float32, gorgonia.WithName("beta"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{0, 0}))))
	st := NewBNState(2)
	y, err := BatchNorm(x, gamma, beta, st, true)
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
	fmt.Printf("y %.4f\nmean %v var %v\n", y.Value().Data(), st.Mean, st.Var)
	// Output:
	// y [-1.0000 -1.0000 1.0000 1.0000]
	// mean [0.2 0.4] var [1.1 1.7]
}

// BenchmarkBatchNormLayer is forward and backward (input, scale and shift
// gradients) of a training-mode batch norm on a 64×32×28×28 feature map.
func BenchmarkBatchNormLayer(b *testing.B) {
	r := newRand(1)
	shape := []int{64, 32, 28, 28}
	x := wrap(uniform(r, size(shape), -1, 1), shape...)
	dy := wrap(uniform(r, size(shape), -1, 1), shape...)
	gamma, beta := wrap(uniform(r, 32, 0.5, 2), 32), wrap(uniform(r, 32, -1, 1), 32)
	fwd := &batchNormOp{dims: 4, training: true, st: NewBNState(32)}
	gb := &bnGradShiftOp{fwd: fwd}
	gs, gx := &bnGradScaleOp{src: gb}, &bnGradInputOp{fwd: fwd}
	step := func() {
		if _, err := fwd.Do(x, gamma, beta); err != nil {
			b.Fatal(err)
		}
		dbeta, err := gb.Do(x, dy)
		if err != nil {
			b.Fatal(err)
		}
		dgamma, err := gs.Do(dbeta)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := gx.Do(x, gamma, dy, dgamma, dbeta); err != nil {
			b.Fatal(err)
		}
	}
	step() // allocate the op buffers outside the measurement
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(b.N*shape[0])/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkBatchNormReLULayer is forward and backward of a training-mode
// channels-last batch norm with its ReLU fused, on the photos preset's
// largest: 64 images of 32×32 by 32 channels (a tower's stem), 8 MiB a
// tensor. Its gradient ops take the ReLU's mask from the input ("from
// x", as in training) or, given a copy of the input, from the output
// ("from y"), in turns, so that the two compare under the same load.
func BenchmarkBatchNormReLULayer(b *testing.B) {
	r := newRand(1)
	shape := []int{64, 32, 32, 32}
	n, c := size(shape), shape[1]
	x, dy := uniform(r, n, -1, 1), uniform(r, n, -1, 1)
	xCopy := append([]float32(nil), x...)
	gamma, beta := wrap(uniform(r, c, 0.5, 2), c), wrap(uniform(r, c, -1, 1), c)
	fwd := &batchNormOp{dims: 4, training: true, cl: true, relu: true, st: NewBNState(c)}
	gb := &bnGradShiftOp{fwd: fwd}
	gs, gx := &bnGradScaleOp{src: gb}, &bnGradInputOp{fwd: fwd, src: gb}
	step := func(b *testing.B, xg []float32) {
		y, err := fwd.Do(wrap(x, shape...), gamma, beta)
		if err != nil {
			b.Fatal(err)
		}
		dbeta, err := gb.Do(wrap(xg, shape...), wrap(dy, shape...), y)
		if err != nil {
			b.Fatal(err)
		}
		dgamma, err := gs.Do(dbeta)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := gx.Do(wrap(xg, shape...), gamma, wrap(dy, shape...), dgamma, dbeta); err != nil {
			b.Fatal(err)
		}
	}
	for round := range 3 {
		for _, way := range []struct {
			name string
			x    []float32
		}{{"from x", x}, {"from y", xCopy}} {
			b.Run(fmt.Sprintf("%s/%d", way.name, round), func(b *testing.B) {
				step(b, way.x) // the op buffers, outside the measurement
				for b.Loop() {
					step(b, way.x)
				}
				b.ReportMetric(float64(b.N*shape[0])/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
