package verify

import (
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/embedding"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/pairs"
)

var digits = filepath.Join("..", "..", "testdata", "digits")

func TestSimilarByClass(t *testing.T) {
	// Class a: similar pairs at 0.2 (right), 0.6 (wrong); class c: 0.1
	// (right); class b only in a dissimilar pair, so left out.
	dist := []float64{0.2, 0.6, 0.9, 0.1, 0.3}
	similar := []bool{true, true, false, true, false}
	classOf := []int{0, 0, 1, 2, 0}
	got := similarByClass(dist, similar, classOf, []string{"a", "b", "c"}, 0.5, map[string]bool{"c": true})
	want := []ClassAccuracy{{"a", 2, 0.5, false}, {"c", 1, 1, true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("similarByClass = %v, want %v", got, want)
	}
}

func TestUsedImages(t *testing.T) {
	ps := []pairs.Pair{{A: 5, B: 1}, {A: 1, B: 7, Similar: true}}
	trials := []pairs.Trial{{Query: 0, Refs: []int{2, 7}}}
	if got, want := usedImages(9, ps, [][]pairs.Trial{trials}), []int{0, 1, 2, 5, 7}; !slices.Equal(got, want) {
		t.Errorf("usedImages = %v, want %v", got, want)
	}
}

func TestWithoutFailed(t *testing.T) {
	items := []dataset.Item{{Path: "a/1"}, {Path: "a/2"}, {Path: "b/3"}, {Path: "b/4"}}
	tried := []dataset.Item{items[0], items[1], items[3]}
	got := withoutFailed(slices.Clone(items), tried, []string{"a/1", "b/4"})
	if want := []dataset.Item{items[0], items[2], items[3]}; !slices.Equal(got, want) {
		t.Errorf("withoutFailed = %v, want %v", got, want)
	}
}

// tinyModel saves an untrained small tower: enough to run the pipeline,
// whose plumbing is what these tests check.
func tinyModel(t *testing.T, dir string) string {
	t.Helper()
	spec := network.Spec{Size: 28, Channels: 1, Layers: []network.Layer{
		{Kind: network.KindConv, Filters: 4, Kernel: 3}, {Kind: network.KindReLU},
		{Kind: network.KindMaxPool, Size: 2}, {Kind: network.KindDense, Units: 8},
	}}
	net, err := network.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tiny.safetensors")
	m := &model.Model{Meta: model.Meta{Spec: spec, Threshold: 0.5, Classes: []string{"0", "1", "2", "3"}}, Net: net}
	if err := model.Save(path, m); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyDigits copies testdata/digits into dir and adds an unreadable image.
func copyDigits(t *testing.T, dir string) string {
	t.Helper()
	data := filepath.Join(dir, "digits")
	err := filepath.WalkDir(digits, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(digits, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Join(data, filepath.Dir(rel)), 0o755)
		return os.WriteFile(filepath.Join(data, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEvaluate(t *testing.T) {
	dir := t.TempDir()
	m := tinyModel(t, dir)
	data := copyDigits(t, dir)
	total := 0
	filepath.WalkDir(data, func(p string, d os.DirEntry, err error) error {
		if !d.IsDir() {
			total++
		}
		return nil
	})
	if err := os.WriteFile(filepath.Join(data, "2", "broken.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	o := EvalOptions{Model: m, Data: data, Pairs: 6, Seed: 1, OneShot: []int{3}, Trials: 50, PlotDir: filepath.Join(dir, "plots"),
		Warn: func(s string) { warnings = append(warnings, s) }}
	r, err := Evaluate(o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pairs != 6 || r.TP+r.FP+r.TN+r.FN != 6 {
		t.Errorf("%d pairs, confusion %d+%d+%d+%d; want 6", r.Pairs, r.TP, r.FP, r.TN, r.FN)
	}
	// Whether or not the broken image was drawn, the report is over the
	// readable images only.
	if r.Images != total {
		t.Errorf("images %d, want the %d readable ones", r.Images, total)
	}
	if r.Embedded > 12+50*4 || r.Embedded < 2 || r.Embedded > total {
		t.Errorf("embedded %d images for 6 pairs and 50 trials of %d images", r.Embedded, total)
	}
	if r.OneShotWay != 3 || r.Trials != 50 || r.OneShotAccuracy == nil || *r.OneShotAccuracy < 0 || *r.OneShotAccuracy > 1 {
		t.Errorf("one-shot: way %d, trials %d, accuracy %v", r.OneShotWay, r.Trials, r.OneShotAccuracy)
	}
	if r.Skipped != len(warnings) || r.Skipped > 1 {
		t.Errorf("skipped %d with warnings %q", r.Skipped, warnings)
	}
	sum := 0
	for _, c := range r.ByClass {
		sum += c.Pairs
	}
	if sum != r.TP+r.FN {
		t.Errorf("per-class similar pairs add up to %d, want TP+FN = %d", sum, r.TP+r.FN)
	}
	for _, p := range r.Plots {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(f); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		f.Close()
	}
	if len(r.Plots) != 3 || filepath.Base(r.Plots[2]) != "mistakes.png" {
		t.Errorf("plots %v, want roc.png, distances.png and mistakes.png", r.Plots)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("report does not encode as JSON: %v", err)
	}

	// Fewer pairs embed fewer images: only the ones drawn.
	few, err := Evaluate(EvalOptions{Model: m, Data: data, Pairs: 2, Seed: 1, Warn: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	if few.Embedded > 4 || few.OneShotAccuracy != nil {
		t.Errorf("2 pairs embedded %d images (one-shot %v)", few.Embedded, few.OneShotAccuracy)
	}

	// Drawing enough pairs meets the broken image; --strict makes it fatal.
	o = EvalOptions{Model: m, Data: data, Pairs: 400, Seed: 1, Strict: true}
	if _, err := Evaluate(o); err == nil || !strings.Contains(err.Error(), "broken.png") {
		t.Errorf("strict evaluation with a broken image: %v", err)
	}
	o.Strict, o.Warn = false, func(string) {}
	r, err = Evaluate(o)
	if err != nil || r.Skipped != 1 || r.Pairs != 400 {
		t.Errorf("lenient evaluation: %v, skipped %d, pairs %d; want 1 skipped and 400 pairs", err, r.Skipped, r.Pairs)
	}
}

func TestEmbedAndSearch(t *testing.T) {
	dir := t.TempDir()
	m := tinyModel(t, dir)
	data := copyDigits(t, dir)
	loose := filepath.Join(data, "0", "00000.png")
	e, err := Embed(EmbedOptions{Model: m, Paths: []string{loose, data}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim != 8 || len(e.Vectors) != len(e.Files)*8 {
		t.Fatalf("dim %d, %d values for %d files", e.Dim, len(e.Vectors), len(e.Files))
	}
	if e.Files[0] != (embedding.File{Path: loose}) || e.Files[1].Class != "0" || e.Files[len(e.Files)-1].Class != "3" {
		t.Errorf("files %v..., want the loose image with class \"\" then the folder by class", e.Files[:2])
	}
	// The same image embeds the same whatever else is in the batch.
	if !slices.Equal(e.Vectors[:8], e.Vectors[8:16]) {
		t.Errorf("one image, two embeddings: %v and %v", e.Vectors[:8], e.Vectors[8:16])
	}

	s := SearchOptions{Model: m, Query: loose, Gallery: data, K: 3, Threshold: math.NaN()}
	r, err := Search(s)
	if err != nil {
		t.Fatal(err)
	}
	n := len(e.Files) - 1
	if len(r.Neighbours) != 3 || r.Images != n || r.Embedded != n || r.Cached != 0 {
		t.Fatalf("first search: %d neighbours, %d images, %d embedded, %d cached", len(r.Neighbours), r.Images, r.Embedded, r.Cached)
	}
	// The query is in the gallery: it comes first, at distance sqrt(eps).
	if r.Neighbours[0].Path != loose || r.Neighbours[0].Distance > 1e-3 || r.Neighbours[0].Class != "0" {
		t.Errorf("nearest is %+v, want the query itself", r.Neighbours[0])
	}
	if !slices.IsSortedFunc(r.Neighbours, func(a, b Neighbour) int { return cmpFloat(a.Distance, b.Distance) }) {
		t.Errorf("neighbours not nearest first: %+v", r.Neighbours)
	}
	if r.Threshold != 0.5 {
		t.Errorf("threshold %g, want the model's 0.5", r.Threshold)
	}
	again, err := Search(s)
	if err != nil {
		t.Fatal(err)
	}
	if again.Embedded != 0 || again.Cached != n || !reflect.DeepEqual(again.Neighbours, r.Neighbours) {
		t.Errorf("second search embedded %d, cached %d; neighbours same: %v", again.Embedded, again.Cached, reflect.DeepEqual(again.Neighbours, r.Neighbours))
	}
	s.K = 1000
	if all, _ := Search(s); len(all.Neighbours) != n {
		t.Errorf("-k above the gallery size: %d neighbours, want %d", len(all.Neighbours), n)
	}
	if _, err := Search(SearchOptions{Model: m, Query: data, Gallery: data, K: 1}); err == nil {
		t.Error("a folder as query: no error")
	}
}

func TestCompareReferenceFolder(t *testing.T) {
	m := tinyModel(t, t.TempDir())
	_, _, err := Compare(CompareOptions{Model: m, Reference: digits, Others: []string{digits}, Threshold: math.NaN()})
	if err == nil || !strings.Contains(err.Error(), "folder") {
		t.Errorf("a folder as reference: %v", err)
	}
	vs, _, err := Compare(CompareOptions{Model: m, Reference: filepath.Join(digits, "1", "00000.png"), Others: []string{filepath.Join(digits, "3")}, Threshold: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(digits, "3"))
	if len(vs) != len(entries) || vs[0].Threshold != 0.25 || !strings.HasSuffix(vs[0].B, "00000.png") {
		t.Errorf("compare with a folder: %d verdicts, first %+v", len(vs), vs[0])
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
