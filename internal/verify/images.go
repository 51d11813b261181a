package verify

import (
	"fmt"
	"image"

	"github.com/siamese-dev/siamese/internal/dataset"
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
	e, err := embedderFor(m.Net, len(imgs))
	if err != nil {
		return nil, err
	}
	// A chunk at a time, as embedImages: the float inputs of every image
	// at once would be 4 bytes a value for all of them.
	chunk := max(1, min(embedChunk, dataset.ChunkBytes/(4*per)))
	data := make([]float32, 0, min(chunk, len(imgs))*per)
	dim := e.Dim()
	out := make([][]float32, len(imgs))
	for lo := 0; lo < len(imgs); lo += chunk {
		hi := min(lo+chunk, len(imgs))
		data = data[:0]
		for i := lo; i < hi; i++ {
			x, err := l.Image(imgs[i])
			if err != nil {
				return nil, fmt.Errorf("image %d: %w", i, err)
			}
			data = append(data, x...)
		}
		emb, err := e.Embed(data, hi-lo)
		if err != nil {
			return nil, err
		}
		for j := range hi - lo { // emb is a new array each chunk
			out[lo+j] = emb[j*dim : (j+1)*dim : (j+1)*dim]
		}
	}
	return out, nil
}
