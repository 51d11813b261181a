package contrastive

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// graphResult is what running a loss graph on concrete d and y produces.
type graphResult struct {
	loss float64
	grad []float64 // ∂loss/∂d
}

// runGraph builds l.Node on fresh float32 (or float64) input vectors holding
// d and y, differentiates it with respect to d and runs it on a TapeMachine.
func runGraph(t testing.TB, l Loss, dt tensor.Dtype, d, y []float64) graphResult {
	t.Helper()
	g := G.NewGraph()
	dn := G.NewVector(g, dt, G.WithShape(len(d)), G.WithName("d"), G.WithValue(backing(dt, d)))
	yn := G.NewVector(g, dt, G.WithShape(len(y)), G.WithName("y"), G.WithValue(backing(dt, y)))
	loss, err := l.Node(dn, yn)
	if err != nil {
		t.Fatalf("%s: Node: %v", l.Name(), err)
	}
	if _, err := G.Grad(loss, dn); err != nil {
		t.Fatalf("%s: Grad: %v", l.Name(), err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatalf("%s: RunAll: %v", l.Name(), err)
	}
	gv, err := dn.Grad()
	if err != nil {
		t.Fatalf("%s: read gradient: %v", l.Name(), err)
	}
	return graphResult{loss: toFloat64(loss.Value().Data()), grad: toFloat64s(gv.Data())}
}

func backing(dt tensor.Dtype, xs []float64) tensor.Tensor {
	if dt == tensor.Float32 {
		return tensor.New(tensor.WithBacking(to32(xs)), tensor.WithShape(len(xs)))
	}
	return tensor.New(tensor.WithBacking(append([]float64(nil), xs...)), tensor.WithShape(len(xs)))
}

func to32(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}

func toFloat64(v any) float64 {
	switch x := v.(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("unexpected scalar %T", v))
}

func toFloat64s(v any) []float64 {
	switch x := v.(type) {
	case []float32:
		out := make([]float64, len(x))
		for i, f := range x {
			out[i] = float64(f)
		}
		return out
	case []float64:
		return x
	}
	panic(fmt.Sprintf("unexpected slice %T", v))
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// Hand-computed losses. Each comment lists the per-pair terms.
var valueCases = []struct {
	name string
	loss Loss
	d, y []float64
	want float64
}{
	{
		// similar d=0.5 → 0.25; dissimilar d=2 beyond margin → 0;
		// dissimilar d=0.25 → 0.75² = 0.5625; similar d=1.5 → 2.25;
		// dissimilar d=1 exactly at margin → 0.
		name: "contrastive m=1",
		loss: Contrastive(1),
		d:    []float64{0.5, 2, 0.25, 1.5, 1},
		y:    []float64{1, 0, 0, 1, 0},
		want: (0.25 + 0 + 0.5625 + 2.25 + 0) / 5,
	},
	{
		// all similar: mean d².
		name: "contrastive similar only",
		loss: Contrastive(3),
		d:    []float64{1, 2},
		y:    []float64{1, 1},
		want: (1 + 4) / 2.0,
	},
	{
		// a = d - t, t = 0 similar, 2 dissimilar:
		// a=0.5 → 0.125; a=1=δ → 0.5; a=3 → 1·(3-0.5) = 2.5;
		// a=-2 → 1.5; a=0.5 → 0.125; a=3 (beyond margin) → 2.5.
		name: "huber m=2 δ=1",
		loss: Huber(2, 1),
		d:    []float64{0.5, 1, 3, 0, 2.5, 5},
		y:    []float64{1, 1, 1, 0, 0, 0},
		want: (0.125 + 0.5 + 2.5 + 1.5 + 0.125 + 2.5) / 6,
	},
	{
		// δ=0.5: a=-0.5 exactly at δ on the negative side → 0.125;
		// a=0.25 → 0.03125; a=4 → 0.5·(4-0.25) = 1.875.
		name: "huber m=1 δ=0.5",
		loss: Huber(1, 0.5),
		d:    []float64{0.5, 0.25, 4},
		y:    []float64{0, 1, 1},
		want: (0.125 + 0.03125 + 1.875) / 3,
	},
	{
		// a = 0.5, 1, 3, -2, 0.5, 3 → squares 0.25, 1, 9, 4, 0.25, 9.
		name: "mse m=2",
		loss: MSE(2),
		d:    []float64{0.5, 1, 3, 0, 2.5, 5},
		y:    []float64{1, 1, 1, 0, 0, 0},
		want: (0.25 + 1 + 9 + 4 + 0.25 + 9) / 6,
	},
}

func TestValueHandComputed(t *testing.T) {
	for _, tc := range valueCases {
		got := tc.loss.Value(to32(tc.d), to32(tc.y))
		if !near(got, tc.want, 1e-12) {
			t.Errorf("%s: Value = %.12g, want %.12g", tc.name, got, tc.want)
		}
	}
}

func TestNodeMatchesValue(t *testing.T) {
	for _, tc := range valueCases {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			got := runGraph(t, tc.loss, dt, tc.d, tc.y).loss
			tol := 1e-6
			if dt == tensor.Float64 {
				tol = 1e-12
			}
			if !near(got, tc.want, tol) {
				t.Errorf("%s %v: Node = %.9g, want %.9g", tc.name, dt, got, tc.want)
			}
		}
	}
}

// TestGradientFiniteDifference compares the graph gradient ∂loss/∂dᵢ with a
// central difference of the graph's own loss. Points stay at least 0.05 from
// the kinks (d = margin, |a| = δ, a = 0) so the step never straddles one.
func TestGradientFiniteDifference(t *testing.T) {
	cases := []struct {
		name string
		loss Loss
		d, y []float64
	}{
		{"contrastive", Contrastive(1), []float64{0.3, 1.7, 0.6, 1.2, 0.9}, []float64{1, 0, 0, 1, 0}},
		{"huber", Huber(2, 1), []float64{0.4, 2.5, 0.5, 2.3, 4, 1.6}, []float64{1, 1, 0, 0, 0, 0}},
		{"mse", MSE(1.5), []float64{0.2, 2.1, 0.7, 1.9}, []float64{1, 1, 0, 0}},
		{"custom func", absLoss(1), []float64{0.2, 2.1, 0.7, 1.9}, []float64{1, 1, 0, 0}},
	}
	const eps = 1e-2
	for _, tc := range cases {
		analytic := runGraph(t, tc.loss, tensor.Float32, tc.d, tc.y).grad
		for i := range tc.d {
			plus := append([]float64(nil), tc.d...)
			minus := append([]float64(nil), tc.d...)
			// The graph sees float32 inputs, so divide by the step that
			// actually reached it, not by the nominal 2·eps.
			plus[i] = float64(float32(tc.d[i] + eps))
			minus[i] = float64(float32(tc.d[i] - eps))
			lp := runGraph(t, tc.loss, tensor.Float32, plus, tc.y).loss
			lm := runGraph(t, tc.loss, tensor.Float32, minus, tc.y).loss
			numeric := (lp - lm) / (plus[i] - minus[i])
			if math.Abs(analytic[i]-numeric) > 1e-4+1e-3*math.Abs(numeric) {
				t.Errorf("%s: ∂loss/∂d[%d] = %.7g, finite difference %.7g", tc.name, i, analytic[i], numeric)
			}
		}
	}
}

// TestGradientAtKinks checks the graph gradient where the loss changes form;
// the values are the one-sided limits, which agree because every loss here
// has a continuous derivative.
func TestGradientAtKinks(t *testing.T) {
	cases := []struct {
		name string
		loss Loss
		d, y []float64
		want []float64
	}{
		// dissimilar at d = m: -2·max(m-d,0)/n = 0; similar d=1: 2·d/n = 1.
		{"contrastive d=margin", Contrastive(1), []float64{1, 1}, []float64{0, 1}, []float64{0, 1}},
		// a = +δ, -δ, 0 → δ·sign(a)/n = 0.5/3, -0.5/3, 0.
		{"huber |a|=δ and a=0", Huber(2, 0.5), []float64{0.5, 1.5, 2}, []float64{1, 0, 0}, []float64{0.5 / 3, -0.5 / 3, 0}},
	}
	for _, tc := range cases {
		got := runGraph(t, tc.loss, tensor.Float32, tc.d, tc.y).grad
		for i := range tc.want {
			if !near(got[i], tc.want[i], 1e-6) {
				t.Errorf("%s: ∂loss/∂d[%d] = %g, want %g", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

func TestNodeRejectsBadInputs(t *testing.T) {
	g := G.NewGraph()
	other := G.NewGraph()
	vec := func(g *G.ExprGraph, dt tensor.Dtype, n int, name string) *G.Node {
		return G.NewVector(g, dt, G.WithShape(n), G.WithName(name))
	}
	d := vec(g, tensor.Float32, 4, "d")
	cases := []struct {
		name    string
		d, y    *G.Node
		wantErr string
	}{
		{"nil", d, nil, "nil distance or label node"},
		{"length", d, vec(g, tensor.Float32, 3, "y3"), `distances "d" have shape (4) but labels "y3" have shape (3)`},
		{"matrix", G.NewMatrix(g, tensor.Float32, G.WithShape(4, 1), G.WithName("dm")), vec(g, tensor.Float32, 4, "y"), "must be vectors"},
		{"dtype mix", d, vec(g, tensor.Float64, 4, "y64"), `distances "d" are float32 but labels "y64" are float64`},
		{"int", vec(g, tensor.Int, 4, "di"), vec(g, tensor.Int, 4, "yi"), "want float32 or float64"},
		{"graphs", d, vec(other, tensor.Float32, 4, "yo"), "different graphs"},
	}
	losses := []Loss{Contrastive(1), Huber(1, 1), MSE(1), absLoss(1)}
	for _, tc := range cases {
		for _, l := range losses {
			_, err := l.Node(tc.d, tc.y)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s/%s: err = %v, want it to contain %q", l.Name(), tc.name, err, tc.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), l.Name()+" loss: ") {
				t.Errorf("%s/%s: err %q does not name the loss", l.Name(), tc.name, err)
			}
		}
	}
}

func TestValueEdgeCases(t *testing.T) {
	for _, l := range []Loss{Contrastive(1), Huber(1, 1), MSE(1)} {
		if v := l.Value(nil, nil); !math.IsNaN(v) {
			t.Errorf("%s: Value of empty batch = %g, want NaN", l.Name(), v)
		}
		msg := panicMessage(func() { l.Value([]float32{1, 2}, []float32{1}) })
		if want := l.Name() + " loss: 2 distances but 1 labels"; msg != want {
			t.Errorf("%s: length mismatch panic = %q, want %q", l.Name(), msg, want)
		}
	}
}

func TestConstructorsPanicOnBadParams(t *testing.T) {
	cases := []struct {
		build func()
		want  string
	}{
		{func() { Contrastive(-1) }, "contrastive loss: margin must be > 0, got -1"},
		{func() { MSE(0) }, "mse loss: margin must be > 0, got 0"},
		{func() { Huber(1, 0) }, "huber loss: delta must be > 0, got 0"},
		{func() { Huber(math.NaN(), 1) }, "huber loss: margin must be > 0, got NaN"},
		{func() { Contrastive(math.Inf(1)) }, "contrastive loss: margin must be finite, got +Inf"},
	}
	for _, tc := range cases {
		if got := panicMessage(tc.build); got != tc.want {
			t.Errorf("panic = %q, want %q", got, tc.want)
		}
	}
}

func TestParamsRoundTrip(t *testing.T) {
	r := NewRegistry()
	for _, l := range []Loss{Contrastive(0.7), Huber(2, 0.25), MSE(3)} {
		again, err := r.New(l.Name(), l.Params())
		if err != nil {
			t.Fatalf("%s: rebuild from %+v: %v", l.Name(), l.Params(), err)
		}
		if again != l {
			t.Errorf("%s: rebuilt %#v, want %#v", l.Name(), again, l)
		}
	}
	if p := Huber(2, 0.25).Params(); p != (Params{Margin: 2, Delta: 0.25}) {
		t.Errorf("Huber(2, 0.25).Params() = %+v", p)
	}
}

func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
