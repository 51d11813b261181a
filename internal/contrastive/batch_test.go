package contrastive

import (
	"math"
	"math/rand/v2"
	"testing"
)

// batchOf returns the squared-distance matrix of points on a line.
func batchOf(xs []float64) []float64 {
	n := len(xs)
	d2 := make([]float64, n*n)
	for i := range n {
		for j := range n {
			d2[i*n+j] = (xs[i] - xs[j]) * (xs[i] - xs[j])
		}
	}
	return d2
}

func TestBatchLossValues(t *testing.T) {
	sq := func(x float64) float64 { return x * x }
	d := func(s float64) float64 { return math.Sqrt(s + distEps) }
	// Points 0, 0.5 (class 0) and 2, 2.2 (class 1); d2 entries by hand.
	xs := []float64{0, 0.5, 2, 2.2}
	labels := []int{0, 0, 1, 1}
	tests := []struct {
		name string
		loss Loss
		want float64
	}{
		// similar pairs (0,1): .25 and (2,3): .04; every dissimilar pair
		// (2, 2.2, 1.5, 1.7 apart) is beyond margin 1.
		{"contrastive margin 1", Contrastive(1), 0.5 * (0.25 + 0.04) / 2},
		// margin 2: 0.5→2 (1.5) and 0.5→2.2 (1.7) fall inside; 4 dissimilar pairs.
		{"contrastive margin 2", Contrastive(2), 0.5*(0.25+0.04)/2 + 0.5*(sq(2-d(2.25))+sq(2-d(2.89)))/4},
		// batch-hard, margin 1.5: anchor 0: 1.5+.5-2 = 0 (up to eps),
		// anchor 1: 1.5+.5-1.5 = .5, anchor 2: 1.5+.2-1.5 = .2,
		// anchor 3: 1.5+.2-1.7 = 0.
		{"triplet margin 1.5", Triplet(1.5), (math.Max(0, 1.5+d(.25)-d(4)) + (1.5 + d(.25) - d(2.25)) + (1.5 + d(.04) - d(2.25)) + math.Max(0, 1.5+d(.04)-d(2.89))) / 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d2 := batchOf(xs)
			grad := make([]float64, len(d2))
			got := tc.loss.(BatchLoss).Batch(d2, labels, grad)
			if math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("loss %.12f, want %.12f", got, tc.want)
			}
		})
	}
}

func TestNTXentByHand(t *testing.T) {
	// Three embeddings: 0 and 1 of one class, 2 alone. Anchor 0's logits
	// over {1, 2} are -d2/(2τ); its loss is -log softmax at 1. Anchor 2
	// has no positive and is skipped.
	tau := 0.5
	d2 := []float64{
		0, 1, 4,
		1, 0, 2,
		4, 2, 0,
	}
	labels := []int{0, 0, 1}
	s := func(x float64) float64 { return -x / (2 * tau) }
	l0 := -(s(1) - math.Log(math.Exp(s(1))+math.Exp(s(4))))
	l1 := -(s(1) - math.Log(math.Exp(s(1))+math.Exp(s(2))))
	want := (l0 + l1) / 2
	got := NTXent(tau).(BatchLoss).Batch(d2, labels, make([]float64, 9))
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("ntxent %.12f, want %.12f", got, want)
	}
}

// TestBatchLossGradients checks every entry of ∂L/∂d2 against central
// differences on random batches.
func TestBatchLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		loss Loss
	}{
		{"contrastive", Contrastive(2)},
		{"triplet", Triplet(0.8)},
		{"ntxent", NTXent(0.3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 6
			labels := []int{0, 0, 1, 1, 2, 2}
			d2 := make([]float64, n*n)
			for i := range n {
				for j := i + 1; j < n; j++ {
					v := 0.2 + 3*rng.Float64()
					d2[i*n+j], d2[j*n+i] = v, v
				}
			}
			bl := tc.loss.(BatchLoss)
			grad := make([]float64, n*n)
			bl.Batch(d2, labels, grad)
			const h = 1e-6
			scratch := make([]float64, n*n)
			for k := range d2 {
				if k/n == k%n {
					continue
				}
				old := d2[k]
				d2[k] = old + h
				up := bl.Batch(d2, labels, scratch)
				d2[k] = old - h
				down := bl.Batch(d2, labels, scratch)
				d2[k] = old
				num := (up - down) / (2 * h)
				if math.Abs(num-grad[k]) > 1e-6*math.Max(1, math.Abs(num)) {
					t.Errorf("entry %d,%d: analytic %.9f, numeric %.9f", k/n, k%n, grad[k], num)
				}
			}
		})
	}
}

func TestBatchOnlyLossesRefusePairs(t *testing.T) {
	for _, tc := range []struct {
		loss      Loss
		batchOnly bool
	}{{Triplet(1), true}, {NTXent(0.1), true}, {Contrastive(1), false}, {Huber(1, 1), false}} {
		l := tc.loss
		if got := BatchOnly(l); got != tc.batchOnly {
			t.Errorf("BatchOnly(%s) = %v, want %v", l.Name(), got, tc.batchOnly)
		}
		if !tc.batchOnly {
			continue
		}
		if _, err := l.Node(nil, nil); err == nil {
			t.Errorf("%s: Node on pairs gave no error", l.Name())
		}
		if v := l.Value([]float32{1}, []float32{1}); !math.IsNaN(v) {
			t.Errorf("%s: Value on pairs = %v, want NaN", l.Name(), v)
		}
	}
}
