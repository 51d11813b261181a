package contrastive

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// plainMSE is the MSE loss written as plain functions, the way a user of
// the public API writes a loss: a = d - (1-y)·m, L = mean(a²), ∂L/∂dᵢ = 2aᵢ/n.
func plainMSE(m float64) Plain {
	return Plain{
		LossName:   "plain-mse",
		Parameters: Params{Margin: m},
		Eval: func(d, y []float32) float64 {
			var s float64
			for i := range d {
				a := float64(d[i]) - (1-float64(y[i]))*m
				s += a * a
			}
			return s / float64(len(d))
		},
		Grad: func(d, y []float32) []float32 {
			g := make([]float32, len(d))
			for i := range d {
				a := float64(d[i]) - (1-float64(y[i]))*m
				g[i] = float32(2 * a / float64(len(d)))
			}
			return g
		},
	}
}

// The op must reproduce, through gorgonia's backpropagation, both the
// built-in graph loss it imitates and a finite difference of its own value.
func TestPlainMatchesBuiltinAndFiniteDifference(t *testing.T) {
	cases := []struct {
		name string
		d, y []float64
	}{
		{"mixed", []float64{0.2, 2.1, 0.7, 1.9}, []float64{1, 1, 0, 0}},
		{"one pair", []float64{0.4}, []float64{0}},
		{"all similar", []float64{0.1, 0.9, 3}, []float64{1, 1, 1}},
	}
	const eps = 1e-2
	for _, tc := range cases {
		p, ref := plainMSE(1.5), MSE(1.5)
		got := runGraph(t, p, tensor.Float32, tc.d, tc.y)
		want := runGraph(t, ref, tensor.Float32, tc.d, tc.y)
		if !near(got.loss, want.loss, 1e-6) {
			t.Errorf("%s: loss %g, built-in %g", tc.name, got.loss, want.loss)
		}
		for i := range tc.d {
			if !near(got.grad[i], want.grad[i], 1e-6) {
				t.Errorf("%s: ∂L/∂d[%d] = %g, built-in %g", tc.name, i, got.grad[i], want.grad[i])
			}
			plus := append([]float64(nil), tc.d...)
			minus := append([]float64(nil), tc.d...)
			plus[i] = float64(float32(tc.d[i] + eps))
			minus[i] = float64(float32(tc.d[i] - eps))
			numeric := (runGraph(t, p, tensor.Float32, plus, tc.y).loss - runGraph(t, p, tensor.Float32, minus, tc.y).loss) / (plus[i] - minus[i])
			if math.Abs(got.grad[i]-numeric) > 1e-4+1e-3*math.Abs(numeric) {
				t.Errorf("%s: ∂L/∂d[%d] = %g, finite difference %g", tc.name, i, got.grad[i], numeric)
			}
		}
	}
}

// Downstream of the loss the incoming gradient is not 1: 3·L must give
// three times the gradient, and the op must run again after a Reset.
func TestPlainScalesIncomingGradient(t *testing.T) {
	g := G.NewGraph()
	d := []float32{0.5, 2}
	dn := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("d"), G.WithValue(tensor.New(tensor.WithBacking(d), tensor.WithShape(2))))
	yn := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("y"), G.WithValue(tensor.New(tensor.WithBacking([]float32{1, 0}), tensor.WithShape(2))))
	l, err := plainMSE(1).Node(dn, yn)
	if err != nil {
		t.Fatal(err)
	}
	scaled, err := G.Mul(l, G.NewConstant(float32(3)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(scaled, dn); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	for run := range 2 {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		gv, err := dn.Grad()
		if err != nil {
			t.Fatal(err)
		}
		// a = (0.5, 1), ∂L/∂d = (0.5, 1), times 3.
		got := gv.Data().([]float32)
		if !near(float64(got[0]), 1.5, 1e-6) || !near(float64(got[1]), 3, 1e-6) {
			t.Fatalf("run %d: gradient %v, want [1.5 3]", run, got)
		}
	}
}

func TestPlainErrors(t *testing.T) {
	short := plainMSE(1)
	short.Grad = func(d, y []float32) []float32 { return make([]float32, len(d)-1) }
	panicky := plainMSE(1)
	panicky.Eval = func(d, y []float32) float64 { panic("boom") }
	nan := plainMSE(1)
	nan.Grad = func(d, y []float32) []float32 { return []float32{float32(math.NaN()), 0} }
	noGrad := plainMSE(1)
	noGrad.Grad = nil
	cases := []struct {
		name string
		loss Plain
		dt   tensor.Dtype
		want string
	}{
		{"short gradient", short, tensor.Float32, "gradient has 1 values for 2 pairs"},
		{"panic", panicky, tensor.Float32, "value panicked: boom"},
		{"nan", nan, tensor.Float32, "gradient of pair 0 is NaN"},
		{"no gradient", noGrad, tensor.Float32, "needs both a value and a gradient function"},
		{"float64", plainMSE(1), tensor.Float64, "want float32"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := runPlain(tc.loss, tc.dt)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "plain-mse loss") {
				t.Fatalf("error %v, want one naming the loss and containing %q", err, tc.want)
			}
		})
	}
}

func runPlain(p Plain, dt tensor.Dtype) error {
	g := G.NewGraph()
	dn := G.NewVector(g, dt, G.WithShape(2), G.WithName("d"), G.WithValue(backing(dt, []float64{0.5, 2})))
	yn := G.NewVector(g, dt, G.WithShape(2), G.WithName("y"), G.WithValue(backing(dt, []float64{1, 0})))
	l, err := p.Node(dn, yn)
	if err != nil {
		return err
	}
	if _, err := G.Grad(l, dn); err != nil {
		return err
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	return m.RunAll()
}
