package pairs

import (
	"math"
	"reflect"
	"testing"
)

func TestDrawTrials(t *testing.T) {
	// Class 7 has one image: it can be a wrong reference, never a query.
	labels := []int{0, 0, 0, 7, 2, 2, 3, 3, 3, 3}
	const way, n = 3, 400
	trials, err := DrawTrials(labels, way, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != n {
		t.Fatalf("%d trials, want %d", len(trials), n)
	}
	seenRef := map[int]bool{}
	for i, tr := range trials {
		if len(tr.Refs) != way {
			t.Fatalf("trial %d has %d references, want %d", i, len(tr.Refs), way)
		}
		if tr.Query == tr.Refs[0] || labels[tr.Query] != labels[tr.Refs[0]] {
			t.Errorf("trial %d: query %d and its reference %d must be different images of one class", i, tr.Query, tr.Refs[0])
		}
		classes := map[int]bool{}
		for _, r := range tr.Refs {
			classes[labels[r]] = true
			seenRef[labels[r]] = true
		}
		if len(classes) != way {
			t.Errorf("trial %d: references %v are not of %d distinct classes", i, tr.Refs, way)
		}
		if labels[tr.Query] == 7 {
			t.Errorf("trial %d: query from the one-image class", i)
		}
	}
	if len(seenRef) != 4 {
		t.Errorf("references came from classes %v, want all 4", seenRef)
	}
	again, _ := DrawTrials(labels, way, n, 1)
	if !reflect.DeepEqual(trials, again) {
		t.Error("the same seed drew different trials")
	}
	other, _ := DrawTrials(labels, way, n, 2)
	if reflect.DeepEqual(trials, other) {
		t.Error("seeds 1 and 2 drew the same trials")
	}
}

func TestDrawTrialsErrors(t *testing.T) {
	cases := []struct {
		name       string
		labels     []int
		way, count int
	}{
		{"way 1", []int{0, 0, 1}, 1, 10},
		{"more ways than classes", []int{0, 0, 1, 2}, 4, 10},
		{"no class with two images", []int{0, 1, 2}, 2, 10},
		{"no trials", []int{0, 0, 1}, 2, 0},
	}
	for _, tc := range cases {
		if _, err := DrawTrials(tc.labels, tc.way, tc.count, 1); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestOneShotScore(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name   string
		right  float64
		others []float64
		want   float64
	}{
		{"nearest", 0.2, []float64{0.5, 0.3}, 1},
		{"beaten", 0.4, []float64{0.5, 0.3}, 0},
		{"tie of two", 0.3, []float64{0.5, 0.3}, 0.5},
		{"tie of three", 0.3, []float64{0.3, 0.3, 0.9}, 1.0 / 3},
		{"tie but beaten", 0.3, []float64{0.3, 0.1}, 0},
		{"NaN right is farthest", nan, []float64{5}, 0},
		{"NaN other is farthest", 5, []float64{nan}, 1},
		{"all NaN tie", nan, []float64{nan, inf}, 1.0 / 3},
		{"no other (1-way)", 0.3, nil, 1},
	}
	for _, tc := range cases {
		if got := OneShotScore(tc.right, tc.others); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: score %g, want %g", tc.name, got, tc.want)
		}
	}
}

func TestOneShotAccuracy(t *testing.T) {
	labels := []int{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}
	trials, err := DrawTrials(labels, 5, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	byClass := func(a, b int) float64 { return math.Abs(float64(labels[a] - labels[b])) }
	if got := meanScore(trials, byClass); got != 1 {
		t.Errorf("distances that separate classes: accuracy %g, want 1", got)
	}
	// All references tie: each trial scores 1/5.
	flat := func(a, b int) float64 { return 1 }
	if got := meanScore(trials, flat); math.Abs(got-0.2) > 1e-12 {
		t.Errorf("constant distances: accuracy %g, want 1/5", got)
	}
	// Reversed: the right class is always farthest.
	reversed := func(a, b int) float64 { return -byClass(a, b) }
	if got := meanScore(trials, reversed); got != 0 {
		t.Errorf("reversed distances: accuracy %g, want 0", got)
	}
}

// meanScore is the one-shot accuracy of trials under dist.
func meanScore(trials []Trial, dist func(a, b int) float64) float64 {
	m, _, _ := OneShotAccuracy(trials, OneShotScores(trials, dist))
	return m
}

// TestOneShotAccuracyInterval checks the mean and the 95% Wilson bounds
// against the formulas of the package documentation worked by hand (to 10
// digits): lo = 1/(1 + z²/n) at p = 1, hi = (z²/n)/(1 + z²/n) at p = 0;
// trials of distinct queries count each, trials that repeat a query
// count as fewer.
func TestOneShotAccuracyInterval(t *testing.T) {
	ones := func(right, n int) []float64 {
		s := make([]float64, n)
		for i := range right {
			s[i] = 1
		}
		return s
	}
	// queries gives trial k the query k*g/n: n trials over g query images,
	// in runs.
	queries := func(n, g int) []Trial {
		out := make([]Trial, n)
		for k := range out {
			out[k].Query = k * g / n
		}
		return out
	}
	cases := []struct {
		name         string
		trials       []Trial
		scores       []float64
		mean, lo, hi float64
	}{
		{"all 1,000 right", queries(1000, 1000), ones(1000, 1000), 1, 0.9961731014, 1},
		{"none of 10 right", queries(10, 10), ones(0, 10), 0, 0, 0.2775401688},
		{"half of 100", queries(100, 100), ones(50, 100), 0.5, 0.4038298286, 0.5961701714},
		{"974 of 1,000", queries(1000, 1000), ones(974, 1000), 0.974, 0.9621759155, 0.9821961846},
		{"one trial, right", queries(1, 1), ones(1, 1), 1, 0.2065432915, 1},
		{"ties score between", queries(4, 4), []float64{1, 0.5, 0, 1}, 0.625, 0.2194220424, 0.9081029525},
		// 1,000 right of 1,000 asked about 10 images: as 10 trials (n = g).
		{"1,000 right over 10 queries", queries(1000, 10), ones(1000, 1000), 1, 0.7224598312, 1},
		// One image always right, one always wrong, 50 trials each: deff =
		// (2·(25² + 25²)/100²) / (25/(100·99)) = 99, n = 100/99.
		{"two queries, one right", queries(100, 2), ones(50, 100), 0.5, 0.0550829376, 0.9449170624},
		// Scores 1, 1 | 1, 0: the clustered variance (0.0625) is no more
		// than the independent one (0.0625), so n stays 4.
		{"repeats that do not cluster", queries(4, 2), []float64{1, 1, 1, 0}, 0.75, 0.3006360524, 0.9544139374},
	}
	for _, tc := range cases {
		mean, lo, hi := OneShotAccuracy(tc.trials, tc.scores)
		if math.Abs(mean-tc.mean) > 1e-12 || math.Abs(lo-tc.lo) > 1e-9 || math.Abs(hi-tc.hi) > 1e-9 {
			t.Errorf("%s: %.10f in [%.10f, %.10f], want %.10f in [%.10f, %.10f]", tc.name, mean, lo, hi, tc.mean, tc.lo, tc.hi)
		}
		if lo < 0 || hi > 1 || lo > mean || hi < mean {
			t.Errorf("%s: interval [%g, %g] is not inside [0, 1] around %g", tc.name, lo, hi, mean)
		}
	}
	if m, lo, hi := OneShotAccuracy(nil, nil); !math.IsNaN(m) || !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("no scores: %g in [%g, %g], want NaN", m, lo, hi)
	}
}
