package network

import "fmt"

// BatchGraph is the training graph of batch losses: one batch of images
// (P classes × K images) through the tower once, and a loss over every pair
// of their embeddings. A batch of n images gives n(n-1)/2 pairs for the
// price of n tower passes, where PairGraph pays two passes per pair.
//
// The batch runs in two halves side by side, a tower each (twin.go),
// meeting at the loss and at every batch norm, whose statistics are the
// whole batch's; a batch of fewer than 4 images, whose halves could not
// each be normalised, runs as one.
type BatchGraph struct {
	twins
	batch  int
	rows   [2]int // images per tower
	labels []int
}

// NewBatchGraph compiles the training graph for batches of the given number
// of images under the loss f.
func (n *Net) NewBatchGraph(batch int, f BatchLossFunc) (*BatchGraph, error) {
	return n.newBatchGraph(batch, f, batch >= 4)
}

// newBatchGraph is NewBatchGraph, the batch split in halves or not.
func (n *Net) newBatchGraph(batch int, f BatchLossFunc, split bool) (*BatchGraph, error) {
	if batch < 2 {
		return nil, fmt.Errorf("batch graph: %d images per batch, need at least 2", batch)
	}
	bg := &BatchGraph{batch: batch, labels: make([]int, batch), rows: [2]int{batch, 0}}
	bg.net = n
	if split {
		bg.rows = [2]int{(batch + 1) / 2, batch / 2}
	}
	dim, err := n.Spec.EmbeddingSize()
	if err != nil {
		return nil, fmt.Errorf("batch graph: %w", err)
	}
	bg.head = newBatchHead(bg.rows, dim, f, &bg.labels)
	for side, rows := range bg.rows {
		if rows == 0 {
			continue
		}
		tg, err := n.newTowerGraph(rows, side, bg.head)
		if err != nil {
			return nil, err
		}
		bg.towers[side] = tg
	}
	if bg.towers[1] != nil {
		if err := bg.pairBatchNorms(); err != nil {
			return nil, err
		}
	}
	return bg, nil
}

// pairBatchNorms joins each batch norm of one half, and its input
// gradient, to the same op of the other half. The first half updates the
// running statistics, with the whole batch's.
func (bg *BatchGraph) pairBatchNorms() error {
	f0, g0 := bg.towers[0].trainingBN()
	f1, g1 := bg.towers[1].trainingBN()
	if len(f0) != len(f1) || len(g0) != len(g1) {
		return fmt.Errorf("batch graph: the halves have different batch norms")
	}
	pair := func(a, b *bnSide) {
		p := newStatPair()
		a.pair, a.side, b.pair, b.side = p, 0, p, 1
		bg.pairs = append(bg.pairs, p)
	}
	for i := range f0 {
		pair(&f0[i].bnSide, &f1[i].bnSide)
		f1[i].deferRunning = true // and never folded: the first half's update is the batch's
	}
	for i := range g0 {
		pair(&g0[i].bnSide, &g1[i].bnSide)
	}
	return nil
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
	k := copy(bg.towers[0].x.Data().([]float32), x)
	if bg.towers[1] != nil {
		copy(bg.towers[1].x.Data().([]float32), x[k:])
	}
	copy(bg.labels, labels)
	if err := bg.step(); err != nil {
		return 0, err
	}
	return float64(bg.head.loss), nil
}
