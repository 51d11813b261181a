package verify

import (
	"fmt"
	"io"

	"github.com/siamese-dev/siamese/internal/embedding"
	"github.com/siamese-dev/siamese/internal/model"
)

// EmbedOptions configures Embed.
type EmbedOptions struct {
	Model     string
	Paths     []string // images or folders
	MaxPixels int
	Strict    bool // stop at an unreadable image instead of skipping it
	Warn      func(msg string)
	// Progress is where a bar counts the images embedded: a terminal, or
	// nil for none.
	Progress io.Writer
}

// Embeddings are the tower's outputs for a list of images.
type Embeddings struct {
	Files   []embedding.File
	Dim     int
	Vectors []float32 // len(Files)×Dim, row i embeds Files[i]
	Skipped int
}

// Embed runs the tower on the images of o.Paths.
func Embed(o EmbedOptions) (*Embeddings, error) {
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	return embedPaths(m, o)
}

// embedPaths is Embed with the model loaded (o.Model is not read).
func embedPaths(m *model.Model, o EmbedOptions) (*Embeddings, error) {
	files, err := embedding.Files(o.Paths)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	out := &Embeddings{}
	vecs, err := EmbedFiles(m, paths, o.MaxPixels, Skipper(o.Strict, o.Warn, &out.Skipped), o.Progress)
	if err != nil {
		return nil, err
	}
	// One array of the right size from the start: appended to, it grew by
	// copies while every vector was still held, 895 MiB at 200,000 photos.
	n := 0
	for _, v := range vecs {
		if v != nil {
			n++
			out.Dim = len(v)
		}
	}
	out.Files = make([]embedding.File, 0, n)
	out.Vectors = make([]float32, 0, n*out.Dim)
	for i, v := range vecs {
		if v == nil {
			continue
		}
		out.Files = append(out.Files, files[i])
		out.Vectors = append(out.Vectors, v...)
		vecs[i] = nil
	}
	if len(out.Files) == 0 {
		return nil, fmt.Errorf("no readable image in %v", o.Paths)
	}
	return out, nil
}

// Skipper returns an onBad for EmbedFiles: an error when strict, otherwise
// a warning and a count (when count is not nil).
func Skipper(strict bool, warn func(string), count *int) func(error) error {
	return func(err error) error {
		if strict {
			return err
		}
		if count != nil {
			*count++
		}
		if warn != nil {
			warn(fmt.Sprintf("skipping %v", err))
		}
		return nil
	}
}
