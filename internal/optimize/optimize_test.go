package optimize

import (
	"math"
	"testing"
)

// Each case runs two steps on one weight w=1 with gradients 0.5 then -0.25
// and checks the result against the update rule worked by hand.
func TestStepsMatchHandComputed(t *testing.T) {
	grads := []float32{0.5, -0.25}
	adam := func() float64 {
		w, m, v := 1.0, 0.0, 0.0
		for i, g := range grads {
			m = 0.9*m + 0.1*float64(g)
			v = 0.999*v + 0.001*float64(g)*float64(g)
			mh := m / (1 - math.Pow(0.9, float64(i+1)))
			vh := v / (1 - math.Pow(0.999, float64(i+1)))
			w -= 0.1 * mh / (math.Sqrt(vh) + 1e-8)
		}
		return w
	}()
	rms := func() float64 {
		w, s := 1.0, 0.0
		for _, g := range grads {
			s = 0.9*s + 0.1*float64(g)*float64(g)
			w -= 0.1 * float64(g) / (math.Sqrt(s) + 1e-7)
		}
		return w
	}()
	// SGD with momentum by hand: v=0.5, w=0.95; v=0.45-0.25=0.2, w=0.93.
	cases := []struct {
		name string
		wd   float64
		want float64
	}{
		{"adam", 0, adam},
		{"rmsprop", 0, rms},
		{"sgd", 0, 0.93},
		// decay after each step: w=0.95*(1-0.01)=0.9405, then 0.9405-0.02=0.9205, *0.99=0.911295
		{"sgd", 0.1, 0.911295},
	}
	for _, c := range cases {
		opt, err := New(c.name, []int{1}, Options{LearningRate: 0.1, WeightDecay: c.wd})
		if err != nil {
			t.Fatal(err)
		}
		w := [][]float32{{1}}
		for _, g := range grads {
			opt.Step(w, [][]float32{{g}})
		}
		if math.Abs(float64(w[0][0])-c.want) > 1e-5 {
			t.Errorf("%s wd=%g: w=%v, want %v", c.name, c.wd, w[0][0], c.want)
		}
	}
}

// A restored state must continue exactly like the optimiser it came from.
func TestStateRoundTrip(t *testing.T) {
	for _, name := range Names() {
		a, _ := New(name, []int{3}, Options{LearningRate: 0.01})
		wa := [][]float32{{1, 2, 3}}
		g := [][]float32{{0.1, -0.2, 0.3}}
		a.Step(wa, g)
		b, _ := New(name, []int{3}, Options{LearningRate: 0.01})
		st := a.State()
		copied := map[string][]float32{}
		for k, v := range st {
			copied[k] = append([]float32(nil), v...)
		}
		if err := b.SetState(copied); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wb := [][]float32{append([]float32(nil), wa[0]...)}
		a.Step(wa, g)
		b.Step(wb, g)
		for i := range wa[0] {
			if wa[0][i] != wb[0][i] {
				t.Errorf("%s: resumed weight %d = %v, want %v", name, i, wb[0][i], wa[0][i])
			}
		}
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"adamw", Options{LearningRate: 0.1}, `unknown optimizer "adamw" (valid: adam, rmsprop, sgd)`},
		{"adam", Options{LearningRate: 0}, "learning rate must be > 0, got 0"},
		{"adam", Options{LearningRate: -1}, "learning rate must be > 0, got -1"},
		{"sgd", Options{LearningRate: 1, WeightDecay: -1}, "weight decay must be >= 0, got -1"},
	}
	for _, c := range cases {
		_, err := New(c.name, []int{1}, c.o)
		if err == nil || err.Error() != c.want {
			t.Errorf("New(%q, %+v) error = %v, want %q", c.name, c.o, err, c.want)
		}
	}
}
