package verify

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/embedding"
	"github.com/siamese-dev/siamese/internal/metrics"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/pairs"
	"github.com/siamese-dev/siamese/internal/plot"
	"github.com/siamese-dev/siamese/internal/progress"
)

// inferenceBatch is the embedder's batch: large enough to keep every core
// busy, small enough that a short last batch wastes little.
const inferenceBatch = 128

// CompareOptions configures Compare.
type CompareOptions struct {
	Model     string
	Reference string   // the first image
	Others    []string // images or folders to compare with Reference
	Threshold float64  // NaN: the model's
	MaxPixels int
	// Strict stops at an unreadable image among Others instead of skipping
	// it (the reference must always be readable); Warn hears each skip.
	Strict bool
	Warn   func(msg string)
	// Progress is where a bar counts the images embedded: a terminal, or
	// nil for none.
	Progress io.Writer
}

// Verdict is one compared pair.
type Verdict struct {
	A         string  `json:"a"`
	B         string  `json:"b"`
	Distance  float64 `json:"distance"`
	Threshold float64 `json:"threshold"`
	Similar   bool    `json:"similar"`
}

// Compare measures the distance from Reference to every other image, and
// returns how many of those it skipped as unreadable.
func Compare(o CompareOptions) ([]Verdict, int, error) {
	if st, err := os.Stat(o.Reference); err == nil && st.IsDir() {
		return nil, 0, fmt.Errorf("reference %s is a folder; the first argument must be one image", o.Reference)
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, 0, err
	}
	thr := m.Meta.Threshold
	if !math.IsNaN(o.Threshold) {
		thr = o.Threshold
	}
	others, err := embedding.Files(o.Others)
	if err != nil {
		return nil, 0, err
	}
	// The reference alone first: it must be readable, as search's query
	// must. An unreadable image among several others is skipped unless
	// Strict; a lone other is the comparison asked for, so its failure is
	// the error.
	ref, err := EmbedFiles(m, []string{o.Reference}, o.MaxPixels, nil, nil)
	if err != nil {
		return nil, 0, err
	}
	paths := make([]string, len(others))
	for i, f := range others {
		paths[i] = f.Path
	}
	skipped := 0
	emb, err := EmbedFiles(m, paths, o.MaxPixels, Skipper(o.Strict || len(paths) == 1, o.Warn, &skipped), o.Progress)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Verdict, 0, len(others))
	for i, e := range emb {
		if e == nil {
			continue
		}
		d := network.PairDistance(ref[0], e)
		out = append(out, Verdict{A: o.Reference, B: paths[i], Distance: d, Threshold: thr, Similar: d < thr})
	}
	if len(out) == 0 {
		return nil, skipped, fmt.Errorf("no readable image to compare %s with in %v", o.Reference, o.Others)
	}
	return out, skipped, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func loaderFor(m *model.Model, maxPixels int) dataset.Loader {
	return dataset.Loader{Size: m.Meta.Spec.Size, Channels: m.Meta.Spec.Channels, Resize: m.Meta.Spec.Resize, MaxPixels: maxPixels}
}

// embedImages embeds every image of im, a bounded chunk of float values
// at a time (dataset.ChunkBytes), rather than all of them at once: 38,000
// photos at 64 px are 1.9 GB as floats, 470 MB as the bytes im holds. A
// bar on progressTo, if not nil, counts the chunks' images.
func embedImages(net *network.Net, im *dataset.Images, progressTo io.Writer) ([]float32, error) {
	e, err := embedderFor(net, im.Len())
	if err != nil {
		return nil, err
	}
	bar := progress.New(progressTo, im.Len(), "embedding", "images") // once the network is built
	defer bar.Finish()
	per := net.Spec.Channels * net.Spec.Size * net.Spec.Size
	chunk := max(1, min(embedChunk, dataset.ChunkBytes/(4*per)))
	buf := make([]float32, min(chunk, im.Len())*per)
	out := make([]float32, 0, im.Len()*e.Dim())
	for lo := 0; lo < im.Len(); lo += chunk {
		hi := min(im.Len(), lo+chunk)
		for i := lo; i < hi; i++ {
			im.ImageInto(buf[(i-lo)*per:(i-lo+1)*per], i)
		}
		emb, err := e.Embed(buf[:(hi-lo)*per], hi-lo)
		if err != nil {
			return nil, err
		}
		out = append(out, emb...)
		bar.Set(hi)
	}
	return out, nil
}

