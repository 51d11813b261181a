package verify

import (
	"io"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/progress"
)

// embedChunk is the most images embedded at a time (EmbedFiles decodes
// that many, embedImages unpacks that many), whatever dataset.ChunkBytes
// allows (21,000 at 28 px), so that a bar moves: a whole chunk of 28 px
// images sat at 100% while the network ran on it. The embedder batches
// 128 anyway.
const embedChunk = 1024

// EmbedFiles returns m's embeddings of the image files at paths, one
// vector per path, nil for an image skipped by onBad (see
// dataset.LoadFiles); a nil onBad makes a bad image an error. Images are
// decoded and embedded a bounded chunk at a time (dataset.EachChunk). A
// bar counts the images decoded on progressTo, if not nil (a terminal).
func EmbedFiles(m *model.Model, paths []string, maxPixels int, onBad func(err error) error, progressTo io.Writer) ([][]float32, error) {
	l := loaderFor(m, maxPixels)
	per := l.Len()
	e, err := embedderFor(m.Net, len(paths))
	if err != nil {
		return nil, err
	}
	// Made once the network is built (0.1 s or more), so that its rate
	// counts the images alone.
	bar := progress.New(progressTo, len(paths), "embedding", "images")
	defer bar.Finish()
	var badFile func(path string, err error) error
	if onBad != nil {
		badFile = progress.ClearBefore(bar, func(_ string, err error) error { return onBad(err) })
	}
	out := make([][]float32, len(paths))
	err = dataset.EachChunk(paths, l, min(dataset.ChunkBytes, embedChunk*4*per), badFile, bar.Func(), func(lo int, data []float32, bad []bool) error {
		// Only the readable images go through the network.
		good := data[:0]
		n := 0
		for i, b := range bad {
			if !b {
				good = append(good, data[i*per:(i+1)*per]...)
				n++
			}
		}
		if n == 0 {
			return nil
		}
		emb, err := e.Embed(good, n)
		if err != nil {
			return err
		}
		dim := len(emb) / n
		j := 0
		for i, b := range bad {
			if !b {
				out[lo+i] = emb[j*dim : (j+1)*dim : (j+1)*dim]
				j++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
