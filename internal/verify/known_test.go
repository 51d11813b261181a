package verify

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/metrics"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/pairs"
)

// Hand-built 1-D embeddings whose one-shot outcome depends only on the
// query image, so the accuracy over any draw is known by counting queries:
// classes 0 and 1 are tight and far apart, so their queries always find
// their own class nearest; class 2's two images are far from each other.
// Its image at 12 is nearer to every image of classes 0 and 1 (at most 12
// away) than to its partner at 40 (28 away): as a query it always loses.
// The image at 40 is 28 from its partner and at least 34.9 from the rest:
// it always wins. No distances tie.
func TestOneShotAccuracyKnownMix(t *testing.T) {
	emb := []float64{0, 0.1, 5, 5.1, 12, 40}
	labels := []int{0, 0, 1, 1, 2, 2}
	const loser = 4
	dist := func(a, b int) float64 { return math.Abs(emb[a] - emb[b]) }
	for _, way := range []int{2, 3} {
		trials, err := pairs.DrawTrials(labels, way, 300, 5)
		if err != nil {
			t.Fatal(err)
		}
		wins := 0
		for _, tr := range trials {
			if tr.Query != loser {
				wins++
			}
		}
		want := float64(wins) / float64(len(trials))
		if want == 1 || want < 0.5 {
			t.Fatalf("%d-way: the draw gave the losing query in %d of %d trials; pick another seed", way, len(trials)-wins, len(trials))
		}
		if got, _, _ := pairs.OneShotAccuracy(trials, pairs.OneShotScores(trials, dist)); math.Abs(got-want) > 1e-12 {
			t.Errorf("%d-way: accuracy %.6f, want %.6f (every trial but the %d with query %d)", way, got, want, len(trials)-wins, loser)
		}
	}
}

// meanModel saves a model whose embedding is one number, the mean pixel of
// a 4×4 gray image (a dense layer of weights 1/16, no bias), so distances
// between images of flat gray levels are known exactly.
func meanModel(t *testing.T, dir string, threshold float64) string {
	t.Helper()
	spec := network.Spec{Size: 4, Channels: 1, Layers: []network.Layer{{Kind: network.KindDense, Units: 1}}}
	net, err := network.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range net.Params {
		v := float32(0) // bias
		if len(p.Data) == 16 {
			v = 1.0 / 16
		}
		for i := range p.Data {
			p.Data[i] = v
		}
	}
	path := filepath.Join(dir, "mean.safetensors")
	m := &model.Model{Meta: model.Meta{Spec: spec, Threshold: threshold, Classes: []string{"a", "b", "c"}}, Net: net}
	if err := model.Save(path, m); err != nil {
		t.Fatal(err)
	}
	return path
}