// embedderFor is an embedder for n images (or chunks of them): batches of
// up to inferenceBatch, within the memory budget. Made once per set of
// images: each holds its graphs' activations, which a fresh one per
// chunk kept alive chunk after chunk (1.2 GB for 20,000 photos).
func embedderFor(net *network.Net, n int) (*network.Embedder, error) {
	return net.NewEmbedder(net.Spec.InferenceBatch(network.EmbedderBudget, min(inferenceBatch, max(n, 1))))
}

// EvalOptions configures Evaluate.
type EvalOptions struct {
	Model     string
	Data      string // "": the held-out test split recorded in the model
	Pairs     int
	Seed      uint64
	OneShot   []int    // the N of each N-way one-shot test; none: 5-, 10- and 20-way on a class-split model (as the classes allow; with 2 to 4 classes, as many ways), none otherwise
	Trials    int      // one-shot trials
	Threshold *float64 // nil: the model's
	PlotDir   string   // "": no charts
	// FalseAccept are the false-accept limits Report.AtFalseAccept reads
	// the pairs at; nil: 1% and 0.1%.
	FalseAccept []float64
	MaxPixels   int
	Strict      bool
	Warn        func(msg string)
	// Progress is where bars count the images decoded and embedded: a
	// terminal, or nil for none.
	Progress io.Writer
}

// FalseAcceptPoint is an operating point chosen by its false-accept rate.
type FalseAcceptPoint struct {
	Limit       float64 `json:"limit"`        // the false-accept rate allowed
	Threshold   float64 `json:"threshold"`    // similar when the distance is below it
	FalseAccept float64 `json:"false_accept"` // the rate reached, at most Limit
	TrueAccept  float64 `json:"true_accept"`  // similar pairs accepted (1 - false-reject rate)
}

// atFalseAccept reads the pairs' ROC at false-accept limits (nil: 1% and
// 0.1%), each only where there are enough dissimilar pairs (impostors) to measure
// it: at least ten for each one the limit lets through.
func atFalseAccept(dist []float64, similar []bool, impostors int, limits []float64) []FalseAcceptPoint {
	if limits == nil {
		limits = []float64{0.01, 0.001}
	}
	var out []FalseAcceptPoint
	for _, limit := range limits {
		if float64(impostors)*limit < 10 {
			continue
		}
		if p, ok := metrics.AtFalseAccept(dist, similar, limit); ok {
			out = append(out, FalseAcceptPoint{Limit: limit, Threshold: p.Threshold, FalseAccept: p.FPR, TrueAccept: p.TPR})
		}
	}
	return out
}

// ClassAccuracy is the share of a class's similar pairs judged similar.
type ClassAccuracy struct {
	Class    string  `json:"class"`
	Pairs    int     `json:"pairs"`
	Accuracy float64 `json:"accuracy"`
	// Seen says the model trained on the class: its figures are not those
	// of a class it never saw.
	Seen bool `json:"seen"`
}

