package contrastive

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// absLoss is a caller-defined loss, mean |d - t| with the usual targets,
// written the way code outside the package would write one.
func absLoss(margin float64) Func {
	return Func{
		LossName:   "mae",
		Parameters: Params{Margin: margin},
		Graph: func(d, y *G.Node) (*G.Node, error) {
			one, m := G.NewConstant(float32(1)), G.NewConstant(float32(margin))
			if d.Dtype() == tensor.Float64 {
				one, m = G.NewConstant(1.0), G.NewConstant(margin)
			}
			notY, err := G.Sub(one, y)
			if err != nil {
				return nil, err
			}
			target, err := G.HadamardProd(notY, m)
			if err != nil {
				return nil, err
			}
			a, err := G.Sub(d, target)
			if err != nil {
				return nil, err
			}
			abs, err := G.Abs(a)
			if err != nil {
				return nil, err
			}
			return G.Mean(abs)
		},
		Eval: func(d, y []float32) float64 {
			var sum float64
			for i := range d {
				sum += math.Abs(float64(d[i]) - (1-float64(y[i]))*margin)
			}
			return sum / float64(len(d))
		},
	}
}

func TestRegistryBuiltins(t *testing.T) {
	r := NewRegistry()
	if got, want := r.Names(), []string{"contrastive", "huber", "mse", "ntxent", "triplet"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	cases := []struct {
		name string
		p    Params
		want Loss
	}{
		{"contrastive", Params{Margin: 1.5}, Contrastive(1.5)},
		{"huber", Params{Margin: 2, Delta: 0.5}, Huber(2, 0.5)},
		{"mse", Params{Margin: 1}, MSE(1)},
		// Delta belongs to huber only; the trainer may pass its default anyway.
		{"contrastive", Params{Margin: 1, Delta: 7}, Contrastive(1)},
	}
	for _, tc := range cases {
		l, err := r.New(tc.name, tc.p)
		if err != nil {
			t.Errorf("New(%q, %+v): %v", tc.name, tc.p, err)
			continue
		}
		if l != tc.want || l.Name() != tc.name {
			t.Errorf("New(%q, %+v) = %#v, want %#v", tc.name, tc.p, l, tc.want)
		}
	}
}

func TestRegistryErrors(t *testing.T) {
	r := NewRegistry()
	cases := []struct {
		name string
		p    Params
		want string
	}{
		{"foo", Params{Margin: 1}, `unknown loss "foo" (valid: contrastive, huber, mse, ntxent, triplet)`},
		{"Contrastive", Params{Margin: 1}, `unknown loss "Contrastive" (valid: contrastive, huber, mse, ntxent, triplet)`},
		{"contrastive", Params{Margin: -1}, "contrastive loss: margin must be > 0, got -1"},
		{"mse", Params{}, "mse loss: margin must be > 0, got 0"},
		{"huber", Params{Margin: 1}, "huber loss: delta must be > 0, got 0"},
		{"huber", Params{Margin: 1, Delta: -0.5}, "huber loss: delta must be > 0, got -0.5"},
		{"huber", Params{Margin: math.Inf(1), Delta: 1}, "huber loss: margin must be finite, got +Inf"},
	}
	for _, tc := range cases {
		l, err := r.New(tc.name, tc.p)
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(%q, %+v) = %v, %v; want error %q", tc.name, tc.p, l, err, tc.want)
		}
	}
}

