package optimize

import (
	"math"
	"math/rand/v2"
	"runtime"
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

// TestAdamLargeTensorMatchesFormula: a tensor large enough to be updated
// in chunks on several goroutines (and by the vector kernel) gets, for
// every element, the bits of Adam's formula applied one element at a time
// in float32, step after step.
func TestAdamLargeTensorMatchesFormula(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 3} {
		runtime.GOMAXPROCS(procs)
		n := 2*minChunk + 13
		rng := rand.New(rand.NewPCG(1, uint64(procs)))
		p, want := make([]float32, n), make([]float32, n)
		for i := range p {
			p[i] = rng.Float32()*2 - 1
			want[i] = p[i]
		}
		m, v := make([]float32, n), make([]float32, n)
		opt, err := New("adam", []int{n}, Options{LearningRate: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		const b1, b2, eps = 0.9, 0.999, 1e-8
		for step := 1; step <= 3; step++ {
			g := make([]float32, n)
			for i := range g {
				g[i] = rng.Float32() - 0.5
			}
			opt.Step([][]float32{p}, [][]float32{g})
			c1, c2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
			lr, sc2 := float32(0.01/c1), float32(1/math.Sqrt(c2))
			for i := range want {
				m[i] = float32(b1*m[i]) + float32((1-b1)*g[i])
				v[i] = float32(b2*v[i]) + float32(float32((1-b2)*g[i])*g[i])
				want[i] -= float32(lr*m[i]) / (float32(float32(math.Sqrt(float64(v[i])))*sc2) + eps)
			}
			for i := range want {
				if math.Float32bits(p[i]) != math.Float32bits(want[i]) {
					t.Fatalf("GOMAXPROCS %d step %d: p[%d] = %v, want %v", procs, step, i, p[i], want[i])
				}
			}
		}
	}
}
