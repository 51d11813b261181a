package plot

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

var keep = flag.String("keep", "", "also write the test charts into this folder, to look at them")

// pairs draws overlapping distance distributions: similar around 0.5,
// dissimilar around 1.2.
func pairs(n int) ([]float64, []bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	dist, similar := make([]float64, n), make([]bool, n)
	for i := range dist {
		similar[i] = i%2 == 0
		mean := 1.2
		if similar[i] {
			mean = 0.5
		}
		dist[i] = math.Abs(mean + 0.25*rng.NormFloat64())
	}
	return dist, similar
}

// render runs chart, checks it made a PNG of the given size and returns it.
func render(t *testing.T, name string, chart func(io.Writer) error, w, h int) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := chart(&buf); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if *keep != "" {
		if err := os.WriteFile(filepath.Join(*keep, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), w, h)
	}
	return img
}

// has reports whether some pixel of img is within a small distance of c.
func has(img image.Image, c color.NRGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if absDiff(p.R, c.R)+absDiff(p.G, c.G)+absDiff(p.B, c.B) < 12 {
				return true
			}
		}
	}
	return false
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestCharts(t *testing.T) {
	dist, similar := pairs(400)
	// 7×5 inches at 110 dpi; the training chart is 7 inches tall.
	// The EER of these pairs is near 0.08: too large for a zoom.
	roc := render(t, "roc.png", func(w io.Writer) error { return ROC(w, dist, similar, 0.85) }, 770, 550)
	// Well separated pairs get a second, zoomed panel beside the first.
	good := slices.Clone(dist)
	for i := range good {
		if !similar[i] {
			good[i] += 1
		}
	}
	zoomed := render(t, "roc_zoom.png", func(w io.Writer) error { return ROC(w, good, similar, 1.2) }, 1540, 550)
	hist := render(t, "distances.png", func(w io.Writer) error { return Distances(w, dist, similar, 0.85) }, 770, 550)
	// Kept by one-shot accuracy: epoch 3, not the lowest loss's 2.
	epochs := []Epoch{{1, 0.30, 0.25, 0.80, 0.70, 5}, {2, 0.20, 0.18, 0.88, 0.75, 5}, {3, 0.15, 0.19, 0.87, 0.80, 5}}
	train := render(t, "training.png", func(w io.Writer) error {
		return Training(w, epochs, 3, "highest validation one-shot accuracy")
	}, 770, 770)
	// Each chart draws the marks it promises, in their colours.
	for _, c := range []struct {
		name  string
		img   image.Image
		color color.NRGBA
	}{
		{"ROC curve", roc, similarColor},
		{"ROC stored-threshold point", roc, markColor},
		{"ROC equal-error point", roc, eerColor},
		{"zoomed ROC stored-threshold point", zoomed, markColor},
		{"threshold line", hist, markColor},
		{"similar histogram outline", hist, similarColor},
		{"dissimilar histogram outline", hist, dissimilarColor},
		{"train loss", train, similarColor},
		{"validation loss", train, dissimilarColor},
		{"kept-epoch line", train, markColor},
		{"validation accuracy", train, eerColor},
	} {
		if !has(c.img, c.color) {
			t.Errorf("no pixel of the %s colour %v", c.name, c.color)
		}
	}
}

