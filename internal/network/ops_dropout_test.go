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

// dropoutCase checks Dropout through the shared harness. Its reference
// applies the op's own mask of the current run, which makes the forward
// check one of x·mask and the gradient check one of finite differences
// through a fixed mask; the mask itself is checked by the tests below.
func dropoutCase(shape []int, rate float64, seed uint64) opCase {
	var op *DropoutOp
	return opCase{
		name:   fmt.Sprintf("x%v_rate%g", shape, rate),
		shapes: [][]int{shape},
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			y, err := Dropout(in[0], rate, seed)
			if err == nil {
				op = y.Op().(*DropoutOp)
			}
			return y, err
		},
		ref: func(in [][]float64) []float64 {
			out := make([]float64, len(in[0]))
			for i, v := range in[0] {
				out[i] = v * float64(op.mask[i])
			}
			return out
		},
	}
}

var dropoutCases = []opCase{
	dropoutCase([]int{4, 7}, 0.5, 1),
	dropoutCase([]int{2, 3, 5, 5}, 0.2, 2), // odd size: the last element draws alone
	dropoutCase([]int{3, 4}, 0, 3),
	dropoutCase([]int{2, 16, 32, 33}, 0.3, 4), // above minParallelElems
}

func TestDropoutForward(t *testing.T) {
	for i, c := range dropoutCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(1600+i)) })
	}
}

func TestDropoutGradient(t *testing.T) {
	for i, c := range dropoutCases[:3] {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(1700+i)) })
	}
}

// runDropout runs a fresh Dropout graph on x `runs` times and returns each
// run's output and input gradient for dL/dy = dy.
func runDropout(t *testing.T, x, dy []float32, rate float64, seed uint64, runs int) (ys, dxs [][]float32, op *DropoutOp) {
	t.Helper()
	g := gorgonia.NewGraph()
	n := len(x)
	xn := inputNode(g, "x", []int{n}, x)
	y, err := Dropout(xn, rate, seed)
	if err != nil {
		t.Fatal(err)
	}
	op = y.Op().(*DropoutOp)
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, inputNode(g, "dy", []int{n}, dy)))))
	if _, err := gorgonia.Grad(loss, xn); err != nil {
		t.Fatal(err)
	}
	var yv gorgonia.Value
	gorgonia.Read(y, &yv)
	m := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(xn))
	defer m.Close()
	for range runs {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		gv, err := xn.Grad()
		if err != nil {
			t.Fatal(err)
		}
		ys = append(ys, append([]float32(nil), float32s(t, yv)...))
		dxs = append(dxs, append([]float32(nil), float32s(t, gv)...))
		gv.(tensor.Tensor).Zero()
	}
	return ys, dxs, op
}

// TestDropoutKeepRateAndScale: with x = 1 every output is exactly 0 or
// 1/(1-rate), the kept fraction is within 5 standard deviations of 1-rate,
// and the gradient is dy·1/(1-rate) exactly where the output was kept.
func TestDropoutKeepRateAndScale(t *testing.T) {
	const n = 1<<16 + 1
	r := newRand(1800)
	x := make([]float32, n)
	for i := range x {
		x[i] = 1
	}
	dy := uniform(r, n, -1, 1)
	for _, rate := range []float64{0, 0.1, 0.5, 0.9} {
		ys, dxs, _ := runDropout(t, x, dy, rate, 7, 2)
		scale := float32(1 / (1 - rate))
		for run, y := range ys {
			kept := 0
			for i, v := range y {
				switch v {
				case scale:
					kept++
					if dxs[run][i] != dy[i]*scale {
						t.Fatalf("rate %g run %d: dL/dx[%d] = %v, want %v", rate, run, i, dxs[run][i], dy[i]*scale)
					}
				case 0:
					if dxs[run][i] != 0 {
						t.Fatalf("rate %g run %d: dropped element %d has gradient %v", rate, run, i, dxs[run][i])
					}
				default:
					t.Fatalf("rate %g run %d: y[%d] = %v, want 0 or %v", rate, run, i, v, scale)
				}
			}
			p := 1 - rate
			if sd := math.Sqrt(n * p * (1 - p)); math.Abs(float64(kept)-n*p) > 5*sd {
				t.Errorf("rate %g run %d: kept %d of %d, want %.0f ± %.0f", rate, run, kept, n, n*p, 5*sd)
			}
		}
	}
}

