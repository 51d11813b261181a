package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Report summarises how well distances separate similar from dissimilar
// pairs at one threshold. Zero-denominator ratios are 0; see the package
// documentation.
type Report struct {
	Pairs          int
	TP, FP, TN, FN int
	Accuracy       float64
	Precision      float64
	Recall         float64
	F1             float64
	AUC            float64 // threshold-free; NaN with only one kind of pair
	Threshold      float64 // a pair is predicted similar when dist < Threshold
}

// String formats r on one line for logs and command output.
func (r Report) String() string {
	return fmt.Sprintf("pairs=%d threshold=%.4g accuracy=%.4f precision=%.4f recall=%.4f f1=%.4f auc=%.4f (tp=%d fp=%d tn=%d fn=%d)",
		r.Pairs, r.Threshold, r.Accuracy, r.Precision, r.Recall, r.F1, r.AUC, r.TP, r.FP, r.TN, r.FN)
}

// Evaluate scores the pairs with distances dist and ground truth similar at
// threshold. It panics if the slices differ in length.
func Evaluate(dist []float64, similar []bool, threshold float64) Report {
	checkLengths(dist, similar)
	r := Report{Pairs: len(dist), Threshold: threshold, AUC: AUC(dist, similar)}
	for i, d := range dist {
		predicted := d < threshold // false for NaN d, as documented
		switch {
		case predicted && similar[i]:
			r.TP++
		case predicted:
			r.FP++
		case similar[i]:
			r.FN++
		default:
			r.TN++
		}
	}
	r.Accuracy = ratio(r.TP+r.TN, r.Pairs)
	r.Precision = ratio(r.TP, r.TP+r.FP)
	r.Recall = ratio(r.TP, r.TP+r.FN)
	if s := r.Precision + r.Recall; s > 0 {
		r.F1 = 2 * r.Precision * r.Recall / s
	}
	return r
}

// AUC returns the ROC area for ranking similar pairs ahead of dissimilar
// ones by ascending distance, ties counting one half. It returns NaN unless
// both kinds of pair are present, and panics if the slices differ in length.
func AUC(dist []float64, similar []bool) float64 {
	checkLengths(dist, similar)
	groups := groupByDistance(dist, similar)
	var pos, neg int
	for _, g := range groups {
		pos += g.pos
		neg += g.neg
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	// Walking distances upwards, a similar pair beats every dissimilar pair
	// strictly further away and ties with those at its own distance.
	var wins float64
	negAtOrBelow := 0
	for _, g := range groups {
		negAtOrBelow += g.neg
		further := neg - negAtOrBelow
		wins += float64(g.pos) * (float64(further) + 0.5*float64(g.neg))
	}
	return wins / (float64(pos) * float64(neg))
}

// BestThreshold returns the threshold with the highest accuracy among the
// candidates described in the package documentation, and that accuracy.
// Among equally accurate candidates the smallest threshold wins, so the
// result is deterministic and errs towards calling pairs dissimilar. Empty
// input gives (0, 0). It panics if the slices differ in length.
func BestThreshold(dist []float64, similar []bool) (threshold, accuracy float64) {
	checkLengths(dist, similar)
	groups := groupByDistance(dist, similar)
	if len(groups) == 0 {
		return 0, 0
	}
	// Start with every pair predicted dissimilar: the dissimilar ones are
	// right. Raising t past a group flips it to similar, which gains its
	// similar pairs and loses its dissimilar ones.
	correct := 0
	for _, g := range groups {
		correct += g.neg
	}
	bestCorrect, best := correct, groups[0].dist
	for i, g := range groups {
		if math.IsInf(g.dist, 1) {
			// No threshold is above +Inf (or NaN), so these pairs stay
			// predicted dissimilar whatever t is.
			break
		}
		correct += g.pos - g.neg
		if correct <= bestCorrect {
			continue
		}
		bestCorrect = correct
		if i+1 < len(groups) {
			best = midpoint(g.dist, groups[i+1].dist)
		} else {
			best = aboveMax(groups)
		}
	}
	return best, float64(bestCorrect) / float64(len(dist))
}

// aboveMax returns a threshold above the largest distance, as far beyond it
// as the last midpoint is below it, so that it keeps the scale of the data.
func aboveMax(groups []group) float64 {
	last := groups[len(groups)-1].dist
	if len(groups) == 1 {
		// No spacing to copy; any larger value behaves the same.
		return last + math.Max(math.Abs(last), 1)
	}
	return last + (last-groups[len(groups)-2].dist)/2
}

// midpoint avoids the overflow of (a+b)/2 for huge distances.
func midpoint(a, b float64) float64 { return a/2 + b/2 }

// group counts the similar (pos) and dissimilar (neg) pairs sharing one
// distance value.
type group struct {
	dist     float64
	pos, neg int
}

// groupByDistance returns the distinct distances in increasing order with
// their pair counts, NaN counted as +Inf.
func groupByDistance(dist []float64, similar []bool) []group {
	order := make([]int, len(dist))
	key := make([]float64, len(dist))
	for i, d := range dist {
		order[i] = i
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		key[i] = d
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case key[a] < key[b]:
			return -1
		case key[a] > key[b]:
			return 1
		}
		return 0
	})
	var groups []group
	for _, i := range order {
		if n := len(groups); n == 0 || groups[n-1].dist != key[i] {
			groups = append(groups, group{dist: key[i]})
		}
		g := &groups[len(groups)-1]
		if similar[i] {
			g.pos++
		} else {
			g.neg++
		}
	}
	return groups
}

func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

func checkLengths(dist []float64, similar []bool) {
	if len(dist) != len(similar) {
		panic(fmt.Sprintf("metrics: %d distances but %d labels", len(dist), len(similar)))
	}
}

// Wilson95 is the 95% Wilson score interval of a proportion p measured on
// n > 0 trials (see the pairs package's documentation for why not the
// normal approximation): one-shot accuracy over trials, pair accuracy
// over pairs.
func Wilson95(p float64, n int) (lo, hi float64) { return Wilson95N(p, float64(n)) }

// Wilson95N is Wilson95 for an effective number of trials n > 0 that need
// not be whole: that of trials which are not independent (see the pairs
// package's one-shot accuracy).
func Wilson95N(p, nf float64) (lo, hi float64) {
	const z = 1.96
	centre := p + z*z/(2*nf)
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	d := 1 + z*z/nf
	// Clamped: at p = 0 or 1 the exact bound is 0 or 1, which rounding can
	// miss by an ulp.
	return max(0, (centre-half)/d), min(1, (centre+half)/d)
}
