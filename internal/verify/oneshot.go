package verify

import "github.com/siamese-dev/siamese/internal/pairs"

// trial is one N-way one-shot task (see pairs.Trial).
type trial = pairs.Trial

// drawTrials draws n trials of the given way over images with the given
// labels (see pairs.DrawTrials for the rule).
func drawTrials(labels []int, way, n int, seed uint64) ([]trial, error) {
	return pairs.DrawTrials(labels, way, n, seed)
}

// oneShotAccuracy is the mean of the trials' scores under dist.
func oneShotAccuracy(trials []trial, dist func(a, b int) float64) float64 {
	m, _ := pairs.MeanCI95(pairs.OneShotScores(trials, dist))
	return m
}

// oneShotScore is pairs.OneShotScore.
func oneShotScore(right float64, others []float64) float64 { return pairs.OneShotScore(right, others) }
