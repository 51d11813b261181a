package pairs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/siamese-dev/siamese/internal/metrics"
)

// Trial is one N-way one-shot task: the query image and one reference per
// class, Refs[0] being of the query's class (another image than the query).
type Trial struct {
	Query int
	Refs  []int
}

// DrawTrials draws n trials of the given way over images with the given
// labels (see the package documentation for the rule).
func DrawTrials(labels []int, way, n int, seed uint64) ([]Trial, error) {
	byLabel := map[int][]int{}
	for i, l := range labels {
		byLabel[l] = append(byLabel[l], i)
	}
	classes := make([]int, 0, len(byLabel))
	for l := range byLabel {
		classes = append(classes, l)
	}
	slices.Sort(classes) // draws must not depend on map order
	var multi []int      // positions in classes of those with two images or more
	for k, l := range classes {
		if len(byLabel[l]) >= 2 {
			multi = append(multi, k)
		}
	}
	switch {
	case way < 2:
		return nil, fmt.Errorf("one-shot needs at least 2 ways, got %d", way)
	case way > len(classes):
		return nil, fmt.Errorf("%d-way one-shot needs %d classes, the data has %d", way, way, len(classes))
	case len(multi) == 0:
		return nil, fmt.Errorf("one-shot needs a class with two images (a query and its reference); none has")
	case n < 1:
		return nil, fmt.Errorf("one-shot needs at least 1 trial, got %d", n)
	}
	// Its own stream, so adding --one-shot leaves the pairs of eval as
	// they were.
	rng := rand.New(rand.NewPCG(seed, 0x3c6ef372fe94f82b))
	others := make([]int, 0, len(classes)-1)
	out := make([]Trial, n)
	for t := range out {
		q := multi[rng.IntN(len(multi))]
		members := byLabel[classes[q]]
		i := rng.IntN(len(members))
		j := rng.IntN(len(members) - 1)
		if j >= i {
			j++
		}
		tr := Trial{Query: members[i], Refs: make([]int, 1, way)}
		tr.Refs[0] = members[j]
		// A partial Fisher–Yates shuffle picks way-1 distinct other
		// classes uniformly.
		others = others[:0]
		for k := range classes {
			if k != q {
				others = append(others, k)
			}
		}
		for k := range way - 1 {
			r := k + rng.IntN(len(others)-k)
			others[k], others[r] = others[r], others[k]
			m := byLabel[classes[others[k]]]
			tr.Refs = append(tr.Refs, m[rng.IntN(len(m))])
		}
		out[t] = tr
	}
	return out, nil
}

// OneShotScores scores each trial with OneShotScore under dist.
func OneShotScores(trials []Trial, dist func(a, b int) float64) []float64 {
	out := make([]float64, len(trials))
	others := []float64{}
	for k, t := range trials {
		others = others[:0]
		for _, r := range t.Refs[1:] {
			others = append(others, dist(t.Query, r))
		}
		out[k] = OneShotScore(dist(t.Query, t.Refs[0]), others)
	}
	return out
}

// OneShotAccuracy returns the mean of the trials' scores and the bounds
// of its 95% Wilson score interval over the trials' effective number (see
// the package documentation): trials that share a query image are not
// independent, so many trials over few images do not make a narrow
// interval. NaN for no scores.
func OneShotAccuracy(trials []Trial, scores []float64) (mean, lo, hi float64) {
	if len(scores) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	if len(trials) != len(scores) {
		panic(fmt.Sprintf("pairs: %d trials but %d scores", len(trials), len(scores)))
	}
	for _, v := range scores {
		mean += v
	}
	mean /= float64(len(scores))
	lo, hi = metrics.Wilson95N(mean, effectiveTrials(trials, scores, mean))
	return mean, lo, hi
}

// effectiveTrials is the number of independent trials that would measure
// mean as precisely as these do: n / deff, where the design effect deff is
// the variance of the mean with the trials clustered by query image over
// its variance were they independent, both with their small-sample
// corrections, so that trials of n distinct queries count n. It is at most
// n; where the scores do not vary, the number of distinct queries.
func effectiveTrials(trials []Trial, scores []float64, mean float64) float64 {
	n := float64(len(scores))
	byQuery := map[int]float64{} // summed deviations from the mean
	var squares float64
	for k, t := range trials {
		d := scores[k] - mean
		byQuery[t.Query] += d
		squares += d * d
	}
	g := float64(len(byQuery))
	if g == n {
		return n
	}
	if squares == 0 || g < 2 {
		return g
	}
	var clustered float64
	for _, d := range byQuery {
		clustered += d * d
	}
	varIID := squares / (n * (n - 1))
	varCl := g / (g - 1) * clustered / (n * n)
	if varCl <= varIID {
		return n
	}
	return n * varIID / varCl
}

// DistinctQueries is the number of distinct query images of trials.
func DistinctQueries(trials []Trial) int {
	seen := map[int]bool{}
	for _, t := range trials {
		seen[t.Query] = true
	}
	return len(seen)
}

// OneShotScore is 1 when the right reference is strictly nearest, 0 when
// another is nearer, and 1/k when k references tie at the nearest
// distance: the expected score of breaking the tie at random. NaN
// distances count as infinitely far.
func OneShotScore(right float64, others []float64) float64 {
	if math.IsNaN(right) {
		right = math.Inf(1)
	}
	tied := 1
	for _, d := range others {
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		switch {
		case d < right:
			return 0
		case d == right:
			tied++
		}
	}
	return 1 / float64(tied)
}