func TestChartErrors(t *testing.T) {
	cases := map[string]func(io.Writer) error{
		"ROC of one kind":        func(w io.Writer) error { return ROC(w, []float64{1, 2}, []bool{true, true}, 1) },
		"distances all NaN":      func(w io.Writer) error { return Distances(w, []float64{math.NaN()}, []bool{true}, 1) },
		"distances bad lengths":  func(w io.Writer) error { return Distances(w, []float64{1}, nil, 1) },
		"training without epoch": func(w io.Writer) error { return Training(w, nil, 1, "") },
		"kept epoch not plotted": func(w io.Writer) error { return Training(w, []Epoch{{Epoch: 1}}, 2, "") },
	}
	for name, chart := range cases {
		if err := chart(io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestShareBins(t *testing.T) {
	cases := []struct {
		name      string
		dist      []float64
		similar   []bool
		threshold float64
		bins      int
		width     float64
		sim, dis  []float64
		unplaced  int
	}{
		// Ten bins of 0.1 over [0, 1]; the maximum falls in the last bin.
		{"maximum in last bin", []float64{0.05, 0.15, 0.95, 1.0, 0.55}, []bool{true, true, false, false, true}, 0.5, 10, 0.1,
			[]float64{1, 1, 0, 0, 0, 1, 0, 0, 0, 0}, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 0},
		// The threshold widens the range: bins of 0.2 over [0, 2].
		{"threshold beyond the data", []float64{0.1, 0.3}, []bool{true, false}, 2, 10, 0.2,
			[]float64{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []float64{0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0},
		{"NaN and Inf left out", []float64{0.5, math.NaN(), math.Inf(1), 1}, []bool{true, true, false, false}, 0.5, 10, 0.1,
			[]float64{0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 2},
		// All at zero: a unit range so the bins have width.
		{"all zero", []float64{0, 0}, []bool{true, false}, 0, 10, 0.1,
			[]float64{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []float64{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0},
	}
	for _, tc := range cases {
		sim, dis, width, unplaced := shareBins(tc.dist, tc.similar, tc.threshold)
		if len(sim) != tc.bins || math.Abs(width-tc.width) > 1e-12 || unplaced != tc.unplaced ||
			!slices.Equal(sim, tc.sim) || !slices.Equal(dis, tc.dis) {
			t.Errorf("%s: shareBins = %v %v width %g unplaced %d, want %v %v width %g unplaced %d",
				tc.name, sim, dis, width, unplaced, tc.sim, tc.dis, tc.width, tc.unplaced)
		}
	}
	// √pairs bins, within 10..60.
	for _, c := range []struct{ n, bins int }{{4, 10}, {400, 20}, {10000, 60}} {
		dist, similar := pairs(c.n)
		if sim, _, _, _ := shareBins(dist, similar, 1); len(sim) != c.bins {
			t.Errorf("%d pairs: %d bins, want %d", c.n, len(sim), c.bins)
		}
	}
}

func TestZoomSpan(t *testing.T) {
	cases := []struct{ eer, far, frr, want float64 }{
		{0.001, 0.002, 0.001, 0.01},
		{0.004, 0.002, 0.001, 0.02}, // 3·EER = 0.012
		{0.01, 0.05, 0.01, 0.1},     // the stored point with room: 0.0625
		{0.024, 0.024, 0.024, 0.1},
		{0.06, 0.05, 0.05, 0.2},
		{0.08, 0.095, 0.07, 0}, // no zoom: 3·EER = 0.24
	}
	for _, tc := range cases {
		if got := zoomSpan(tc.eer, tc.far, tc.frr); got != tc.want {
			t.Errorf("zoomSpan(%g, %g, %g) = %g, want %g", tc.eer, tc.far, tc.frr, got, tc.want)
		}
	}
}

func TestEpochTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		want   []float64
	}{
		{0.75, 3.25, []float64{1, 2, 3}},
		{0.75, 1.25, []float64{1}},
		{0.75, 12.25, []float64{2, 4, 6, 8, 10, 12}},
		{0.75, 25.25, []float64{5, 10, 15, 20, 25}},
		{0.75, 200.25, []float64{20, 40, 60, 80, 100, 120, 140, 160, 180, 200}},
	}
	for _, tc := range cases {
		var got []float64
		for _, tk := range (epochTicks{}).Ticks(tc.lo, tc.hi) {
			got = append(got, tk.Value)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ticks over [%g, %g] = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// TestExactTicks: every label reads as its tick's value, with the same
// decimals for all; no two read the same.
func TestExactTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string // the labelled ticks
	}{
		{0.9990, 1.0005, []string{"0.9990", "0.9995", "1.0000", "1.0005"}}, // gonum's: 0.999 0.9995 1 1
		{0.995, 1.025, nil},
		{0.5, 1.0, nil},
		{0, 1, []string{"0.0", "0.5", "1.0"}},
		{0, 100, []string{"0", "50", "100"}},
		{0, 1e-11, nil},        // below ten decimals: each value as it is
		{1e5, 1e5 + 1e-6, nil}, // the same, relative to the values
	} {
		var got []string
		seen := map[string]bool{}
		for _, tk := range (exactTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label == "" {
				continue
			}
			got = append(got, tk.Label)
			if v, err := strconv.ParseFloat(tk.Label, 64); err != nil || math.Abs(v-tk.Value) > 1e-9 {
				t.Errorf("[%g, %g]: tick %g labelled %q", tc.lo, tc.hi, tk.Value, tk.Label)
			}
			if seen[tk.Label] {
				t.Errorf("[%g, %g]: label %q twice", tc.lo, tc.hi, tk.Label)
			}
			seen[tk.Label] = true
		}
		if tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("[%g, %g]: %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}
