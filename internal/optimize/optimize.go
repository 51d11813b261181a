package optimize

import (
	"fmt"
	"math"
	"strings"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
)

// Optimizer applies one update to every parameter from its gradient.
type Optimizer interface {
	// Step updates params in place; grads[i] is the gradient of params[i].
	Step(params, grads [][]float32)
	// SetLearningRate changes the rate for the following steps (schedules).
	SetLearningRate(lr float64)
	// State returns the moments and step count, for checkpoints.
	State() map[string][]float32
	// SetState restores what State returned.
	SetState(map[string][]float32) error
}

// Names lists the optimisers New accepts.
func Names() []string { return []string{"adam", "rmsprop", "sgd"} }

// Options configures New.
type Options struct {
	LearningRate float64
	WeightDecay  float64
}

// New returns the named optimiser for parameters of the given sizes.
func New(name string, sizes []int, o Options) (Optimizer, error) {
	if !(o.LearningRate > 0) {
		return nil, fmt.Errorf("learning rate must be > 0, got %g", o.LearningRate)
	}
	if o.WeightDecay < 0 {
		return nil, fmt.Errorf("weight decay must be >= 0, got %g", o.WeightDecay)
	}
	b := base{lr: o.LearningRate, wd: o.WeightDecay}
	switch name {
	case "adam":
		return &adam{base: b, m: alloc(sizes), v: alloc(sizes)}, nil
	case "rmsprop":
		return &rmsprop{base: b, s: alloc(sizes)}, nil
	case "sgd":
		return &sgd{base: b, v: alloc(sizes)}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (valid: %s)", name, strings.Join(Names(), ", "))
}

func alloc(sizes []int) [][]float32 {
	out := make([][]float32, len(sizes))
	for i, n := range sizes {
		out[i] = make([]float32, n)
	}
	return out
}

type base struct{ lr, wd float64 }

func (b *base) SetLearningRate(lr float64) { b.lr = lr }

func (b *base) decay(params [][]float32) {
	if b.wd == 0 {
		return
	}
	f := float32(1 - b.lr*b.wd)
	for _, p := range params {
		for i := range p {
			p[i] *= f
		}
	}
}

type adam struct {
	base
	m, v [][]float32
	t    int
}

func (a *adam) Step(params, grads [][]float32) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	step := float32(a.lr / c1)
	sc2 := float32(1 / math.Sqrt(c2))
	// 1-b1 and 1-b2 are exact here and rounded once, as the update always
	// wrote them: float32(0.1), not float32(1)-float32(0.9).
	k := linalg.AdamCoef{B1: b1, C1: 1 - b1, B2: b2, C2: 1 - b2, Step: step, Sc2: sc2, Eps: eps}
	for i, p := range params {
		g, m, v := grads[i], a.m[i], a.v[i]
		inChunks(len(p), func(lo, hi int) { linalg.AdamStep(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], k) })
	}
	a.decay(params)
}

func (a *adam) State() map[string][]float32 {
	st := packState(map[string][][]float32{"m": a.m, "v": a.v})
	st["t"] = []float32{float32(a.t)}
	return st
}

func (a *adam) SetState(st map[string][]float32) error {
	if err := unpackState(st, map[string][][]float32{"m": a.m, "v": a.v}); err != nil {
		return err
	}
	t, ok := st["t"]
	if !ok || len(t) != 1 {
		return fmt.Errorf("optimizer state has no step count")
	}
	a.t = int(t[0])
	return nil
}

type rmsprop struct {
	base
	s [][]float32
}

func (r *rmsprop) Step(params, grads [][]float32) {
	const rho, eps = 0.9, 1e-7
	lr := float32(r.lr)
	for k, p := range params {
		g, s := grads[k], r.s[k]
		for i := range p {
			s[i] = rho*s[i] + (1-rho)*g[i]*g[i]
			p[i] -= lr * g[i] / (sqrt32(s[i]) + eps)
		}
	}
	r.decay(params)
}

func (r *rmsprop) State() map[string][]float32 {
	return packState(map[string][][]float32{"s": r.s})
}

func (r *rmsprop) SetState(st map[string][]float32) error {
	return unpackState(st, map[string][][]float32{"s": r.s})
}

type sgd struct {
	base
	v [][]float32
}

func (s *sgd) Step(params, grads [][]float32) {
	const mu = 0.9
	lr := float32(s.lr)
	for k, p := range params {
		g, v := grads[k], s.v[k]
		for i := range p {
			v[i] = mu*v[i] + g[i]
			p[i] -= lr * v[i]
		}
	}
	s.decay(params)
}

func (s *sgd) State() map[string][]float32 {
	return packState(map[string][][]float32{"v": s.v})
}

func (s *sgd) SetState(st map[string][]float32) error {
	return unpackState(st, map[string][][]float32{"v": s.v})
}

func packState(named map[string][][]float32) map[string][]float32 {
	out := map[string][]float32{}
	for name, ts := range named {
		for i, t := range ts {
			out[fmt.Sprintf("%s.%d", name, i)] = t
		}
	}
	return out
}

func unpackState(st map[string][]float32, into map[string][][]float32) error {
	for name, ts := range into {
		for i, t := range ts {
			key := fmt.Sprintf("%s.%d", name, i)
			src, ok := st[key]
			if !ok {
				return fmt.Errorf("optimizer state %s is missing", key)
			}
			if len(src) != len(t) {
				return fmt.Errorf("optimizer state %s has %d values, want %d", key, len(src), len(t))
			}
			copy(t, src)
		}
	}
	return nil
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// minChunk is the size below which an update runs on one goroutine: under
// it, handing a part to another core costs more than the update.
const minChunk = 1 << 16

// inChunks runs fn over [0, n) in contiguous chunks, on every core when n
// is large: the dense layer of a tower holds most of its weights, and an
// element-wise update split anywhere gives the same bits. The parts run on
// parallel's helpers, as the network's do, rather than on a goroutine
// started per part, which waits for the runtime to wake a thread.
func inChunks(n int, fn func(lo, hi int)) {
	parallel.Range(n, min(parallel.Cores(), n/minChunk), func(_, lo, hi int) { fn(lo, hi) })
}
