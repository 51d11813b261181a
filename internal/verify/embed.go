package verify

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/siamese-dev/siamese/internal/embedding"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
)

// EmbedOptions configures Embed.
type EmbedOptions struct {
	Model     string
	Paths     []string // images or folders
	MaxPixels int
	Strict    bool // stop at an unreadable image instead of skipping it
	Warn      func(msg string)
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
	files, err := embedding.Files(o.Paths)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	out := &Embeddings{}
	vecs, err := embedFiles(m, paths, o.MaxPixels, skipper(o.Strict, o.Warn, &out.Skipped))
	if err != nil {
		return nil, err
	}
	for i, v := range vecs {
		if v == nil {
			continue
		}
		out.Files = append(out.Files, files[i])
		out.Vectors = append(out.Vectors, v...)
		out.Dim = len(v)
	}
	if len(out.Files) == 0 {
		return nil, fmt.Errorf("no readable image in %v", o.Paths)
	}
	return out, nil
}

// skipper returns the onBad of loadFiles: an error when strict, otherwise a
// warning and a count.
func skipper(strict bool, warn func(string), count *int) func(error) error {
	return func(err error) error {
		if strict {
			return err
		}
		*count++
		if warn != nil {
			warn(fmt.Sprintf("skipping %v", err))
		}
		return nil
	}
}

// SearchOptions configures Search.
type SearchOptions struct {
	Model     string
	Query     string // one image
	Gallery   string // folder of images, class sub-folders optional
	K         int
	Threshold float64 // NaN: the model's
	MaxPixels int
	Strict    bool
	Warn      func(msg string)
}

// Neighbour is a gallery image near the query.
type Neighbour struct {
	Path     string  `json:"path"`
	Class    string  `json:"class"`
	Distance float64 `json:"distance"`
	Similar  bool    `json:"similar"`
}

// SearchResult lists the nearest gallery images, nearest first.
type SearchResult struct {
	Query      string      `json:"query"`
	Gallery    string      `json:"gallery"`
	Threshold  float64     `json:"threshold"`
	Images     int         `json:"gallery_images"`
	Embedded   int         `json:"embedded"`
	Cached     int         `json:"cached"`
	Skipped    int         `json:"skipped_files"`
	Cache      string      `json:"cache"`
	Neighbours []Neighbour `json:"neighbours"`
}

// Search finds the K gallery images nearest the query, using and updating
// the gallery's embedding cache (see package embedding).
func Search(o SearchOptions) (*SearchResult, error) {
	if o.K < 1 {
		return nil, fmt.Errorf("-k must be at least 1, got %d", o.K)
	}
	if st, err := os.Stat(o.Query); err == nil && st.IsDir() {
		return nil, fmt.Errorf("query %s is a folder; give one image", o.Query)
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	hash, err := fileHash(o.Model)
	if err != nil {
		return nil, err
	}
	thr := m.Meta.Threshold
	if !math.IsNaN(o.Threshold) {
		thr = o.Threshold
	}
	q, err := embedFiles(m, []string{o.Query}, o.MaxPixels, nil)
	if err != nil {
		return nil, err
	}
	warn := o.Warn
	if warn == nil {
		warn = func(string) {}
	}
	res := &SearchResult{Query: o.Query, Gallery: o.Gallery, Threshold: thr, Cache: filepath.Join(o.Gallery, embedding.CacheName(hash))}
	embed := func(paths []string) ([][]float32, error) {
		return embedFiles(m, paths, o.MaxPixels, skipper(o.Strict, warn, &res.Skipped))
	}
	g, err := embedding.SyncGallery(o.Gallery, res.Cache, len(q[0]), embed, warn)
	if err != nil {
		return nil, err
	}
	res.Images, res.Embedded, res.Cached = len(g.Files), g.Embedded, g.Cached
	all := make([]Neighbour, len(g.Files))
	for i, f := range g.Files {
		d := network.PairDistance(q[0], g.Vectors[i])
		all[i] = Neighbour{Path: f.Path, Class: f.Class, Distance: d, Similar: d < thr}
	}
	// Ties go to the path first in order, so results do not depend on
	// the sort's whims.
	slices.SortStableFunc(all, func(a, b Neighbour) int {
		switch {
		case a.Distance < b.Distance:
			return -1
		case a.Distance > b.Distance:
			return 1
		}
		return 0
	})
	res.Neighbours = all[:min(o.K, len(all))]
	return res, nil
}
