package contrastive

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
)

// Names of the losses that need whole batches (P classes × K images).
const (
	NameTriplet = "triplet"
	NameNTXent  = "ntxent"
)

// BatchLoss is a loss over every pair of a batch of n embeddings. Batch
// receives the n×n matrix of squared Euclidean distances d2 (row-major,
// d2[i*n+j]) and the labels, returns the mean loss and writes ∂L/∂d2 into
// grad (n×n, every entry). Its gradient with respect to the embeddings then
// follows from ∂d2_ij/∂e_i = 2(e_i - e_j).
type BatchLoss interface {
	Loss
	Batch(d2 []float64, labels []int, grad []float64) float64
}

// ErrBatchOnly is returned by the pair form of a loss that is defined only
// over whole batches.
var ErrBatchOnly = errors.New("this loss compares every pair of a batch: train with --batches classes")

// BatchOnly reports whether l is defined only over whole batches (it has
// no pair form: Node fails with ErrBatchOnly and Value is NaN).
func BatchOnly(l Loss) bool {
	_, ok := l.(interface{ batchOnly() })
	return ok
}

// distEps smooths the distance at zero like network.DistanceEps.
const distEps = 1e-6

// Batch is the contrastive loss over every pair of the batch, the similar
// and the dissimilar pairs each weighted one half (or all of it when the
// batch has only one kind), so that a batch of P classes × K images keeps
// the balance of the pair sampler: L = ½·mean_sim d² + ½·mean_dis max(m-d,0)²,
// with d = sqrt(d2 + 1e-6).
func (l contrastiveLoss) Batch(d2 []float64, labels []int, grad []float64) float64 {
	n := len(labels)
	clear(grad)
	var nSim, nDis int
	for i := range n {
		for j := i + 1; j < n; j++ {
			if labels[i] == labels[j] {
				nSim++
			} else {
				nDis++
			}
		}
	}
	wSim, wDis := 0.5, 0.5
	switch {
	case nSim == 0:
		wSim, wDis = 0, 1
	case nDis == 0:
		wSim, wDis = 1, 0
	}
	var loss float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			s := d2[i*n+j]
			if labels[i] == labels[j] {
				w := wSim / float64(nSim)
				loss += w * s
				grad[i*n+j] = w
				continue
			}
			d := math.Sqrt(s + distEps)
			gap := l.margin - d
			if gap <= 0 {
				continue
			}
			w := wDis / float64(nDis)
			loss += w * gap * gap
			// ∂(m-d)²/∂s = -2(m-d)·∂d/∂s = -(m-d)/d
			grad[i*n+j] = -w * gap / d
		}
	}
	return loss
}

// tripletLoss is the batch-hard triplet loss of Hermans, Beyer and Leibe
// (2017): for every anchor, its farthest positive against its nearest
// negative, mean over the anchors that have both:
// L = mean_a max(0, m + max_p d_ap - min_n d_an).
type tripletLoss struct{ margin float64 }

func newTriplet(p Params) (Loss, error) {
	if err := checkPositive("margin", p.Margin); err != nil {
		return nil, err
	}
	return tripletLoss{margin: p.Margin}, nil
}

// Triplet returns the batch-hard triplet loss with the given margin. It
// panics if margin is not a finite positive number.
func Triplet(margin float64) Loss {
	l, err := newTriplet(Params{Margin: margin})
	if err != nil {
		panic(fmt.Sprintf("%s loss: %v", NameTriplet, err))
	}
	return l
}

func (tripletLoss) batchOnly()       {}
func (tripletLoss) Name() string     { return NameTriplet }
func (l tripletLoss) Params() Params { return Params{Margin: l.margin} }
func (tripletLoss) Node(_, _ *G.Node) (*G.Node, error) {
	return nil, fmt.Errorf("%s: %w", NameTriplet, ErrBatchOnly)
}
func (tripletLoss) Value(_, _ []float32) float64 { return math.NaN() }

