package contrastive

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// Names of the built-in losses, as accepted by Registry.New.
const (
	NameContrastive = "contrastive"
	NameHuber       = "huber"
	NameMSE         = "mse"
)

// Loss is a mean pair loss over a batch of distances d and labels y
// (y = 1 similar, y = 0 dissimilar).
type Loss interface {
	// Name is the name the loss is registered under.
	Name() string
	// Params returns the parameters the loss was built with, so they can be
	// stored next to a trained model and the loss rebuilt by name.
	Params() Params
	// Node builds the scalar mean loss from d and y, vectors of equal length
	// in the same graph, both float32 or both float64.
	Node(d, y *G.Node) (*G.Node, error)
	// Value is the same mean loss on plain numbers, accumulated in float64.
	// It panics if len(d) != len(y) and returns NaN for empty input.
	Value(d, y []float32) float64
}

// Params are the tunable constants of a loss. Margin is the target distance
// of dissimilar pairs (the triplet loss's gap); Delta is the Huber transition
// point; Temperature is ntxent's. Each loss ignores the others.
type Params struct {
	Margin float64 `json:"margin" yaml:"margin"`
	Delta  float64 `json:"delta,omitempty" yaml:"delta,omitempty"`
	// Temperature scales ntxent's logits; 0 means DefaultTemperature.
	Temperature float64 `json:"temperature,omitempty" yaml:"temperature,omitempty"`
}

func checkPositive(name string, v float64) error {
	if math.IsInf(v, 0) {
		return fmt.Errorf("%s must be finite, got %g", name, v)
	}
	if !(v > 0) { // written this way so NaN is rejected too
		return fmt.Errorf("%s must be > 0, got %g", name, v)
	}
	return nil
}

// Contrastive returns the contrastive loss mean(y·d² + (1-y)·max(margin-d, 0)²).
// It panics if margin is not a finite positive number; use Registry.New to
// get an error instead.
func Contrastive(margin float64) Loss {
	l, err := newContrastive(Params{Margin: margin})
	if err != nil {
		panic(fmt.Sprintf("%s loss: %v", NameContrastive, err))
	}
	return l
}

// Huber returns the Huber loss of d against the target 0 (similar) or margin
// (dissimilar), quadratic within delta of the target and linear beyond.
// It panics if margin or delta is not a finite positive number.
func Huber(margin, delta float64) Loss {
	l, err := newHuber(Params{Margin: margin, Delta: delta})
	if err != nil {
		panic(fmt.Sprintf("%s loss: %v", NameHuber, err))
	}
	return l
}

// MSE returns the mean squared error of d against the target 0 (similar) or
// margin (dissimilar). It panics if margin is not a finite positive number.
func MSE(margin float64) Loss {
	l, err := newMSE(Params{Margin: margin})
	if err != nil {
		panic(fmt.Sprintf("%s loss: %v", NameMSE, err))
	}
	return l
}

func newContrastive(p Params) (Loss, error) {
	if err := checkPositive("margin", p.Margin); err != nil {
		return nil, err
	}
	return contrastiveLoss{margin: p.Margin}, nil
}

func newHuber(p Params) (Loss, error) {
	if err := checkPositive("margin", p.Margin); err != nil {
		return nil, err
	}
	if err := checkPositive("delta", p.Delta); err != nil {
		return nil, err
	}
	return huberLoss{margin: p.Margin, delta: p.Delta}, nil
}

func newMSE(p Params) (Loss, error) {
	if err := checkPositive("margin", p.Margin); err != nil {
		return nil, err
	}
	return mseLoss{margin: p.Margin}, nil
}

// The loss types are unexported so that the constructors, which validate
// their parameters, are the only way to make one.

type contrastiveLoss struct{ margin float64 }

func (contrastiveLoss) Name() string     { return NameContrastive }
func (l contrastiveLoss) Params() Params { return Params{Margin: l.margin} }

func (l contrastiveLoss) Node(d, y *G.Node) (*G.Node, error) {
	if err := checkInputs(NameContrastive, d, y); err != nil {
		return nil, err
	}
	b := newBuilder(d.Dtype())
	// similar: y·d²
	pull := b.mul(y, b.square(d))
	// dissimilar: (1-y)·max(m-d, 0)²
	push := b.mul(b.sub(b.constant(1), y), b.square(b.relu(b.sub(b.constant(l.margin), d))))
	return b.finish(NameContrastive, b.mean(b.add(pull, push)))
}

func (l contrastiveLoss) Value(d, y []float32) float64 {
	return meanOf(NameContrastive, d, y, func(d, y float64) float64 {
		gap := math.Max(l.margin-d, 0)
		return y*d*d + (1-y)*gap*gap
	})
}

type huberLoss struct{ margin, delta float64 }

func (huberLoss) Name() string     { return NameHuber }
func (l huberLoss) Params() Params { return Params{Margin: l.margin, Delta: l.delta} }

func (l huberLoss) Node(d, y *G.Node) (*G.Node, error) {
	if err := checkInputs(NameHuber, d, y); err != nil {
		return nil, err
	}
	b := newBuilder(d.Dtype())
	absA := b.abs(residual(b, l.margin, d, y))
	// c = min(|a|, δ) = |a| - max(|a|-δ, 0); h = c·(|a| - ½c)
	c := b.sub(absA, b.relu(b.sub(absA, b.constant(l.delta))))
	h := b.mul(c, b.sub(absA, b.mul(b.constant(0.5), c)))
	return b.finish(NameHuber, b.mean(h))
}

func (l huberLoss) Value(d, y []float32) float64 {
	return meanOf(NameHuber, d, y, func(d, y float64) float64 {
		a := math.Abs(d - (1-y)*l.margin)
		if a <= l.delta {
			return 0.5 * a * a
		}
		return l.delta * (a - 0.5*l.delta)
	})
}

type mseLoss struct{ margin float64 }

func (mseLoss) Name() string     { return NameMSE }
func (l mseLoss) Params() Params { return Params{Margin: l.margin} }

func (l mseLoss) Node(d, y *G.Node) (*G.Node, error) {
	if err := checkInputs(NameMSE, d, y); err != nil {
		return nil, err
	}
	b := newBuilder(d.Dtype())
	return b.finish(NameMSE, b.mean(b.square(residual(b, l.margin, d, y))))
}

func (l mseLoss) Value(d, y []float32) float64 {
	return meanOf(NameMSE, d, y, func(d, y float64) float64 {
		a := d - (1-y)*l.margin
		return a * a
	})
}

// residual builds a = d - t with target t = (1-y)·margin: 0 for similar pairs
// and margin for dissimilar ones.
func residual(b *builder, margin float64, d, y *G.Node) *G.Node {
	target := b.mul(b.sub(b.constant(1), y), b.constant(margin))
	return b.sub(d, target)
}

// meanOf averages term over the pairs in float64 so that long validation sets
// do not lose precision the way a float32 running sum would.
func meanOf(name string, d, y []float32, term func(d, y float64) float64) float64 {
	if len(d) != len(y) {
		panic(fmt.Sprintf("%s loss: %d distances but %d labels", name, len(d), len(y)))
	}
	if len(d) == 0 {
		return math.NaN()
	}
	var sum float64
	for i := range d {
		sum += term(float64(d[i]), float64(y[i]))
	}
	return sum / float64(len(d))
}
