package verify

import (
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/model"
)

// embedFiles returns the embeddings of the image files at paths, one
// vector per path, nil for an image skipped by onBad (see
// dataset.LoadFiles); a nil onBad makes a bad image an error.
func embedFiles(m *model.Model, paths []string, maxPixels int, onBad func(err error) error) ([][]float32, error) {
	var badFile func(path string, err error) error
	if onBad != nil {
		badFile = func(_ string, err error) error { return onBad(err) }
	}
	data, bad, err := dataset.LoadFiles(paths, loaderFor(m, maxPixels), 0, badFile)
	if err != nil {
		return nil, err
	}
	// Only the readable images go through the network.
	per := loaderFor(m, maxPixels).Len()
	good := data[:0]
	n := 0
	for i := range paths {
		if !bad[i] {
			good = append(good, data[i*per:(i+1)*per]...)
			n++
		}
	}
	emb, err := embed(m.Net, good, n)
	if err != nil {
		return nil, err
	}
	dim := len(emb) / max(n, 1)
	out := make([][]float32, len(paths))
	j := 0
	for i := range paths {
		if !bad[i] {
			out[i] = emb[j*dim : (j+1)*dim : (j+1)*dim]
			j++
		}
	}
	return out, nil
}
