package siamese

import (
	"fmt"
	"math"
	"slices"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// Loss is a pair loss: the mean, over a batch, of a term that depends on the
// distance d[i] between the two embeddings of pair i and its label y[i]
// (1 for a similar pair, 0 for a dissimilar one).
//
// Any type with these methods trains on pair batches (Options.Batches
// "pairs", the default) as a built-in loss does: Train calls Value for the
// loss it reports and Grad to backpropagate through the towers. Class
// batches need a built-in loss that compares every pair of a batch. Train
// hands Value and Grad copies of d and y, so they may be changed; a panic
// in either ends Train with an error.
type Loss interface {
	// Name names the loss in the model file and the Summary; a loss of
	// the caller's own needs a name that is not a built-in's (LossNames).
	Name() string
	// Value is the mean loss over the batch; len(d) == len(y).
	Value(d, y []float32) float64
	// Grad returns ∂Value/∂d[i] for every pair: len(d) finite values.
	Grad(d, y []float32) []float32
}

// LossParams are the constants of a built-in loss. Margin is the distance
// dissimilar pairs are pushed to; Delta is where the Huber loss turns from
// quadratic to linear; Temperature scales the "ntxent" loss (0 means its
// default, 0.1, as the flag's). A loss ignores the ones it does not use.
type LossParams struct {
	Margin      float64
	Delta       float64
	Temperature float64
}

// LossNames lists the names LossByName accepts.
func LossNames() []string { return contrastive.NewRegistry().Names() }

// LossByName returns the built-in loss called name (see LossNames) with
// parameters p, as `siamese train --loss` does. It fails on an unknown name
// or on a parameter the loss uses that is not a finite positive number,
// except a Temperature of 0, which means ntxent's default, 0.1. Margin is
// the one ntxent does not use: LossByName("ntxent", LossParams{}) is
// ntxent at temperature 0.1.
//
// "triplet" and "ntxent" compare every pair of a batch of P classes × K
// images rather than single pairs: they train with Options.Batches
// "classes", and their Value and Grad on single pairs are NaN.
func LossByName(name string, p LossParams) (Loss, error) {
	l, err := contrastive.NewRegistry().New(name, contrastive.Params{Margin: p.Margin, Delta: p.Delta, Temperature: p.Temperature})
	if err != nil {
		return nil, err
	}
	return builtinLoss{l}, nil
}

// Contrastive returns the contrastive loss of Hadsell, Chopra and LeCun
// (2006): mean(y·d² + (1-y)·max(margin-d, 0)²). Similar pairs are pulled
// together; dissimilar pairs are pushed apart until margin, then left alone.
// It panics unless margin is a finite number > 0; LossByName returns an
// error instead.
func Contrastive(margin float64) Loss { return builtinLoss{contrastive.Contrastive(margin)} }

// Huber returns the Huber loss of d against the target 0 (similar) or
// margin (dissimilar): ½a² for a residual |a| ≤ delta, delta·(|a| - ½delta)
// beyond, so a few badly placed pairs do not dominate the gradient. It
// panics unless delta and margin are finite numbers > 0.
func Huber(delta, margin float64) Loss { return builtinLoss{contrastive.Huber(margin, delta)} }

// MSE returns the mean squared error of d against the target 0 (similar) or
// margin (dissimilar). It panics unless margin is a finite number > 0.
func MSE(margin float64) Loss { return builtinLoss{contrastive.MSE(margin)} }

// builtinLoss is a loss the project ships. Train hands the inner loss to the
// trainer, which builds it from graph operations; Grad is its derivative on
// plain numbers, for callers who combine or inspect losses.
type builtinLoss struct{ l contrastive.Loss }

func (b builtinLoss) Name() string                 { return b.l.Name() }
func (b builtinLoss) Value(d, y []float32) float64 { return b.l.Value(d, y) }

func (b builtinLoss) Grad(d, y []float32) []float32 {
	if len(d) != len(y) {
		panic(fmt.Sprintf("%s loss: %d distances but %d labels", b.Name(), len(d), len(y)))
	}
	p := b.l.Params()
	n := float64(len(d))
	g := make([]float32, len(d))
	for i := range d {
		di, yi := float64(d[i]), float64(y[i])
		var v float64
		switch b.Name() {
		case contrastive.NameContrastive:
			// ∂/∂d [y·d² + (1-y)·max(m-d, 0)²]
			v = 2*yi*di - 2*(1-yi)*math.Max(p.Margin-di, 0)
		case contrastive.NameMSE:
			v = 2 * (di - (1-yi)*p.Margin)
		case contrastive.NameHuber:
			// The derivative of ½a² inside delta, of delta·|a| outside.
			a := di - (1-yi)*p.Margin
			v = math.Max(-p.Delta, math.Min(a, p.Delta))
		default: // a batch-only loss has no pair form, as its Value says
			v = math.NaN()
		}
		g[i] = float32(v / n)
	}
	return g
}

// internalLoss is the trainer's form of l: a built-in loss as its graph, a
// caller's loss through its Value and Grad. margin is recorded for a
// caller's loss (mining and the model file need one).
//
// A caller's functions get copies of d and y: the trainer's are the
// graph's own values, which the backward pass reads after the forward one,
// and a loss that sorted or scaled its d in place would corrupt them
// silently. A batch is a few hundred floats, so the copies cost nothing
// beside a step.
func internalLoss(l Loss, margin float64) contrastive.Loss {
	if b, ok := l.(builtinLoss); ok {
		return b.l
	}
	return contrastive.Plain{LossName: l.Name(), Parameters: contrastive.Params{Margin: margin},
		Eval: func(d, y []float32) float64 { return l.Value(slices.Clone(d), slices.Clone(y)) },
		Grad: func(d, y []float32) []float32 { return l.Grad(slices.Clone(d), slices.Clone(y)) }}
}