func TestRegister(t *testing.T) {
	r := NewRegistry()
	buildAbs := func(p Params) (Loss, error) {
		if p.Margin <= 0 {
			return nil, errors.New("margin must be > 0")
		}
		return absLoss(p.Margin), nil
	}
	if err := r.Register("mae", buildAbs); err != nil {
		t.Fatalf("Register(mae): %v", err)
	}
	if got, want := r.Names(), []string{"contrastive", "huber", "mae", "mse", "ntxent", "triplet"}; !slices.Equal(got, want) {
		t.Errorf("Names() after Register = %v, want %v", got, want)
	}
	if names := NewRegistry().Names(); slices.Contains(names, "mae") {
		t.Errorf("a fresh registry sees another registry's loss: %v", names)
	}

	failures := []struct {
		name  string
		build func(Params) (Loss, error)
		want  string
	}{
		{"mae", buildAbs, `register loss "mae": name already registered`},
		{"huber", buildAbs, `register loss "huber": name already registered`},
		{" ", buildAbs, "register loss: empty name"},
		{"x", nil, `register loss "x": nil constructor`},
	}
	for _, tc := range failures {
		if err := r.Register(tc.name, tc.build); err == nil || err.Error() != tc.want {
			t.Errorf("Register(%q) = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := r.New("mae", Params{}); err == nil || err.Error() != "mae loss: margin must be > 0" {
		t.Errorf("New(mae, zero params) error = %v", err)
	}
	nilBuilder := func(Params) (Loss, error) { return nil, nil }
	if err := r.Register("broken", nilBuilder); err != nil {
		t.Fatal(err)
	}
	if _, err := r.New("broken", Params{}); err == nil || err.Error() != `loss "broken": constructor returned nil` {
		t.Errorf("New(broken) error = %v", err)
	}
}

// TestCustomFunc runs a registered Func through the same path the trainer
// uses for a built-in loss: registry, Node, Grad, TapeMachine, Value.
func TestCustomFunc(t *testing.T) {
	r := NewRegistry()
	if err := r.Register("mae", func(p Params) (Loss, error) { return absLoss(p.Margin), nil }); err != nil {
		t.Fatal(err)
	}
	l, err := r.New("mae", Params{Margin: 2})
	if err != nil {
		t.Fatal(err)
	}
	if l.Params() != (Params{Margin: 2}) {
		t.Errorf("Params() = %+v", l.Params())
	}
	d, y := []float64{0.5, 3, 1.5, 2.5}, []float64{1, 1, 0, 0}
	// |a| = 0.5, 3, 0.5, 0.5 → mean 4.5/4; ∂/∂dᵢ = sign(aᵢ)/4.
	const want = 4.5 / 4
	if got := l.Value(to32(d), to32(y)); !near(got, want, 1e-12) {
		t.Errorf("Value = %g, want %g", got, want)
	}
	res := runGraph(t, l, tensor.Float32, d, y)
	if !near(res.loss, want, 1e-6) {
		t.Errorf("Node = %g, want %g", res.loss, want)
	}
	wantGrad := []float64{0.25, 0.25, -0.25, 0.25}
	for i := range wantGrad {
		if !near(res.grad[i], wantGrad[i], 1e-6) {
			t.Errorf("∂loss/∂d[%d] = %g, want %g", i, res.grad[i], wantGrad[i])
		}
	}
}

func TestFuncMisuse(t *testing.T) {
	g := G.NewGraph()
	d := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("d"))
	y := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("y"))

	vector := Func{LossName: "vec", Graph: func(d, y *G.Node) (*G.Node, error) { return G.Sub(d, y) }}
	if _, err := vector.Node(d, y); err == nil || !strings.Contains(err.Error(), "vec loss: Graph must return a scalar node") {
		t.Errorf("vector-valued Graph: err = %v", err)
	}
	failing := Func{LossName: "bad", Graph: func(d, y *G.Node) (*G.Node, error) { return nil, errors.New("boom") }}
	if _, err := failing.Node(d, y); err == nil || err.Error() != "bad loss: build graph: boom" {
		t.Errorf("failing Graph: err = %v", err)
	}
	empty := Func{LossName: "empty"}
	if _, err := empty.Node(d, y); err == nil || err.Error() != "empty loss: Func has no Graph function" {
		t.Errorf("nil Graph: err = %v", err)
	}
	if msg := panicMessage(func() { empty.Value([]float32{1}, []float32{1}) }); msg != "empty loss: Func has no Eval function" {
		t.Errorf("nil Eval panic = %q", msg)
	}
	if msg := panicMessage(func() { absLoss(1).Value([]float32{1}, nil) }); msg != "mae loss: 1 distances but 0 labels" {
		t.Errorf("length mismatch panic = %q", msg)
	}
}