// grayFolder writes data/<class>/<n>.png, flat 4×4 images of the given gray
// levels.
func grayFolder(t *testing.T, dir string, levels map[string][]uint8) string {
	t.Helper()
	data := filepath.Join(dir, "gray")
	for class, ls := range levels {
		if err := os.MkdirAll(filepath.Join(data, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i, l := range ls {
			img := image.NewGray(image.Rect(0, 0, 4, 4))
			for p := range img.Pix {
				img.Pix[p] = l
			}
			f, err := os.Create(filepath.Join(data, class, strconv.Itoa(i)+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return data
}

// Evaluate on folders whose figures are known whatever pairs and trials
// are drawn. Separated: within a class the mean pixels differ by at most
// 10/255, between classes by at least 90/255, and the stored threshold 0.2
// lies between, so every pair is judged right and every one-shot query
// finds its class. Flat: every image is the same gray, every distance is
// 0, so each 3-way trial is a three-way tie worth 1/3, every pair is
// judged similar, and the ranking carries no information (AUC 1/2).
func TestEvaluateKnown(t *testing.T) {
	separated := map[string][]uint8{"a": {20, 25, 30}, "b": {120, 125, 130}, "c": {220, 225, 230}}
	flat := map[string][]uint8{"a": {128, 128, 128}, "b": {128, 128, 128}, "c": {128, 128, 128}}
	// The 9 images make 9 similar pairs and 27 dissimilar ones: 16 pairs
	// are drawn (8 of each), 40 would repeat similar pairs, so each of the
	// 9 is used once, with 9 of the 27.
	tests := []struct {
		name                 string
		levels               map[string][]uint8
		pairs, each, asked   int
		accuracy, auc, oneSh float64
	}{
		{"separated", separated, 16, 8, 0, 1, 1, 1},
		{"flat", flat, 16, 8, 0, 0.5, 0.5, 1.0 / 3},
		{"separated, more pairs than the images make", separated, 40, 9, 40, 1, 1, 1},
		{"flat, more pairs than the images make", flat, 40, 9, 40, 0.5, 0.5, 1.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r, err := Evaluate(EvalOptions{Model: meanModel(t, dir, 0.2), Data: grayFolder(t, dir, tt.levels),
				Pairs: tt.pairs, Seed: 1, OneShot: []int{3}, Trials: 60})
			if err != nil {
				t.Fatal(err)
			}
			if r.TP+r.FN != tt.each || r.TN+r.FP != tt.each || r.Pairs != 2*tt.each {
				t.Fatalf("%d pairs, confusion %d/%d/%d/%d: want %d similar and %d dissimilar pairs", r.Pairs, r.TP, r.FN, r.TN, r.FP, tt.each, tt.each)
			}
			wantDistinct := [2]int{}
			if tt.asked > 0 {
				wantDistinct = [2]int{9, 27}
			}
			if r.PairsAsked != tt.asked || [2]int{r.DistinctSimilar, r.DistinctDissimilar} != wantDistinct {
				t.Errorf("pairs asked %d, distinct %d and %d; want %d, %v", r.PairsAsked, r.DistinctSimilar, r.DistinctDissimilar, tt.asked, wantDistinct)
			}
			if math.Abs(r.Accuracy-tt.accuracy) > 1e-12 || math.Abs(r.AUC-tt.auc) > 1e-12 {
				t.Errorf("accuracy %g AUC %g, want %g and %g", r.Accuracy, r.AUC, tt.accuracy, tt.auc)
			}
			if r.OneShotAccuracy == nil || math.Abs(*r.OneShotAccuracy-tt.oneSh) > 1e-12 {
				t.Errorf("3-way one-shot accuracy %v, want %g", r.OneShotAccuracy, tt.oneSh)
			}
			// The accuracy's interval is Wilson's over the pairs.
			if lo, hi := metrics.Wilson95(r.Accuracy, r.Pairs); r.AccuracyLow != lo || r.AccuracyHigh != hi || !(lo < r.Accuracy || r.Accuracy == 0) {
				t.Errorf("accuracy interval %g to %g, want %g to %g", r.AccuracyLow, r.AccuracyHigh, lo, hi)
			}
			// Every pair judged similar (flat) is said, with what the
			// model was trained on; right verdicts are not.
			if flat := tt.auc == 0.5; flat != strings.Contains(r.Note, "every pair is judged similar at threshold 0.2000") {
				t.Errorf("note %q on %s images", r.Note, tt.name)
			}
		})
	}
}

// Evaluate at a threshold of the caller's: the separated folder of
// TestEvaluateKnown measured at 0 (every pair judged dissimilar: half
// right) and at 0.5 (past every within-class distance, below the
// between-class ones: all right) instead of the model's 0.2.
func TestEvaluateAtThreshold(t *testing.T) {
	dir := t.TempDir()
	m := meanModel(t, dir, 0.2)
	data := grayFolder(t, dir, map[string][]uint8{"a": {20, 25, 30}, "b": {120, 125, 130}, "c": {220, 225, 230}})
	for _, tt := range []struct{ threshold, accuracy float64 }{{0, 0.5}, {0.3, 1}} {
		thr := tt.threshold
		r, err := Evaluate(EvalOptions{Model: m, Data: data, Pairs: 16, Seed: 1, Threshold: &thr})
		if err != nil {
			t.Fatal(err)
		}
		if r.Threshold != thr || r.Accuracy != tt.accuracy {
			t.Errorf("at %g: threshold %g, accuracy %g; want %g", thr, r.Threshold, r.Accuracy, tt.accuracy)
		}
	}
}

// The false-accept points are read where enough impostors measure them:
// 1% of 1,000 is 10 (read), 0.1% is 1 (not).
func TestAtFalseAcceptPoints(t *testing.T) {
	var dist []float64
	var similar []bool
	for i := range 1000 {
		dist = append(dist, 1+float64(i)/1000) // impostors from 1 up
		similar = append(similar, false)
		dist = append(dist, 0.5+float64(i)/1000) // genuine pairs from 0.5 up
		similar = append(similar, true)
	}
	got := atFalseAccept(dist, similar, 1000, nil)
	if len(got) != 1 || got[0].Limit != 0.01 || got[0].FalseAccept != 0.01 || math.Abs(got[0].TrueAccept-0.51) > 1e-12 {
		t.Errorf("points %+v, want one at 1%%: 10 impostors below 1.01, and the 510 genuine pairs below it", got)
	}
}
