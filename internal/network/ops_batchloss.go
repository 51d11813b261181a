package network

// A loss over every pair of a batch of embeddings (P classes × K images).
// The loss itself is a plain function of the n×n squared distances
//
//	d2_ij = Σ_k (e_ik - e_jk)²
//
// that also returns G_ij = ∂L/∂d2_ij, so the embeddings' gradient is
//
//	∂L/∂e_i = Σ_j 2·(G_ij + G_ji)·(e_i - e_j),
//
// since d2_ij moves with e_i by 2(e_i - e_j) and d2_ji by the same.

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchLossFunc computes a batch loss from the squared distances d2 (n×n,
// row-major) and the labels, writing ∂L/∂d2 into grad (n×n).
type BatchLossFunc func(d2 []float64, labels []int, grad []float64) float64

// BatchLoss applies f to the rows of e (n×D) with the labels *labels, read
// at every forward pass so a caller can change them between steps. The
// result is a one-element vector.
func BatchLoss(e *gorgonia.Node, f BatchLossFunc, labels *[]int) (*gorgonia.Node, error) {
	if f == nil || labels == nil {
		return nil, fmt.Errorf("batch loss: nil loss function or labels")
	}
	return apply(&batchLoss{f: f, labels: labels}, e)
}

type batchLoss struct {
	f      BatchLossFunc
	labels *[]int

	d2, grad []float64 // the last forward pass's distances and ∂L/∂d2
	out      []float32
}

func (k *batchLoss) name() string     { return "batch loss" }
func (k *batchLoss) inputs() []string { return []string{"embeddings"} }

func (k *batchLoss) shape(in []tensor.Shape) (tensor.Shape, error) {
	if es := in[0]; len(es) != 2 || es[0] < 2 {
		return nil, fmt.Errorf("%s: embeddings %v must be n×D with n >= 2", k.name(), es)
	}
	return tensor.Shape{1}, nil
}

func (k *batchLoss) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	e, n, dim := in[0], shapes[0][0], shapes[0][1]
	if len(*k.labels) != n {
		return nil, fmt.Errorf("%s: %d labels for %d embeddings", k.name(), len(*k.labels), n)
	}
	k.d2 = squaredDistances(k.d2, e, n, dim)
	if cap(k.grad) < n*n {
		k.grad = make([]float64, n*n)
	}
	k.grad = k.grad[:n*n]
	loss := k.f(k.d2, *k.labels, k.grad)
	k.out = grow(k.out, 1)
	k.out[0] = float32(loss)
	return k.out, nil
}

// squaredDistances fills d2 (grown to n×n) with the squared distances
// between the rows of e, summed in float64.
func squaredDistances(d2 []float64, e []float32, n, dim int) []float64 {
	if cap(d2) < n*n {
		d2 = make([]float64, n*n)
	}
	d2 = d2[:n*n]
	for i := range n {
		d2[i*n+i] = 0
		ei := e[i*dim : (i+1)*dim]
		for j := i + 1; j < n; j++ {
			var s float64
			for c, v := range e[j*dim : (j+1)*dim] {
				diff := float64(ei[c] - v)
				s += diff * diff
			}
			d2[i*n+j], d2[j*n+i] = s, s
		}
	}
	return d2
}

func (k *batchLoss) backward(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	de, err := apply(&batchLossGrad{fwd: k}, in[0], dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{de}, nil
}

// batchLossGrad turns the forward pass's ∂L/∂d2 into ∂L/∂e, scaled by the
// output gradient. It reads the forward kernel's cache, which the graph
// guarantees is this step's: the gradient node depends on the forward
// output.
type batchLossGrad struct {
	fwd *batchLoss

	out []float32
}

func (k *batchLossGrad) name() string     { return "batch loss gradient" }
func (k *batchLossGrad) inputs() []string { return []string{"embeddings", "output gradient"} }

func (k *batchLossGrad) shape(in []tensor.Shape) (tensor.Shape, error) {
	if in[1].TotalSize() != 1 {
		return nil, fmt.Errorf("%s: output gradient %v, want one value", k.name(), in[1])
	}
	return in[0].Clone(), nil
}

func (k *batchLossGrad) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	e, dy := in[0], float64(in[1][0])
	n, dim := shapes[0][0], shapes[0][1]
	g := k.fwd.grad
	if len(g) != n*n {
		return nil, fmt.Errorf("%s: forward pass saw %d pairs, not %d", k.name(), len(g), n*n)
	}
	k.out = grow(k.out, n*dim)
	acc := make([]float64, dim)
	for i := range n {
		clear(acc)
		ei := e[i*dim : (i+1)*dim]
		for j := range n {
			w := 2 * (g[i*n+j] + g[j*n+i])
			if j == i || w == 0 {
				continue
			}
			for c, v := range e[j*dim : (j+1)*dim] {
				acc[c] += w * float64(ei[c]-v)
			}
		}
		for c := range acc {
			k.out[i*dim+c] = float32(dy * acc[c])
		}
	}
	return k.out, nil
}
