package verify

import (
	"fmt"
	"image"

	"github.com/siamese-dev/siamese/internal/model"
)

// EmbedImages returns the embeddings of decoded images, one vector per
// image, converted as a file of the same pixels would be (dataset.Loader.Image).
// It builds its own inference graph, so concurrent calls on one model are
// safe: the weights are only read.
func EmbedImages(m *model.Model, imgs []image.Image) ([][]float32, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	l := loaderFor(m, 0)
	per := l.Len()
	data := make([]float32, 0, len(imgs)*per)
	for i, img := range imgs {
		x, err := l.Image(img)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
		data = append(data, x...)
	}
	emb, err := embed(m.Net, data, len(imgs))
	if err != nil {
		return nil, err
	}
	dim := len(emb) / len(imgs)
	out := make([][]float32, len(imgs))
	for i := range out {
		out[i] = emb[i*dim : (i+1)*dim : (i+1)*dim]
	}
	return out, nil
}