// Report is the result of Evaluate.
type Report struct {
	Model string `json:"model"`
	Data  string `json:"data"`
	// Part says which images of Data were measured: PartAll, PartTest or
	// PartHeldOutClasses.
	Part     string `json:"part"`
	Images   int    `json:"images"`
	Embedded int    `json:"embedded_images"`
	Pairs    int    `json:"pairs"`
	// Set when the images make fewer distinct pairs of a kind than --pairs
	// asks for by half: each pair is then used once, DistinctSimilar or
	// DistinctDissimilar (the fewer) of each kind.
	PairsAsked         int     `json:"pairs_asked,omitempty"`
	DistinctSimilar    int     `json:"distinct_similar_pairs,omitempty"`
	DistinctDissimilar int     `json:"distinct_dissimilar_pairs,omitempty"`
	Threshold          float64 `json:"threshold"`
	// dist and similar are the pairs measured, for Calibrate.
	dist    []float64
	similar []bool
	// StoredThreshold is the model's: Threshold unless --threshold.
	StoredThreshold float64 `json:"stored_threshold"`
	Accuracy        float64 `json:"accuracy"`
	// AccuracyLow and AccuracyHigh bound the accuracy's 95% Wilson score
	// interval over the pairs: how much a small test set says.
	AccuracyLow   float64 `json:"accuracy_low"`
	AccuracyHigh  float64 `json:"accuracy_high"`
	AUC           float64 `json:"auc"`
	Precision     float64 `json:"precision"`
	Recall        float64 `json:"recall"`
	F1            float64 `json:"f1"`
	TP            int     `json:"tp"`
	FP            int     `json:"fp"`
	TN            int     `json:"tn"`
	FN            int     `json:"fn"`
	BestThreshold float64 `json:"best_threshold"`
	BestAccuracy  float64 `json:"best_accuracy"`
	EER           float64 `json:"eer"`
	EERThreshold  float64 `json:"eer_threshold"`
	// AtFalseAccept gives, for false-accept limits of 1% and 0.1%, the
	// threshold that accepts the most similar pairs within the limit:
	// where a verifier must let few impostors through.
	AtFalseAccept  []FalseAcceptPoint `json:"at_false_accept,omitempty"`
	AP             float64            `json:"average_precision"`
	MeanSimilar    float64            `json:"mean_distance_similar"`
	MeanDissimilar float64            `json:"mean_distance_dissimilar"`
	ByClass        []ClassAccuracy    `json:"similar_by_class"`
	// One-shot results: each way asked for (--one-shot) or, on a model
	// trained with whole classes held out, 5-, 10- and 20-way where the
	// data has enough classes. The first also fills the three fields below,
	// kept for scripts written against them.
	OneShot []OneShotResult `json:"one_shot,omitempty"`
	// OneShotSkipped are the default ways left out because the data has
	// fewer classes (OneShotClasses) than they need.
	OneShotSkipped  []int    `json:"one_shot_skipped,omitempty"`
	OneShotClasses  int      `json:"one_shot_classes,omitempty"`
	OneShotWay      int      `json:"one_shot_way,omitempty"`
	Trials          int      `json:"trials,omitempty"`
	OneShotAccuracy *float64 `json:"one_shot_accuracy,omitempty"`
	// What the evaluated classes are to the model: the number it trained
	// on and the number it never saw, and whether the data overlaps the
	// folder it was trained on (then the figures are not held out).
	SeenClasses      int      `json:"seen_classes"`
	UnseenClasses    int      `json:"unseen_classes"`
	OverlapsTraining bool     `json:"overlaps_training"`
	Note             string   `json:"note,omitempty"`
	Plots            []string `json:"plots,omitempty"`
	Skipped          int      `json:"skipped_files"`
	Seconds          float64  `json:"seconds"`
	// PairsPerSec is the inference throughput: pairs scored per second of
	// embedding and distance work, decoding excluded (as in the PyTorch
	// reference's figure).
	PairsPerSec float64 `json:"pairs_per_s"`
}

// OneShotResult is the accuracy of one N-way one-shot test with its 95%
// Wilson score interval over the trials' effective number, [Low, High]
// (see package pairs),
// and half that interval's width, CI95, for readers of the ± form: the
// interval is not symmetric about the accuracy near 0 and 1.
type OneShotResult struct {
	Way    int `json:"way"`
	Trials int `json:"trials"`
	// Queries is how many distinct images the trials asked about: trials
	// that repeat one are not independent, and the interval counts them
	// so (see package pairs).
	Queries  int     `json:"queries"`
	Accuracy float64 `json:"accuracy"`
	Low      float64 `json:"ci95_low"`
	High     float64 `json:"ci95_high"`
	CI95     float64 `json:"ci95"`
}

// Evaluate measures the model on balanced pairs of held-out images and,
// when asked, on N-way one-shot trials. Only the images the pairs and
// trials use are decoded and embedded, each once.
func Evaluate(o EvalOptions) (*Report, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	return evaluate(m, o)
}

