package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

const (
	T = true
	F = false
)

var nan = math.NaN()

func same(a, b float64) bool {
	if a == b {
		return true
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-12
}

func TestEvaluate(t *testing.T) {
	cases := []struct {
		name      string
		dist      []float64
		similar   []bool
		threshold float64
		want      Report
	}{
		{
			// Predicted similar: 0.1✓ 0.4✓ 0.35✗ 0.2✗; dissimilar: 0.8✓ 0.5✗.
			// AUC: 0.1 beats all 3 dissimilar, 0.4 and 0.5 beat 0.8 → 5/9.
			name:      "worked example",
			dist:      []float64{0.1, 0.4, 0.35, 0.8, 0.5, 0.2},
			similar:   []bool{T, T, F, F, T, F},
			threshold: 0.45,
			want: Report{Pairs: 6, TP: 2, FP: 2, TN: 1, FN: 1, Accuracy: 3.0 / 6, Precision: 2.0 / 4,
				Recall: 2.0 / 3, F1: 4.0 / 7, AUC: 5.0 / 9, Threshold: 0.45},
		},
		{
			// dist == threshold is not below it, so 0.4 counts as dissimilar.
			name:      "strict threshold",
			dist:      []float64{0.4, 0.3},
			similar:   []bool{T, F},
			threshold: 0.4,
			want:      Report{Pairs: 2, FP: 1, FN: 1, AUC: 0, Threshold: 0.4},
		},
		{
			name:      "perfect",
			dist:      []float64{0.1, 0.2, 0.9, 1.1},
			similar:   []bool{T, T, F, F},
			threshold: 0.5,
			want: Report{Pairs: 4, TP: 2, TN: 2, Accuracy: 1, Precision: 1, Recall: 1, F1: 1,
				AUC: 1, Threshold: 0.5},
		},
		{
			// Nothing predicted similar: precision 0/0 → 0, F1 0.
			name:      "nothing predicted similar",
			dist:      []float64{1, 2, 3},
			similar:   []bool{T, F, F},
			threshold: 0.5,
			want:      Report{Pairs: 3, TN: 2, FN: 1, Accuracy: 2.0 / 3, AUC: 1, Threshold: 0.5},
		},
		{
			// No similar pairs: recall 0/0 → 0, AUC undefined.
			name:      "no similar pairs",
			dist:      []float64{1, 2},
			similar:   []bool{F, F},
			threshold: 1.5,
			want:      Report{Pairs: 2, FP: 1, TN: 1, Accuracy: 0.5, AUC: nan, Threshold: 1.5},
		},
		{
			name:      "empty",
			threshold: 1,
			want:      Report{AUC: nan, Threshold: 1},
		},
		{
			// NaN is never below the threshold.
			name:      "NaN distance",
			dist:      []float64{nan, 0.2},
			similar:   []bool{T, F},
			threshold: 1,
			want:      Report{Pairs: 2, FP: 1, FN: 1, AUC: 0, Threshold: 1},
		},
	}
	for _, tc := range cases {
		got := Evaluate(tc.dist, tc.similar, tc.threshold)
		w := tc.want
		if got.Pairs != w.Pairs || got.TP != w.TP || got.FP != w.FP || got.TN != w.TN || got.FN != w.FN ||
			!same(got.Accuracy, w.Accuracy) || !same(got.Precision, w.Precision) || !same(got.Recall, w.Recall) ||
			!same(got.F1, w.F1) || !same(got.AUC, w.AUC) || !same(got.Threshold, w.Threshold) {
			t.Errorf("%s:\n got  %+v\n want %+v", tc.name, got, w)
		}
	}
}

func TestAUC(t *testing.T) {
	cases := []struct {
		name    string
		dist    []float64
		similar []bool
		want    float64
	}{
		{"perfect separation", []float64{0.1, 0.3, 0.5, 0.7}, []bool{T, T, F, F}, 1},
		{"reversed", []float64{0.1, 0.3, 0.5, 0.7}, []bool{F, F, T, T}, 0},
		{"all tied", []float64{2, 2, 2, 2, 2}, []bool{T, F, T, F, F}, 0.5},
		// s={1,2}, d={2,3}: 1<2, 1<3, 2=2 (½), 2<3 → 3.5/4.
		{"partial tie", []float64{1, 2, 2, 3}, []bool{T, T, F, F}, 3.5 / 4},
		// s={0.2,0.6}, d={0.4,0.8,0.1}: 0.2 beats 0.4,0.8; 0.6 beats 0.8 → 3/6.
		{"interleaved", []float64{0.2, 0.4, 0.6, 0.8, 0.1}, []bool{T, F, T, F, F}, 0.5},
		{"NaN similar ranks last", []float64{nan, 5}, []bool{T, F}, 0},
		{"NaN dissimilar ranks last", []float64{1, nan}, []bool{T, F}, 1},
		{"NaN ties with NaN", []float64{nan, nan}, []bool{T, F}, 0.5},
		{"NaN ties with +Inf", []float64{math.Inf(1), nan}, []bool{T, F}, 0.5},
		{"only similar", []float64{1, 2}, []bool{T, T}, nan},
		{"empty", nil, nil, nan},
	}
	for _, tc := range cases {
		if got := AUC(tc.dist, tc.similar); !same(got, tc.want) {
			t.Errorf("%s: AUC = %g, want %g", tc.name, got, tc.want)
		}
	}
}

// bruteAUC is the O(S·D) definition, as an independent reference.
func bruteAUC(dist []float64, similar []bool) float64 {
	var wins, total float64
	for i := range dist {
		for j := range dist {
			if !similar[i] || similar[j] {
				continue
			}
			total++
			switch {
			case dist[i] < dist[j]:
				wins++
			case dist[i] == dist[j]:
				wins += 0.5
			}
		}
	}
	return wins / total
}

// randomPairs makes overlapping distance distributions rounded to a coarse
// grid, so ties are common.
func randomPairs(rng *rand.Rand, n int) ([]float64, []bool) {
	dist, similar := make([]float64, n), make([]bool, n)
	for i := range dist {
		similar[i] = rng.IntN(2) == 0
		mean := 1.0
		if similar[i] {
			mean = 0.6
		}
		dist[i] = math.Round((mean+0.3*rng.NormFloat64())*10) / 10
	}
	return dist, similar
}

func TestAUCMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 50 {
		dist, similar := randomPairs(rng, 2+rng.IntN(60))
		want := bruteAUC(dist, similar)
		if got := AUC(dist, similar); !same(got, want) {
			t.Errorf("trial %d: AUC = %.15g, brute force %.15g", trial, got, want)
		}
	}
}