func (l tripletLoss) Batch(d2 []float64, labels []int, grad []float64) float64 {
	n := len(labels)
	clear(grad)
	var loss float64
	anchors := 0
	type hit struct {
		j int
		d float64
	}
	terms := make([][3]float64, 0, n) // anchor, hardest positive, hardest negative (as indices)
	for a := range n {
		pos, neg := hit{-1, math.Inf(-1)}, hit{-1, math.Inf(1)}
		for j := range n {
			if j == a {
				continue
			}
			d := math.Sqrt(d2[a*n+j] + distEps)
			if labels[j] == labels[a] {
				if d > pos.d {
					pos = hit{j, d}
				}
			} else if d < neg.d {
				neg = hit{j, d}
			}
		}
		if pos.j < 0 || neg.j < 0 {
			continue
		}
		anchors++
		if v := l.margin + pos.d - neg.d; v > 0 {
			loss += v
			terms = append(terms, [3]float64{float64(a), float64(pos.j), float64(neg.j)})
		}
	}
	if anchors == 0 {
		return 0
	}
	for _, t := range terms {
		a, p, q := int(t[0]), int(t[1]), int(t[2])
		dp := math.Sqrt(d2[a*n+p] + distEps)
		dq := math.Sqrt(d2[a*n+q] + distEps)
		// ∂d/∂s = 1/(2d)
		grad[a*n+p] += 1 / (2 * dp) / float64(anchors)
		grad[a*n+q] -= 1 / (2 * dq) / float64(anchors)
	}
	return loss / float64(anchors)
}

// ntxentLoss is the supervised normalised-temperature cross-entropy of
// Khosla et al. (2020) written on squared distances: with logits
// s_ij = -d2_ij/(2τ) (for unit-length embeddings, d2 = 2 - 2cos, so these
// are the cosine logits cos/τ up to a constant that the softmax ignores),
// every anchor i that has positives P(i) pays
// -1/|P(i)| Σ_{p∈P(i)} log(exp(s_ip) / Σ_{a≠i} exp(s_ia)), averaged over
// those anchors.
type ntxentLoss struct{ temperature float64 }

func newNTXent(p Params) (Loss, error) {
	t := p.Temperature
	if t == 0 {
		t = DefaultTemperature
	}
	if err := checkPositive("temperature", t); err != nil {
		return nil, err
	}
	return ntxentLoss{temperature: t}, nil
}

// DefaultTemperature is ntxent's temperature when Params leaves it 0.
const DefaultTemperature = 0.1

// NTXent returns the supervised normalised-temperature cross-entropy loss.
// It panics if temperature is not a finite positive number.
func NTXent(temperature float64) Loss {
	l, err := newNTXent(Params{Temperature: temperature})
	if err != nil {
		panic(fmt.Sprintf("%s loss: %v", NameNTXent, err))
	}
	return l
}

func (ntxentLoss) batchOnly()       {}
func (ntxentLoss) Name() string     { return NameNTXent }
func (l ntxentLoss) Params() Params { return Params{Temperature: l.temperature} }
func (ntxentLoss) Node(_, _ *G.Node) (*G.Node, error) {
	return nil, fmt.Errorf("%s: %w", NameNTXent, ErrBatchOnly)
}
func (ntxentLoss) Value(_, _ []float32) float64 { return math.NaN() }

func (l ntxentLoss) Batch(d2 []float64, labels []int, grad []float64) float64 {
	n := len(labels)
	clear(grad)
	scale := -1 / (2 * l.temperature)
	soft := make([]float64, n)
	var loss float64
	anchors := 0
	for i := range n {
		nPos := 0
		for j := range n {
			if j != i && labels[j] == labels[i] {
				nPos++
			}
		}
		if nPos == 0 {
			continue
		}
		anchors++
		// log-sum-exp over a ≠ i, shifted by the largest logit.
		top := math.Inf(-1)
		for j := range n {
			if j != i {
				top = math.Max(top, scale*d2[i*n+j])
			}
		}
		var z float64
		for j := range n {
			if j == i {
				soft[j] = 0
				continue
			}
			soft[j] = math.Exp(scale*d2[i*n+j] - top)
			z += soft[j]
		}
		lse := top + math.Log(z)
		for j := range n {
			if j == i {
				continue
			}
			p := soft[j] / z
			pos := 0.0
			if labels[j] == labels[i] {
				pos = 1 / float64(nPos)
				loss -= pos * (scale*d2[i*n+j] - lse)
			}
			// ∂L_i/∂s_ij = p_ij - 1[j∈P(i)]/|P(i)|; ∂s/∂d2 = scale.
			grad[i*n+j] = (p - pos) * scale
		}
	}
	if anchors == 0 {
		return 0
	}
	for k := range grad {
		grad[k] /= float64(anchors)
	}
	return loss / float64(anchors)
}
