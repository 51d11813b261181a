package contrastive

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Func is a Loss assembled from plain functions, so a Go caller can plug its
// own loss into the trainer (and into a Registry) without declaring a type.
// Graph and Eval must compute the same mean loss; Graph receives inputs that
// have already passed the same shape and dtype checks as the built-in losses.
type Func struct {
	// LossName is returned by Name.
	LossName string
	// Parameters is returned by Params, for recording in the model file.
	Parameters Params
	// Graph builds the scalar mean loss node.
	Graph func(d, y *G.Node) (*G.Node, error)
	// Eval computes the mean loss on plain numbers.
	Eval func(d, y []float32) float64
}

// Name returns f.LossName.
func (f Func) Name() string { return f.LossName }

// Params returns f.Parameters.
func (f Func) Params() Params { return f.Parameters }

// Node checks d and y, calls f.Graph and checks that it returned a scalar,
// since the trainer differentiates the result and needs a scalar cost.
func (f Func) Node(d, y *G.Node) (*G.Node, error) {
	if f.Graph == nil {
		return nil, fmt.Errorf("%s loss: Func has no Graph function", f.LossName)
	}
	if err := checkInputs(f.LossName, d, y); err != nil {
		return nil, err
	}
	n, err := f.Graph(d, y)
	if err != nil {
		return nil, fmt.Errorf("%s loss: build graph: %w", f.LossName, err)
	}
	if n == nil || !n.IsScalar() {
		return nil, fmt.Errorf("%s loss: Graph must return a scalar node, got %v", f.LossName, n)
	}
	return n, nil
}

// Value calls f.Eval after the same length check as the built-in losses.
// It panics if f.Eval is nil or len(d) != len(y).
func (f Func) Value(d, y []float32) float64 {
	if f.Eval == nil {
		panic(fmt.Sprintf("%s loss: Func has no Eval function", f.LossName))
	}
	if len(d) != len(y) {
		panic(fmt.Sprintf("%s loss: %d distances but %d labels", f.LossName, len(d), len(y)))
	}
	return f.Eval(d, y)
}
