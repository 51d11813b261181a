package siamese

import (
	"fmt"
	"image"

	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/verify"
)

// Model is a trained network with its distance threshold. Its methods may
// be called from several goroutines at once.
type Model struct {
	m *model.Model
}

// Load reads a model file written by Save or by `siamese train`.
func Load(path string) (*Model, error) {
	m, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	return &Model{m: m}, nil
}

// Save writes the model to path (a .safetensors file that the CLI reads
// too). The file is replaced atomically: a failed Save leaves any old file
// whole.
func (m *Model) Save(path string) error {
	return model.Save(path, m.m)
}

// Threshold is the distance below which Compare calls two images similar:
// the one that best separated the validation pairs in training.
func (m *Model) Threshold() float64 { return m.m.Meta.Threshold }

// Embed maps an image to its embedding, the point whose distance to other
// images' embeddings the model learnt. The image is resized and converted
// to gray or RGB exactly as the training images were.
func (m *Model) Embed(img image.Image) ([]float32, error) {
	e, err := verify.EmbedImages(m.m, []image.Image{img})
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	return e[0], nil
}

// EmbedAll embeds several images at once, as Embed does each: the
// network runs on batches of them, which is several times faster than
// one Embed a picture.
func (m *Model) EmbedAll(imgs []image.Image) ([][]float32, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	e, err := verify.EmbedImages(m.m, imgs)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	return e, nil
}

// Compare returns the distance between the embeddings of a and b and
// whether it is below the model's Threshold, that is whether the model
// takes them for the same class.
func (m *Model) Compare(a, b image.Image) (distance float64, similar bool, err error) {
	e, err := verify.EmbedImages(m.m, []image.Image{a, b})
	if err != nil {
		return 0, false, fmt.Errorf("compare: %w", err)
	}
	d := Distance(e[0], e[1])
	return d, d < m.Threshold(), nil
}

// Distance is the distance between two embeddings as the model measures it
// in training and in Compare: Euclidean, smoothed by a tiny constant that
// keeps its gradient finite at zero. It panics if len(a) != len(b).
func Distance(a, b []float32) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("siamese.Distance: embeddings of %d and %d values", len(a), len(b)))
	}
	return network.PairDistance(a, b)
}