func TestBestThreshold(t *testing.T) {
	cases := []struct {
		name          string
		dist          []float64
		similar       []bool
		wantThreshold float64
		wantAccuracy  float64
	}{
		{"separable", []float64{0.3, 0.1, 0.4, 0.2}, []bool{F, T, F, T}, 0.25, 1},
		// Candidates 1, 1.5, 2.5, 3.5, 4.5 score 2/4, 3/4, 2/4, 3/4, 2/4;
		// 1.5 and 3.5 tie and the smaller wins.
		{"tie toward smaller", []float64{1, 2, 3, 4}, []bool{T, F, T, F}, 1.5, 0.75},
		// Above the max by half the last gap: 3 + (3-1)/2.
		{"all similar", []float64{1, 3}, []bool{T, T}, 4, 1},
		// The smallest distance itself: nothing is below it.
		{"all dissimilar", []float64{1, 3}, []bool{F, F}, 1, 1},
		{"one distinct value, similar", []float64{2, 2}, []bool{T, T}, 4, 1},
		{"one distinct value, mixed", []float64{2, 2}, []bool{T, F}, 2, 0.5},
		// Candidates 1 → 2/5, 1.5 → 4/5, 2.5 → 3/5.
		{"repeated distances", []float64{2, 1, 2, 1, 2}, []bool{F, T, T, T, F}, 1.5, 0.8},
		// NaN can never be below a threshold; midpoint(1, +Inf) = +Inf.
		{"NaN distance", []float64{1, nan}, []bool{T, T}, math.Inf(1), 0.5},
		{"empty", nil, nil, 0, 0},
	}
	for _, tc := range cases {
		th, acc := BestThreshold(tc.dist, tc.similar)
		if !same(th, tc.wantThreshold) || !same(acc, tc.wantAccuracy) {
			t.Errorf("%s: BestThreshold = (%g, %g), want (%g, %g)", tc.name, th, acc, tc.wantThreshold, tc.wantAccuracy)
		}
		if len(tc.dist) > 0 {
			if got := Evaluate(tc.dist, tc.similar, th).Accuracy; !same(got, acc) {
				t.Errorf("%s: Evaluate at %g gives accuracy %g, BestThreshold said %g", tc.name, th, got, acc)
			}
		}
	}
}

