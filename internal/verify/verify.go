package verify

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/metrics"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/pairs"
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
}

// Verdict is one compared pair.
type Verdict struct {
	A         string  `json:"a"`
	B         string  `json:"b"`
	Distance  float64 `json:"distance"`
	Threshold float64 `json:"threshold"`
	Similar   bool    `json:"similar"`
}

// Compare measures the distance from Reference to every other image.
func Compare(o CompareOptions) ([]Verdict, error) {
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	thr := m.Meta.Threshold
	if !math.IsNaN(o.Threshold) {
		thr = o.Threshold
	}
	others, err := expand(o.Others)
	if err != nil {
		return nil, err
	}
	paths := append([]string{o.Reference}, others...)
	l := loaderFor(m, o.MaxPixels)
	data := make([]float32, 0, len(paths)*l.Len())
	for _, p := range paths {
		x, err := l.LoadFile(p)
		if err != nil {
			return nil, err
		}
		data = append(data, x...)
	}
	emb, err := embed(m.Net, data, len(paths))
	if err != nil {
		return nil, err
	}
	dim := len(emb) / len(paths)
	out := make([]Verdict, 0, len(others))
	for i := 1; i < len(paths); i++ {
		d := network.PairDistance(emb[:dim], emb[i*dim:(i+1)*dim])
		out = append(out, Verdict{A: o.Reference, B: paths[i], Distance: d, Threshold: thr, Similar: d < thr})
	}
	return out, nil
}

// expand replaces folders by the images in them (recursively, sorted).
func expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", a, unwrapPathErr(err))
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if p != a && len(name) > 0 && name[0] == '.' {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && dataset.IsImageName(name) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("folder %s: %w", a, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("folder %s: no images in it", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func loaderFor(m *model.Model, maxPixels int) dataset.Loader {
	return dataset.Loader{Size: m.Meta.Spec.Size, Channels: m.Meta.Spec.Channels, MaxPixels: maxPixels}
}

func embed(net *network.Net, data []float32, n int) ([]float32, error) {
	e, err := net.NewEmbedder(min(inferenceBatch, max(n, 1)))
	if err != nil {
		return nil, err
	}
	return e.Embed(data, n)
}

// EvalOptions configures Evaluate.
type EvalOptions struct {
	Model     string
	Data      string // "": the held-out test split recorded in the model
	Pairs     int
	Seed      uint64
	MaxPixels int
	Strict    bool
	Warn      func(msg string)
}

// Report is the result of Evaluate.
type Report struct {
	Model         string  `json:"model"`
	Data          string  `json:"data"`
	Images        int     `json:"images"`
	Pairs         int     `json:"pairs"`
	Threshold     float64 `json:"threshold"`
	Accuracy      float64 `json:"accuracy"`
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
	Skipped       int     `json:"skipped_files"`
	Seconds       float64 `json:"seconds"`
}

// Evaluate measures the model on balanced pairs of held-out images.
func Evaluate(o EvalOptions) (*Report, error) {
	if o.Pairs < 2 {
		return nil, fmt.Errorf("--pairs must be >= 2, got %d", o.Pairs)
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	ix, name, err := heldOut(m, o.Data)
	if err != nil {
		return nil, err
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
	start := nowSeconds()
	im, err := dataset.LoadAll(ix, loaderFor(m, o.MaxPixels), runtime.GOMAXPROCS(0), onBad, nil)
	if err != nil {
		return nil, err
	}
	sampler, err := pairs.NewSampler(im.Labels, o.Seed)
	if err != nil {
		return nil, fmt.Errorf("data %s: %w", name, err)
	}
	ps := sampler.Draw(o.Pairs)
	emb, err := embed(m.Net, im.Data, im.Len())
	if err != nil {
		return nil, err
	}
	dim := len(emb) / max(im.Len(), 1)
	dist := make([]float64, len(ps))
	similar := make([]bool, len(ps))
	for i, p := range ps {
		dist[i] = network.PairDistance(emb[p.A*dim:(p.A+1)*dim], emb[p.B*dim:(p.B+1)*dim])
		similar[i] = p.Similar
	}
	r := metrics.Evaluate(dist, similar, m.Meta.Threshold)
	bt, ba := metrics.BestThreshold(dist, similar)
	return &Report{
		Model: o.Model, Data: name, Images: im.Len(), Pairs: r.Pairs, Threshold: m.Meta.Threshold,
		Accuracy: r.Accuracy, AUC: r.AUC, Precision: r.Precision, Recall: r.Recall, F1: r.F1,
		TP: r.TP, FP: r.FP, TN: r.TN, FN: r.FN, BestThreshold: bt, BestAccuracy: ba,
		Skipped: skipped, Seconds: nowSeconds() - start,
	}, nil
}

// heldOut returns the images to evaluate: all of data when given, else the
// test split of the data the model was trained on, rebuilt from the seed and
// fractions in the model.
func heldOut(m *model.Model, data string) (*dataset.Index, string, error) {
	if data != "" {
		ix, name, err := dataset.Open(data)
		return ix, name, err
	}
	sp := m.Meta.Split
	if sp.Test <= 0 {
		return nil, "", fmt.Errorf("the model was trained with --test-split 0, so it has no held-out images; pass --data DIR")
	}
	ix, name, err := dataset.Open(sp.Data)
	if err != nil {
		return nil, "", fmt.Errorf("held-out data of the model: %w (pass --data DIR if it moved)", err)
	}
	_, _, test, err := ix.Split(sp.Val, sp.Test, sp.Seed)
	if err != nil {
		return nil, "", err
	}
	return test, name + " (test split)", nil
}

func nowSeconds() float64 { return float64(time.Now().UnixNano()) / 1e9 }