// check refuses options Evaluate cannot run with, before any work.
func (o EvalOptions) check() error {
	if o.Pairs < 2 {
		return fmt.Errorf("--pairs must be >= 2, got %d", o.Pairs)
	}
	if o.PlotDir != "" {
		// Before the evaluation, which it would otherwise throw away.
		if err := os.MkdirAll(o.PlotDir, 0o755); err != nil {
			return fmt.Errorf("--plot %s: %w", o.PlotDir, unwrapPathErr(err))
		}
		if err := model.CheckWritable(filepath.Join(o.PlotDir, "roc.png")); err != nil {
			return fmt.Errorf("--plot %w", err)
		}
	}
	return nil
}

// evaluate is Evaluate of model m, loaded from o.Model, once o is checked.
func evaluate(m *model.Model, o EvalOptions) (*Report, error) {
	ix, name, part, err := heldOut(m, o.Data)
	if err != nil {
		return nil, err
	}
	if o.Warn != nil {
		for _, f := range ix.Ignored {
			o.Warn(f.String())
		}
	}
	seen, unseen := classesSeen(m, ix)
	overlaps := o.Data != "" && sameOrNested(o.Data, m.Meta.Split.Data)
	// Each way once, in the order asked ("5,5" ran and printed it twice).
	var ways []int
	for _, w := range o.OneShot {
		if !slices.Contains(ways, w) {
			ways = append(ways, w)
		}
	}
	for _, w := range ways {
		if w < 2 {
			return nil, fmt.Errorf("--one-shot %d: a one-shot trial has at least 2 ways", w)
		}
	}
	switch {
	case o.Trials < 0:
		return nil, fmt.Errorf("--trials must be >= 0 (0: no one-shot trials), got %d", o.Trials)
	case o.Trials == 0 && len(ways) > 0:
		return nil, fmt.Errorf("--one-shot %v asks for trials, and --trials 0 runs none", ways)
	}
	var skippedWays []int
	if len(ways) == 0 && o.Trials > 0 {
		if m.Meta.Split.Mode == dataset.SplitClasses {
			// The tests of the literature: 5-, 10- and 20-way.
			for _, w := range [...]int{5, 10, 20} {
				if w <= len(ix.ClassNames()) {
					ways = append(ways, w)
				} else {
					skippedWays = append(skippedWays, w)
				}
			}
			// Fewer than 5 classes: as many ways as there are, as
			// training's validation one-shot does.
			if n := len(ix.ClassNames()); len(ways) == 0 && n >= 2 {
				ways = append(ways, n)
			}
		}
	}
	skipped := 0
	onBad := func(path string, err error) error {
		if o.Strict {
			return err
		}
		skipped++
		if o.Warn != nil {
			o.Warn(fmt.Sprintf("skipping %v", err))
		}
		return nil
	}
	start := time.Now()
	items := slices.Clone(ix.Items)
	var (
		sampler *pairs.Sampler
		ps      []pairs.Pair
		trials  [][]pairs.Trial
		used    []int // indices into items, increasing
		im      *dataset.Images
	)
	// Draw from the index, load what the draw uses; if an image turns out
	// unreadable, draw again without it, as if it had never been there.
	for {
		labels := make([]int, len(items))
		for i, it := range items {
			labels[i] = it.Class
		}
		if sampler, err = pairs.NewSampler(labels, o.Seed); err != nil {
			return nil, fmt.Errorf("data %s: %w", name, err)
		}
		// A small set would give the pairs asked for only by repeating
		// them, and "2000 pairs" of a dozen images says more than the
		// images do: then every pair is used once, as many of each kind.
		ps = sampler.DrawAtMost(o.Pairs)
		trials = trials[:0]
		for _, w := range ways {
			t, err := pairs.DrawTrials(labels, w, o.Trials, o.Seed+uint64(w))
			if err != nil {
				return nil, fmt.Errorf("data %s: %w", name, err)
			}
			trials = append(trials, t)
		}
		used = usedImages(len(items), ps, trials)
		sub := *ix
		sub.Items = make([]dataset.Item, len(used))
		for k, i := range used {
			sub.Items[k] = items[i]
		}
		bar := progress.New(o.Progress, len(sub.Items), "loading images", "images")
		im, err = dataset.LoadAll(&sub, loaderFor(m, o.MaxPixels), runtime.GOMAXPROCS(0), progress.ClearBefore(bar, onBad), bar.Func())
		bar.Finish()
		if err != nil {
			return nil, err
		}
		if im.Len() == len(used) {
			break
		}
		items = withoutFailed(items, sub.Items, im.Paths)
	}
	inferStart := time.Now()
	emb, err := embedImages(m.Net, im, o.Progress)
	if err != nil {
		return nil, err
	}
	dim := len(emb) / max(im.Len(), 1)
	row := make([]int, len(items))
	for k, i := range used {
		row[i] = k
	}
	vec := func(i int) []float32 { return emb[row[i]*dim : (row[i]+1)*dim] }
	dist := make([]float64, len(ps))
	similar := make([]bool, len(ps))
	for i, p := range ps {
		dist[i] = network.PairDistance(vec(p.A), vec(p.B))
		similar[i] = p.Similar
	}
	inferSeconds := time.Since(inferStart).Seconds()
	thr := m.Meta.Threshold
	if o.Threshold != nil {
		thr = *o.Threshold
	}
	r := metrics.Evaluate(dist, similar, thr)
	rep := &Report{
		Model: o.Model, Data: name, Part: part, Images: len(items), Embedded: len(used), Pairs: r.Pairs, Threshold: thr, StoredThreshold: m.Meta.Threshold,
		Accuracy: r.Accuracy, AUC: r.AUC, Precision: r.Precision, Recall: r.Recall, F1: r.F1,
		TP: r.TP, FP: r.FP, TN: r.TN, FN: r.FN,
		AP: metrics.AveragePrecision(dist, similar), Skipped: skipped,
		PairsPerSec: float64(len(ps)) / inferSeconds,
	}
	if len(skippedWays) > 0 {
		rep.OneShotSkipped, rep.OneShotClasses = skippedWays, len(ix.ClassNames())
	}
	if r.Pairs > 0 {
		rep.AccuracyLow, rep.AccuracyHigh = metrics.Wilson95(r.Accuracy, r.Pairs)
	}
	if !sampler.Enough(o.Pairs) {
		rep.PairsAsked = o.Pairs
		rep.DistinctSimilar, rep.DistinctDissimilar = sampler.Distinct()
	}
	rep.dist, rep.similar = dist, similar
	rep.BestThreshold, rep.BestAccuracy = metrics.BestThreshold(dist, similar)
	rep.EER, rep.EERThreshold = metrics.EER(dist, similar)
	rep.AtFalseAccept = atFalseAccept(dist, similar, r.TN+r.FP, o.FalseAccept)
	rep.MeanSimilar, rep.MeanDissimilar = metrics.MeanDistances(dist, similar)
	classOf := make([]int, len(ps))
	for i, p := range ps {
		classOf[i] = items[p.A].Class
	}
	rep.ByClass = similarByClass(dist, similar, classOf, ix.Classes, thr, trainedClasses(m))
	for k, t := range trials {
		acc, lo, hi := pairs.OneShotAccuracy(t, pairs.OneShotScores(t, func(a, b int) float64 { return network.PairDistance(vec(a), vec(b)) }))
		rep.OneShot = append(rep.OneShot, OneShotResult{Way: ways[k], Trials: len(t), Queries: pairs.DistinctQueries(t), Accuracy: acc, Low: lo, High: hi, CI95: (hi - lo) / 2})
		if k == 0 {
			rep.OneShotWay, rep.Trials, rep.OneShotAccuracy = ways[k], len(t), &acc
		}
	}
	rep.SeenClasses, rep.UnseenClasses, rep.OverlapsTraining = seen, unseen, overlaps
	note := func(msg string) {
		if rep.Note != "" {
			rep.Note += "; "
		}
		rep.Note += msg
		if o.Warn != nil {
			o.Warn(msg)
		}
	}
	if overlaps {
		note(fmt.Sprintf("%s is (or overlaps) the folder the model was trained on, %s: these images are not held out", o.Data, m.Meta.Split.Data))
	} else if c := m.Meta.Calibration; c != nil && o.Data != "" && sameOrNested(o.Data, c.Data) {
		note(fmt.Sprintf("the model's threshold was calibrated on pairs of %s: its accuracy there is not held out; evaluate on another folder", c.Data))
	} else if o.Data != "" && seen > 0 && unseen > 0 {
		// A folder of classes never seen, with some the model trained on
		// among them: its figures are not those of unseen classes.
		note(fmt.Sprintf("%d of the %d classes of %s are classes the model trained on: these figures mix seen and unseen classes (per class, \"seen\" in --json)", seen, seen+unseen, o.Data))
	}
	// One verdict for every pair of both kinds is what a model gives
	// images unlike its training ones (a gray 32 px glyph model on colour
	// photos called them all similar): say so, with what it was trained on.
	if r.TP+r.FN > 0 && r.TN+r.FP > 0 && (r.TN+r.FN == 0 || r.TP+r.FP == 0) {
		verdict := "similar"
		if r.TP+r.FP == 0 {
			verdict = "dissimilar"
		}
		sp := m.Meta.Spec
		kind := "gray"
		if sp.Channels == 3 {
			kind = "colour"
		}
		if o.Threshold != nil {
			// The user's threshold, not the images, may be the cause.
			note(fmt.Sprintf("every pair is judged %s at --threshold %.4f (the model's is %.4f)", verdict, thr, m.Meta.Threshold))
		} else {
			note(fmt.Sprintf("every pair is judged %s at threshold %.4f: are these images like the model's training ones (%s, %d px, from %s)?", verdict, thr, kind, sp.Size, m.Meta.Split.Data))
		}
	}
	if o.PlotDir != "" {
		roc, hist := filepath.Join(o.PlotDir, "roc.png"), filepath.Join(o.PlotDir, "distances.png")
		if err := plot.WriteFile(roc, func(w io.Writer) error { return plot.ROC(w, dist, similar, thr) }); err != nil {
			return nil, err
		}
		if err := plot.WriteFile(hist, func(w io.Writer) error { return plot.Distances(w, dist, similar, thr) }); err != nil {
			return nil, err
		}
		rep.Plots = []string{roc, hist}
		mk := filepath.Join(o.PlotDir, "mistakes.png")
		if err := plot.WriteFile(mk, func(w io.Writer) error {
			return plot.Mistakes(w, mistakes(ps, dist, thr, items, ix.Classes, im, row), thr, maxMistakes)
		}); err != nil {
			return nil, err
		}
		rep.Plots = append(rep.Plots, mk)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// usedImages returns, in increasing order, the images that the pairs and
// trials refer to, out of n.
func usedImages(n int, ps []pairs.Pair, trials [][]pairs.Trial) []int {
	mark := make([]bool, n)
	for _, p := range ps {
		mark[p.A], mark[p.B] = true, true
	}
	for _, ts := range trials {
		for _, t := range ts {
			mark[t.Query] = true
			for _, r := range t.Refs {
				mark[r] = true
			}
		}
	}
	var out []int
	for i, m := range mark {
		if m {
			out = append(out, i)
		}
	}
	return out
}

// withoutFailed returns items less those of tried whose path is not among
// loaded, the paths LoadAll kept (tried in order, loaded a subsequence).
func withoutFailed(items, tried []dataset.Item, loaded []string) []dataset.Item {
	failed := map[string]bool{}
	j := 0
	for _, it := range tried {
		if j < len(loaded) && loaded[j] == it.Path {
			j++
			continue
		}
		failed[it.Path] = true
	}
	return slices.DeleteFunc(items, func(it dataset.Item) bool { return failed[it.Path] })
}

// similarByClass returns, for each class with similar pairs (classOf[i] is
// the class of pair i), how many there are and the share with distance
// below threshold, in class order.
func similarByClass(dist []float64, similar []bool, classOf []int, classes []string, threshold float64, trained map[string]bool) []ClassAccuracy {
	n := make([]int, len(classes))
	right := make([]int, len(classes))
	for i, d := range dist {
		if !similar[i] {
			continue
		}
		n[classOf[i]]++
		if d < threshold {
			right[classOf[i]]++
		}
	}
	var out []ClassAccuracy
	for c, name := range classes {
		if n[c] > 0 {
			out = append(out, ClassAccuracy{Class: name, Pairs: n[c], Accuracy: float64(right[c]) / float64(n[c]), Seen: trained[name]})
		}
	}
	return out
}

// heldOut returns the images to evaluate: all of data when given, else the
// test part of the data the model was trained on, rebuilt from the split
// recorded in the model and refused if the folder no longer gives the same
// held-out images.
func heldOut(m *model.Model, data string) (ix *dataset.Index, name, part string, err error) {
	if data != "" {
		ix, name, err := dataset.Open(data)
		return ix, name, PartAll, err
	}
	ix, name, err = storedTestPart(m)
	part = PartTest
	if m.Meta.Split.Mode == dataset.SplitClasses {
		part = PartHeldOutClasses
	}
	return ix, name, part, err
}

// The parts of a folder that eval measures (Report.Part).
const (
	PartAll            = "all"              // every image of --data
	PartTest           = "test"             // the test images of the training folder's classes
	PartHeldOutClasses = "held-out classes" // the training folder's classes kept out of training
)

// storedTestPart rebuilds the test part of the split recorded in m.
func storedTestPart(m *model.Model) (*dataset.Index, string, error) {
	sp := m.Meta.Split
	if sp.Test <= 0 {
		return nil, "", fmt.Errorf("the model was trained with --test-split 0, so it has no held-out images; pass --data DIR")
	}
	if sp.Data == dataset.InMemory {
		return nil, "", fmt.Errorf("the model was trained on images held in memory (siamese.Train with Classes), which eval cannot open again; pass --data DIR")
	}
	ix, name, err := dataset.Open(sp.Data)
	if err != nil {
		return nil, "", fmt.Errorf("held-out data of the model: %w (pass --data DIR if it moved)", err)
	}
	_, _, test, err := ix.SplitBy(sp.Mode, sp.Val, sp.Test, sp.Seed)
	if err != nil {
		return nil, "", err
	}
	if sp.TestFingerprint != "" && test.Fingerprint() != sp.TestFingerprint {
		return nil, "", fmt.Errorf("held-out data of the model: %s no longer gives the test images the model was trained without (images were added, removed or renamed since training), so they may include training images; evaluate on a separate folder with --data DIR", sp.Data)
	}
	if !test.MakesPairs() {
		return nil, "", fmt.Errorf("held-out data of the model: the test part of %s holds %d image(s) of %d class(es), too few for both similar and dissimilar pairs; evaluate on a separate folder with --data DIR", sp.Data, len(test.Items), len(test.ClassNames()))
	}
	return test, name, nil
}

// classesSeen counts the classes of ix (those with images) that the model
// trained on and those it never saw.
func classesSeen(m *model.Model, ix *dataset.Index) (seen, unseen int) {
	set := trainedClasses(m)
	for _, c := range ix.ClassNames() {
		if set[c] {
			seen++
		} else {
			unseen++
		}
	}
	return seen, unseen
}

// trainedClasses is the set of class names the model trained on.
func trainedClasses(m *model.Model) map[string]bool {
	trained := m.Meta.Classes
	if m.Meta.Split.Mode == dataset.SplitClasses {
		trained = m.Meta.Split.TrainClasses
	}
	set := make(map[string]bool, len(trained))
	for _, c := range trained {
		set[c] = true
	}
	return set
}

// sameOrNested reports whether folders a and b are the same or one holds
// the other, after resolving both to absolute paths without links.
func sameOrNested(a, b string) bool {
	resolve := func(p string) string {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Clean(p)
	}
	if b == "" || b == dataset.BuiltinName {
		return false
	}
	ra, rb := resolve(a), resolve(b)
	within := func(x, y string) bool {
		rel, err := filepath.Rel(y, x)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	return within(ra, rb) || within(rb, ra)
}
