package verify

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/siamese-dev/siamese/internal/model"
)

// SearchOptions configures Search.
type SearchOptions struct {
	Model     string
	Query     string // one image
	Gallery   string // folder of images, class sub-folders optional
	K         int
	Threshold float64 // NaN: the model's
	MaxPixels int
	Strict    bool
	// Exact compares the query with every gallery image, however large the
	// gallery; the index is then neither built nor read.
	Exact bool
	// IndexAbove is the gallery size above which the HNSW index is used;
	// 0: ann.MinANN (20,000).
	IndexAbove int
	// EfSearch is the index's query-time candidate list; 0: the default.
	EfSearch int
	Warn     func(msg string)
	// Progress is where bars count the gallery images embedded (those
	// the cache lacks) and indexed: a terminal, or nil for none.
	Progress io.Writer
}

// Neighbour is a gallery image near the query.
type Neighbour struct {
	Path     string  `json:"path"`
	Class    string  `json:"class"`
	Distance float64 `json:"distance"`
	Similar  bool    `json:"similar"`
	// IsQuery marks the query's own file, when the gallery holds it: its
	// distance is the smallest there is, and says nothing.
	IsQuery bool `json:"is_query,omitempty"`
}

// SearchResult lists the nearest gallery images, nearest first.
type SearchResult struct {
	Query     string  `json:"query"`
	Gallery   string  `json:"gallery"`
	Threshold float64 `json:"threshold"`
	Images    int     `json:"gallery_images"`
	Embedded  int     `json:"embedded"`
	Cached    int     `json:"cached"`
	Skipped   int     `json:"skipped_files"`
	Cache     string  `json:"cache"`
	// Exact is true when every gallery image was compared with the query.
	Exact bool `json:"exact"`
	// Index is the HNSW index file used, "" for an exact search.
	Index string `json:"index,omitempty"`
	// Method says how the neighbours were found (full scan, or the index
	// and whether it was built, loaded or extended).
	Method     string      `json:"method"`
	Neighbours []Neighbour `json:"neighbours"`
}

// Search finds the K gallery images nearest the query, using and updating
// the gallery's embedding cache (see package embedding) and, for a gallery
// of more than IndexAbove images, the HNSW index kept beside the cache
// (see package ann).
func Search(o SearchOptions) (*SearchResult, error) {
	if o.K < 1 {
		return nil, fmt.Errorf("-k must be at least 1, got %d", o.K)
	}
	if o.IndexAbove < 0 || o.EfSearch < 0 {
		return nil, fmt.Errorf("--index-above and --ef-search must not be negative, got %d and %d", o.IndexAbove, o.EfSearch)
	}
	query, _ := os.Stat(o.Query)
	if query != nil && query.IsDir() {
		return nil, fmt.Errorf("query %s is a folder; give one image", o.Query)
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	thr := m.Meta.Threshold
	if !math.IsNaN(o.Threshold) {
		thr = o.Threshold
	}
	q, err := EmbedFiles(m, []string{o.Query}, o.MaxPixels, nil, nil)
	if err != nil {
		return nil, err
	}
	g, err := OpenGallery(m, GalleryOptions{Model: o.Model, Dir: o.Gallery, MaxPixels: o.MaxPixels, Strict: o.Strict,
		IndexAbove: o.IndexAbove, EfSearch: o.EfSearch, ScanOnly: o.Exact, Warn: o.Warn, Progress: o.Progress})
	if err != nil {
		return nil, galleryFlagError(o.Gallery, err)
	}
	s := g.Searcher
	res := &SearchResult{Query: o.Query, Gallery: o.Gallery, Threshold: thr, Cache: g.Cache, Index: g.Index, Skipped: g.Skipped,
		Images: len(g.Files), Embedded: g.Embedded, Cached: g.Cached, Exact: !s.UsesIndex(), Method: s.Summary()}
	hits, err := s.Nearest(q[0], o.K, o.Exact)
	if err != nil {
		return nil, err
	}
	res.Neighbours = make([]Neighbour, len(hits))
	same := newGalleryFiles(g.Files)
	for i, h := range hits {
		f := g.Files[h.Pos]
		res.Neighbours[i] = Neighbour{Path: f.Path, Class: f.Class, Distance: h.Distance, Similar: h.Distance < thr, IsQuery: same.is(h.Pos, query)}
	}
	return res, nil
}
