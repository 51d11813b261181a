package metrics

import "math"

// ROCPoint is one operating point: the rates obtained when the pairs with
// distance below Threshold are predicted similar.
type ROCPoint struct {
	Threshold float64
	FPR       float64 // false-accept rate, FP / dissimilar pairs
	TPR       float64 // true-accept rate, TP / similar pairs; 1 - TPR is the false-reject rate
}

// ROC returns the operating points of every distinct threshold, in
// increasing threshold order, from (0, 0) where no pair is predicted similar
// to (1, 1) where all are. The thresholds are the candidates BestThreshold
// tries. It returns nil unless both kinds of pair are present, and panics if
// the slices differ in length.
func ROC(dist []float64, similar []bool) []ROCPoint {
	checkLengths(dist, similar)
	groups := groupByDistance(dist, similar)
	var pos, neg int
	for _, g := range groups {
		pos += g.pos
		neg += g.neg
	}
	if pos == 0 || neg == 0 {
		return nil
	}
	out := make([]ROCPoint, 0, len(groups)+1)
	out = append(out, ROCPoint{Threshold: groups[0].dist})
	var tp, fp int
	for i, g := range groups {
		tp += g.pos
		fp += g.neg
		t := aboveMax(groups)
		if i+1 < len(groups) {
			t = midpoint(g.dist, groups[i+1].dist)
		}
		out = append(out, ROCPoint{Threshold: t, FPR: float64(fp) / float64(neg), TPR: float64(tp) / float64(pos)})
	}
	return out
}

// EER returns the equal error rate, where the false-accept rate equals the
// false-reject rate, and the threshold at which it is reached, both
// interpolated linearly between the two ROC points that bracket the
// crossing (see the package documentation). Both are NaN unless both kinds
// of pair are present. It panics if the slices differ in length.
func EER(dist []float64, similar []bool) (rate, threshold float64) {
	roc := ROC(dist, similar)
	if roc == nil {
		return math.NaN(), math.NaN()
	}
	// gap = FAR - FRR rises strictly from -1 at the first point to +1 at
	// the last, since every step accepts at least one more pair.
	gap := func(p ROCPoint) float64 { return p.FPR - (1 - p.TPR) }
	k := 1
	for gap(roc[k]) < 0 {
		k++
	}
	a, b := roc[k-1], roc[k]
	if gap(b) == 0 {
		return b.FPR, b.Threshold
	}
	f := -gap(a) / (gap(b) - gap(a))
	return lerp(a.FPR, b.FPR, f), lerp(a.Threshold, b.Threshold, f)
}

// lerp returns a + f(b-a) for f in [0, 1], keeping a when f is 0 even if b
// is infinite.
func lerp(a, b, f float64) float64 {
	if f == 0 {
		return a
	}
	return a + f*(b-a)
}

// AveragePrecision returns the area under the precision–recall curve with
// similar pairs as positives and -distance as the score, as the step sum
// Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct distances, pairs at one distance entering
// together. It is NaN when there is no similar pair and panics if the
// slices differ in length.
func AveragePrecision(dist []float64, similar []bool) float64 {
	checkLengths(dist, similar)
	groups := groupByDistance(dist, similar)
	pos := 0
	for _, g := range groups {
		pos += g.pos
	}
	if pos == 0 {
		return math.NaN()
	}
	// Σ pos_g·precision_g, divided by the positives once at the end: summing
	// the recall steps pos_g/pos instead gave 1.0000000000000002 for a
	// perfect ranking of 2 classes of 50 images.
	var sum float64
	var tp, fp int
	for _, g := range groups {
		tp += g.pos
		fp += g.neg
		if g.pos > 0 {
			sum += float64(g.pos) * float64(tp) / float64(tp+fp)
		}
	}
	return min(1, sum/float64(pos))
}

// MeanDistances returns the mean distance of the similar and of the
// dissimilar pairs, NaN for a kind that is absent. It panics if the slices
// differ in length.
func MeanDistances(dist []float64, similar []bool) (similarMean, dissimilarMean float64) {
	checkLengths(dist, similar)
	var s, d float64
	var ns, nd int
	for i, x := range dist {
		if similar[i] {
			s += x
			ns++
		} else {
			d += x
			nd++
		}
	}
	return s / float64(ns), d / float64(nd)
}

// AtFalseAccept returns the operating point that accepts the most pairs
// while its false-accept rate stays at or below limit: the threshold a
// verifier that must not let more than that share of impostors through
// would use, with the rates it gets there. ok is false unless both kinds
// of pair are present. It panics if the slices differ in length.
func AtFalseAccept(dist []float64, similar []bool, limit float64) (p ROCPoint, ok bool) {
	roc := ROC(dist, similar)
	if roc == nil {
		return ROCPoint{}, false
	}
	// The rates rise with the threshold, so the last point within the
	// limit accepts the most; the first, (0, 0), always is.
	p = roc[0]
	for _, q := range roc[1:] {
		if q.FPR > limit {
			break
		}
		p = q
	}
	return p, true
}
