package network

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchGraph is the training graph of batch losses: one batch of images
// (P classes × K images) through the tower once, and a loss over every pair
// of their embeddings. A batch of n images gives n(n-1)/2 pairs for the
// price of n tower passes, where PairGraph pays two passes per pair.
type BatchGraph struct {
	net     *Net
	batch   int
	x       *tensor.Dense
	labels  []int
	loss    *G.Node
	weights G.Nodes
	vm      G.VM
	lossVal G.Value
	// dropouts, whose mask streams SetMaskStream positions.
	dropouts []*DropoutOp
}

// NewBatchGraph compiles the training graph for batches of the given number
// of images under the loss f.
func (n *Net) NewBatchGraph(batch int, f BatchLossFunc) (*BatchGraph, error) {
	if batch < 2 {
		return nil, fmt.Errorf("batch graph: %d images per batch, need at least 2", batch)
	}
	g := G.NewGraph()
	bg := &BatchGraph{net: n, batch: batch, labels: make([]int, batch)}
	var x *G.Node
	x, bg.x = n.inputNode(g, batch, "x")
	bg.weights = n.weightNodes(g)
	mode := &applyMode{training: true}
	e, err := n.apply(x, bg.weights, mode)
	if err != nil {
		return nil, err
	}
	bg.dropouts = mode.dropouts
	l, err := BatchLoss(e, f, &bg.labels)
	if err != nil {
		return nil, err
	}
	if bg.loss, err = G.Sum(l); err != nil {
		return nil, fmt.Errorf("batch loss: %w", err)
	}
	readLoss := G.Read(bg.loss, &bg.lossVal)
	grads, err := G.Grad(bg.loss, bg.weights...)
	if err != nil {
		return nil, fmt.Errorf("differentiate loss: %w", err)
	}
	roots := append(G.Nodes{readLoss}, grads...)
	bg.vm = G.NewTapeMachine(g.SubgraphRoots(roots...), G.BindDualValues(bg.weights...))
	return bg, nil
}

// SetMaskStream positions the dropout masks as PairGraph.SetMaskStream does.
func (bg *BatchGraph) SetMaskStream(seed uint64, epoch int) {
	for _, d := range bg.dropouts {
		d.SetRunIndex((seed*1_000_003 + uint64(epoch)) << 24)
	}
}

// Batch is the number of images per step.
func (bg *BatchGraph) Batch() int { return bg.batch }

// Step runs forward and backward on one batch: x holds the images (C×H×W
// each, concatenated) and labels their classes. It returns the loss; the
// gradients are then in Grads.
func (bg *BatchGraph) Step(x []float32, labels []int) (float64, error) {
	if len(labels) != bg.batch {
		return 0, fmt.Errorf("training step: %d labels for a batch of %d", len(labels), bg.batch)
	}
	copy(bg.x.Data().([]float32), x)
	copy(bg.labels, labels)
	for _, w := range bg.weights {
		if gv, err := w.Grad(); err == nil && gv != nil {
			if d, ok := gv.Data().([]float32); ok {
				clear(d)
			}
		}
	}
	bg.vm.Reset()
	if err := bg.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("training step: %w", err)
	}
	return float64(scalarOf(bg.lossVal)), nil
}

// Grads returns the gradient of the loss for every parameter, aligned with
// Net.Params. The slices belong to the graph and change with the next Step.
func (bg *BatchGraph) Grads() ([][]float32, error) {
	out := make([][]float32, len(bg.weights))
	for i, w := range bg.weights {
		gv, err := w.Grad()
		if err != nil {
			return nil, fmt.Errorf("gradient of %s: %w", bg.net.Params[i].Name, err)
		}
		out[i] = gv.Data().([]float32)
	}
	return out, nil
}
