package verify

import (
	"math"
	"reflect"
	"testing"
)

func TestDrawTrials(t *testing.T) {
	// Class 7 has one image: it can be a wrong reference, never a query.
	labels := []int{0, 0, 0, 7, 2, 2, 3, 3, 3, 3}
	const way, n = 3, 400
	trials, err := drawTrials(labels, way, n, 1)
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
	again, _ := drawTrials(labels, way, n, 1)
	if !reflect.DeepEqual(trials, again) {
		t.Error("the same seed drew different trials")
	}
	other, _ := drawTrials(labels, way, n, 2)
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
		if _, err := drawTrials(tc.labels, tc.way, tc.count, 1); err == nil {
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
		if got := oneShotScore(tc.right, tc.others); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: score %g, want %g", tc.name, got, tc.want)
		}
	}
}

func TestOneShotAccuracy(t *testing.T) {
	labels := []int{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}
	trials, err := drawTrials(labels, 5, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	byClass := func(a, b int) float64 { return math.Abs(float64(labels[a] - labels[b])) }
	if got := oneShotAccuracy(trials, byClass); got != 1 {
		t.Errorf("distances that separate classes: accuracy %g, want 1", got)
	}
	// All references tie: each trial scores 1/5.
	flat := func(a, b int) float64 { return 1 }
	if got := oneShotAccuracy(trials, flat); math.Abs(got-0.2) > 1e-12 {
		t.Errorf("constant distances: accuracy %g, want 1/5", got)
	}
	// Reversed: the right class is always farthest.
	reversed := func(a, b int) float64 { return -byClass(a, b) }
	if got := oneShotAccuracy(trials, reversed); got != 0 {
		t.Errorf("reversed distances: accuracy %g, want 0", got)
	}
}
