package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestROC(t *testing.T) {
	// Similar {0.1, 0.4}, dissimilar {0.2, 0.5, 0.6}: each step accepts the
	// next distance; thresholds are midpoints, then 0.6 + 0.1/2 above the max.
	got := ROC([]float64{0.5, 0.1, 0.6, 0.4, 0.2}, []bool{F, T, F, T, F})
	want := []ROCPoint{
		{0.1, 0, 0}, {0.15, 0, 0.5}, {0.3, 1.0 / 3, 0.5}, {0.45, 1.0 / 3, 1}, {0.55, 2.0 / 3, 1}, {0.65, 1, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("ROC has %d points, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !same(got[i].Threshold, want[i].Threshold) || !same(got[i].FPR, want[i].FPR) || !same(got[i].TPR, want[i].TPR) {
			t.Errorf("point %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// Ties move both rates in one step: the diagonal of AUC's ½.
	got = ROC([]float64{2, 2}, []bool{T, F})
	if len(got) != 2 || got[1].FPR != 1 || got[1].TPR != 1 {
		t.Errorf("tied pair: ROC = %+v, want (0,0) then (1,1)", got)
	}
	if got := ROC([]float64{1, 2}, []bool{T, T}); got != nil {
		t.Errorf("only similar pairs: ROC = %v, want nil", got)
	}
}

// The trapezoids under the ROC polyline add up to AUC.
func TestROCAreaIsAUC(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 50 {
		dist, similar := randomPairs(rng, 2+rng.IntN(60))
		roc := ROC(dist, similar)
		if roc == nil {
			continue
		}
		var area float64
		for i := 1; i < len(roc); i++ {
			area += (roc[i].FPR - roc[i-1].FPR) * (roc[i].TPR + roc[i-1].TPR) / 2
		}
		if want := AUC(dist, similar); !same(area, want) {
			t.Errorf("trial %d: area under ROC %.15g, AUC %.15g", trial, area, want)
		}
	}
}

func TestEER(t *testing.T) {
	cases := []struct {
		name       string
		dist       []float64
		similar    []bool
		rate, thre float64
	}{
		// At t=0.25 {0.1, 0.2} are accepted: FAR = FRR = 1/2 exactly.
		{"exact crossing", []float64{0.1, 0.2, 0.3, 0.4}, []bool{T, F, T, F}, 0.5, 0.25},
		// Points (FAR, FRR): (1/3, 1/2) at t=0.3 and (1/3, 0) at t=0.45.
		// FAR-FRR goes -1/6 → 1/3, crossing at f = 1/3: FAR = 1/3,
		// t = 0.3 + 0.15/3.
		{"interpolated", []float64{0.1, 0.2, 0.4, 0.5, 0.6}, []bool{T, F, T, F, F}, 1.0 / 3, 0.35},
		{"separable", []float64{0.1, 0.2, 0.8, 0.9}, []bool{T, T, F, F}, 0, 0.5},
		{"reversed", []float64{0.1, 0.2}, []bool{F, T}, 1, 0.15},
		// One step from (0,1) to (1,0): halfway, between the tie (2) and
		// the threshold above it (2 + max(2, 1) = 4).
		{"tie", []float64{2, 2}, []bool{T, F}, 0.5, 3},
		// A NaN distance is never accepted, so above every finite distance
		// nothing is wrong.
		{"NaN dissimilar", []float64{0.1, nan}, []bool{T, F}, 0, math.Inf(1)},
		{"only dissimilar", []float64{0.1, 0.2}, []bool{F, F}, nan, nan},
		{"empty", nil, nil, nan, nan},
	}
	for _, tc := range cases {
		rate, thr := EER(tc.dist, tc.similar)
		if !same(rate, tc.rate) || !same(thr, tc.thre) {
			t.Errorf("%s: EER = (%g, %g), want (%g, %g)", tc.name, rate, thr, tc.rate, tc.thre)
		}
	}
}

// At the EER threshold the measured false-accept and false-reject rates
// straddle the EER, and the EER lies between the smallest and largest error
// of the ROC points.
func TestEERBracketed(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 100 {
		dist, similar := randomPairs(rng, 2+rng.IntN(80))
		rate, thr := EER(dist, similar)
		if math.IsNaN(rate) {
			continue
		}
		r := Evaluate(dist, similar, thr)
		far := float64(r.FP) / float64(r.FP+r.TN)
		frr := float64(r.FN) / float64(r.FN+r.TP)
		if rate < math.Min(far, frr)-1e-12 || rate > math.Max(far, frr)+1e-12 {
			t.Errorf("trial %d: EER %g at %g, but there FAR %g FRR %g", trial, rate, thr, far, frr)
		}
	}
}

func TestAveragePrecision(t *testing.T) {
	cases := []struct {
		name    string
		dist    []float64
		similar []bool
		want    float64
	}{
		// Similar pairs at ranks 1 and 3: precisions 1 and 2/3, each
		// adding recall 1/2.
		{"interleaved", []float64{0.1, 0.2, 0.3, 0.4}, []bool{T, F, T, F}, 0.5*1 + 0.5*2.0/3},
		// 0.2 holds a similar and a dissimilar pair, entering together at
		// precision 2/3.
		{"tie", []float64{0.1, 0.2, 0.2}, []bool{T, T, F}, 0.5*1 + 0.5*2.0/3},
		{"perfect", []float64{0.1, 0.2, 0.9}, []bool{T, T, F}, 1},
		{"similar last", []float64{0.1, 0.2, 0.3}, []bool{F, F, T}, 1.0 / 3},
		{"only similar", []float64{1, 2}, []bool{T, T}, 1},
		{"NaN ranks last", []float64{nan, 0.1}, []bool{T, F}, 0.5},
		{"no similar pair", []float64{1, 2}, []bool{F, F}, nan},
		{"empty", nil, nil, nan},
	}
	for _, tc := range cases {
		if got := AveragePrecision(tc.dist, tc.similar); !same(got, tc.want) {
			t.Errorf("%s: AP = %g, want %g", tc.name, got, tc.want)
		}
	}
}

// TestAveragePrecisionPerfectIsOne: a perfect ranking scores exactly 1,
// never a rounding step above it, however many distinct distances there
// are (summing 100 recall steps of 1/100 gave 1.0000000000000007).
func TestAveragePrecisionPerfectIsOne(t *testing.T) {
	for _, n := range []int{3, 49, 50, 100, 1000} {
		dist, similar := make([]float64, 2*n), make([]bool, 2*n)
		for i := range n {
			dist[i], similar[i] = float64(i+1)/float64(n), true
			dist[n+i] = 2 + float64(i)
		}
		if got := AveragePrecision(dist, similar); got != 1 {
			t.Errorf("%d similar pairs ranked first: AP = %.17g, want exactly 1", n, got)
		}
	}
}

// bruteAP averages, over similar pairs, the precision among all pairs at
// most as far as that pair: the definition with ties entering together.
func bruteAP(dist []float64, similar []bool) float64 {
	var sum float64
	var pos int
	for i := range dist {
		if !similar[i] {
			continue
		}
		pos++
		var tp, all int
		for j := range dist {
			if dist[j] <= dist[i] {
				all++
				if similar[j] {
					tp++
				}
			}
		}
		sum += float64(tp) / float64(all)
	}
	return sum / float64(pos)
}

func TestAveragePrecisionMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 50 {
		dist, similar := randomPairs(rng, 1+rng.IntN(60))
		want := bruteAP(dist, similar)
		if got := AveragePrecision(dist, similar); !same(got, want) {
			t.Errorf("trial %d: AP = %.15g, brute force %.15g", trial, got, want)
		}
	}
}

func TestMeanDistances(t *testing.T) {
	cases := []struct {
		name    string
		dist    []float64
		similar []bool
		s, d    float64
	}{
		{"both", []float64{0.1, 0.3, 1, 2, 4}, []bool{T, T, F, F, F}, 0.2, 7.0 / 3},
		{"only similar", []float64{1, 2}, []bool{T, T}, 1.5, nan},
		{"empty", nil, nil, nan, nan},
	}
	for _, tc := range cases {
		s, d := MeanDistances(tc.dist, tc.similar)
		if !same(s, tc.s) || !same(d, tc.d) {
			t.Errorf("%s: MeanDistances = (%g, %g), want (%g, %g)", tc.name, s, d, tc.s, tc.d)
		}
	}
}

func TestCurvesLengthMismatchPanics(t *testing.T) {
	calls := map[string]func(){
		"ROC":              func() { ROC([]float64{1}, nil) },
		"EER":              func() { EER(nil, []bool{T}) },
		"AveragePrecision": func() { AveragePrecision([]float64{1, 2}, []bool{T}) },
		"MeanDistances":    func() { MeanDistances([]float64{1}, []bool{T, F}) },
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

func BenchmarkEER(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	dist, similar := randomPairs(rng, 10000)
	for b.Loop() {
		EER(dist, similar)
	}
}

// The ROC of TestROC's pairs, read at false-accept limits: the most
// accepting point whose FPR stays within each.
func TestAtFalseAccept(t *testing.T) {
	dist, similar := []float64{0.5, 0.1, 0.6, 0.4, 0.2}, []bool{F, T, F, T, F}
	tests := []struct {
		limit float64
		want  ROCPoint
	}{
		{0, ROCPoint{0.15, 0, 0.5}},   // no impostor: only the 0.1 pair
		{0.2, ROCPoint{0.15, 0, 0.5}}, // one impostor of three is 1/3, over
		{1.0 / 3, ROCPoint{0.45, 1.0 / 3, 1}},
		{0.5, ROCPoint{0.45, 1.0 / 3, 1}},
		{1, ROCPoint{0.65, 1, 1}},
	}
	for _, tt := range tests {
		got, ok := AtFalseAccept(dist, similar, tt.limit)
		if !ok || !same(got.Threshold, tt.want.Threshold) || !same(got.FPR, tt.want.FPR) || !same(got.TPR, tt.want.TPR) {
			t.Errorf("limit %g: %+v, %v; want %+v", tt.limit, got, ok, tt.want)
		}
	}
	// The nearest pair an impostor: nothing is accepted within 0.
	if got, _ := AtFalseAccept([]float64{0.1, 0.2}, []bool{F, T}, 0); got.TPR != 0 || got.FPR != 0 || got.Threshold != 0.1 {
		t.Errorf("impostor nearest: %+v, want (0.1, 0, 0)", got)
	}
	if _, ok := AtFalseAccept([]float64{1}, []bool{T}, 0.1); ok {
		t.Error("one kind of pair: ok")
	}
}