// TestDropoutMaskSequence: the masks are a function of the seed and the
// run index alone: the same seed repeats them, another seed and the next
// run differ, and SetRunIndex replays an earlier run.
func TestDropoutMaskSequence(t *testing.T) {
	const n = 257
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i + 1)
	}
	dy := make([]float32, n)
	a, _, opA := runDropout(t, x, dy, 0.5, 42, 3)
	b, _, _ := runDropout(t, x, dy, 0.5, 42, 3)
	c, _, _ := runDropout(t, x, dy, 0.5, 43, 3)
	same := func(p, q []float32) bool {
		for i := range p {
			if p[i] != q[i] {
				return false
			}
		}
		return true
	}
	for run := range 3 {
		if !same(a[run], b[run]) {
			t.Errorf("run %d: two ops with seed 42 drew different masks", run)
		}
		if same(a[run], c[run]) {
			t.Errorf("run %d: seeds 42 and 43 drew the same mask", run)
		}
	}
	if same(a[0], a[1]) || same(a[1], a[2]) {
		t.Error("successive runs drew the same mask")
	}
	if got := opA.RunIndex(); got != 3 {
		t.Errorf("RunIndex after 3 runs = %d, want 3", got)
	}
	if opA.Rate() != 0.5 || opA.Seed() != 42 {
		t.Errorf("Rate, Seed = %v, %v; want 0.5, 42", opA.Rate(), opA.Seed())
	}
	opA.SetRunIndex(1)
	y, err := opA.Do(wrap(x, n))
	if err != nil {
		t.Fatal(err)
	}
	if !same(float32s(t, y), a[1]) {
		t.Error("SetRunIndex(1) did not replay the mask of run 1")
	}
	if got := opA.RunIndex(); got != 2 {
		t.Errorf("RunIndex after replaying run 1 = %d, want 2", got)
	}
}

// TestDropoutStreams re-derives two runs' masks of a two-chunk tensor
// from the documented streams: chunk k of run r is PCG(seed, r + k·φ), each
// 64-bit draw deciding two elements, low half first, kept iff the half is
// at least rate·2³². It also checks the mask is the same on one goroutine.
func TestDropoutStreams(t *testing.T) {
	const seed, rate = 99, 0.25
	n := dropoutChunk + 37
	x := make([]float32, n)
	for i := range x {
		x[i] = 1
	}
	prev := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		op := newDropoutOp(1, rate, seed)
		for run := range uint64(2) {
			y, err := op.Do(wrap(x, n))
			if err != nil {
				t.Fatal(err)
			}
			got := float32s(t, y)
			for k, start := range []int{0, dropoutChunk} {
				src := rand.NewPCG(seed, run+uint64(k)*0x9e3779b97f4a7c15)
				var u uint64
				for i := start; i < min(start+dropoutChunk, n); i++ {
					half := uint32(u >> 32)
					if (i-start)%2 == 0 {
						u = src.Uint64()
						half = uint32(u)
					}
					want := float32(0)
					if float64(half) >= rate*(1<<32) {
						want = 1 / (1 - rate)
					}
					if got[i] != want {
						t.Fatalf("GOMAXPROCS %d run %d: y[%d] = %v, want %v", procs, run, i, got[i], want)
					}
				}
			}
		}
	}
}

func TestDropoutErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(2, 3), gorgonia.WithName("x"))
	x64 := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x64"))
	for _, tc := range []struct {
		name string
		x    *gorgonia.Node
		rate float64
		want string
	}{
		{"negative rate", x, -0.1, "rate"},
		{"rate 1", x, 1, "rate"},
		{"NaN rate", x, math.NaN(), "rate"},
		{"float64 input", x64, 0.5, "want float32"},
	} {
		if _, err := Dropout(tc.x, tc.rate, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	op := newDropoutOp(1, 0.5, 1)
	if _, err := (&dropoutGradOp{fwd: op}).Do(wrap(make([]float32, 4), 4)); err == nil {
		t.Error("gradient without a forward run gave no error")
	}
	if _, err := op.Do(tensor.New(tensor.WithShape(4), tensor.Of(tensor.Float64))); err == nil || !strings.Contains(err.Error(), "want float32") {
		t.Errorf("Do on float64 gave error %v, want a dtype error", err)
	}
}

// BenchmarkDropout is forward and backward of rate-0.5 dropout on a
// 64×32×28×28 feature map.
func BenchmarkDropout(b *testing.B) {
	r := newRand(1)
	shape := []int{64, 32, 28, 28}
	x := wrap(uniform(r, size(shape), -1, 1), shape...)
	dy := wrap(uniform(r, size(shape), -1, 1), shape...)
	fwd := newDropoutOp(4, 0.5, 1)
	grad := &dropoutGradOp{fwd: fwd}
	step := func() {
		if _, err := fwd.Do(x); err != nil {
			b.Fatal(err)
		}
		if _, err := grad.Do(dy); err != nil {
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

// TestDropoutNodesNotMerged: two dropouts of one input with the same seed
// and rate stay two nodes with their own masks, though they draw the same
// ones; gorgonia would merge ops with equal hashes.
func TestDropoutNodesNotMerged(t *testing.T) {
	g := gorgonia.NewGraph()
	x := inputNode(g, "x", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	y1, err := Dropout(x, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	y2, err := Dropout(x, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if y1 == y2 || y1.Op() == y2.Op() || y1.Op().Hashcode() == y2.Op().Hashcode() {
		t.Error("two Dropout calls were merged into one node")
	}
	if y1.Op().String() != "Dropout{rate=0.5, seed=1}" {
		t.Errorf("op prints as %q", y1.Op())
	}
}