// TestBestThresholdIsBest checks on random data that no threshold, tried at
// every distance and between, beats the one returned, and that none smaller
// matches it.
func TestBestThresholdIsBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 50 {
		dist, similar := randomPairs(rng, 1+rng.IntN(40))
		th, acc := BestThreshold(dist, similar)
		if got := Evaluate(dist, similar, th).Accuracy; !same(got, acc) {
			t.Fatalf("trial %d: accuracy at %g is %g, BestThreshold said %g", trial, th, got, acc)
		}
		for _, d := range dist {
			for _, probe := range []float64{d - 0.05, d, d + 0.05} {
				a := Evaluate(dist, similar, probe).Accuracy
				if a > acc+1e-12 {
					t.Errorf("trial %d: threshold %g gives %g > best %g at %g", trial, probe, a, acc, th)
				}
				if probe < th && same(a, acc) && confusion(Evaluate(dist, similar, probe)) != confusion(Evaluate(dist, similar, th)) {
					t.Errorf("trial %d: smaller threshold %g classifies differently with the same accuracy %g as %g", trial, probe, a, th)
				}
			}
		}
	}
}

func confusion(r Report) [4]int { return [4]int{r.TP, r.FP, r.TN, r.FN} }

func TestLengthMismatchPanics(t *testing.T) {
	calls := map[string]func(){
		"Evaluate":      func() { Evaluate([]float64{1}, nil, 1) },
		"AUC":           func() { AUC(nil, []bool{T}) },
		"BestThreshold": func() { BestThreshold([]float64{1, 2}, []bool{T}) },
	}
	for name, call := range calls {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s with mismatched lengths did not panic", name)
				}
			}()
			call()
		}()
	}
}

func TestReportString(t *testing.T) {
	r := Evaluate([]float64{0.1, 0.9}, []bool{T, F}, 0.5)
	want := "pairs=2 threshold=0.5 accuracy=1.0000 precision=1.0000 recall=1.0000 f1=1.0000 auc=1.0000 (tp=1 fp=0 tn=1 fn=0)"
	if got := r.String(); got != want {
		t.Errorf("String() = %q\nwant        %q", got, want)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	dist, similar := randomPairs(rng, 10000)
	for b.Loop() {
		Evaluate(dist, similar, 0.8)
	}
}

func BenchmarkBestThreshold(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	dist, similar := randomPairs(rng, 10000)
	for b.Loop() {
		BestThreshold(dist, similar)
	}
}

// TestWilson95 checks the interval against hand-computed bounds: 50 of
// 100 (centre 0.5 + 1.96²/200, half-width 1.96·sqrt(0.0025 + 1.96²/40000),
// over 1 + 1.96²/100) and the clamped ends.
func TestWilson95(t *testing.T) {
	for _, tc := range []struct {
		p      float64
		n      int
		lo, hi float64
	}{
		{0.5, 100, 0.4038298, 0.5961702},
		{1, 1000, 0.9961731, 1},
		{0, 10, 0, 0.2775402},
	} {
		lo, hi := Wilson95(tc.p, tc.n)
		if math.Abs(lo-tc.lo) > 1e-6 || math.Abs(hi-tc.hi) > 1e-6 {
			t.Errorf("Wilson95(%g, %d) = %.6f, %.6f; want %.6f, %.6f", tc.p, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
}
