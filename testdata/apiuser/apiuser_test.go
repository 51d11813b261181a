// Package apiuser is a program outside the project that uses its public Go
// API, to prove the API is enough on its own: it cannot import internal/.
package apiuser

import (
	"context"
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/siamese-dev/siamese"
)

// absPull is a loss of our own: mean(y·|d| + (1-y)·max(m-d, 0)²).
type absPull struct{ margin float64 }

func (absPull) Name() string { return "abs-pull" }

func (l absPull) Value(d, y []float32) float64 {
	var s float64
	for i := range d {
		gap := math.Max(l.margin-float64(d[i]), 0)
		s += float64(y[i])*math.Abs(float64(d[i])) + (1-float64(y[i]))*gap*gap
	}
	return s / float64(len(d))
}

func (l absPull) Grad(d, y []float32) []float32 {
	g := make([]float32, len(d))
	for i := range d {
		gap := math.Max(l.margin-float64(d[i]), 0)
		g[i] = float32((float64(y[i]) - 2*(1-float64(y[i]))*gap) / float64(len(d)))
	}
	return g
}

func decode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestTrainSaveLoadCompare(t *testing.T) {
	m, sum, err := siamese.Train(context.Background(), siamese.Options{
		Loss: absPull{margin: 1}, Margin: 1,
		Epochs: 1, PairsPerEpoch: 128, ValPairs: 64, Seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loss != "abs-pull" || sum.Epochs != 1 || sum.Pairs != 128 {
		t.Fatalf("summary: loss %q, %d epochs, %d pairs", sum.Loss, sum.Epochs, sum.Pairs)
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := siamese.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a := decode(t, filepath.Join("..", "digits", "1", "00000.png"))
	b := decode(t, filepath.Join("..", "digits", "3", "00000.png"))
	d1, sim1, err := m.Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	d2, sim2, err := loaded.Compare(a, b)
	if err != nil || d1 != d2 || sim1 != sim2 || math.IsNaN(d1) {
		t.Fatalf("before saving: %g %v; after loading: %g %v (%v)", d1, sim1, d2, sim2, err)
	}
}
