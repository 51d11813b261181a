package verify

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/siamese-dev/siamese/internal/ann"
	"github.com/siamese-dev/siamese/internal/embedding"
	"github.com/siamese-dev/siamese/internal/model"
)

// GalleryOptions says how OpenGallery reads a gallery folder.
type GalleryOptions struct {
	Model     string // the model file, whose hash names the cache and the index
	Dir       string // the gallery folder
	MaxPixels int
	Strict    bool // stop at an unreadable image instead of skipping it
	// IndexAbove, EfSearch and ScanOnly are ann.SearcherOptions' MinANN,
	// EfSearch and ScanOnly.
	IndexAbove int
	EfSearch   int
	ScanOnly   bool
	Warn       func(msg string) // nil: silent
	// Progress is where bars count the images embedded (those the cache
	// lacks) and indexed: a terminal, or nil for none.
	Progress io.Writer
}

// Gallery is a gallery folder embedded, through its cache, and ready to
// search.
type Gallery struct {
	*embedding.Gallery
	Searcher *ann.Searcher
	// Cache and Index are the files kept in the folder for this model;
	// Index is "" when the search does not go through the graph.
	Cache, Index string
	Skipped      int // unreadable images left out
}

// OpenGallery embeds the gallery images that its cache lacks and prepares
// the search (a graph for large galleries, see package ann). The cache and
// the index are named after the model, so `siamese search` and `siamese
// serve` reuse what the other built, and a retrained model never uses
// another model's.
func OpenGallery(m *model.Model, o GalleryOptions) (*Gallery, error) {
	hash, err := embedding.ModelHash(o.Model)
	if err != nil {
		return nil, err
	}
	warn := o.Warn
	if warn == nil {
		warn = func(string) {}
	}
	// The embedding's width, from the spec (as export takes it), not
	// from a network built to ask.
	shapes, _, err := m.Net.Spec.Plan()
	if err != nil {
		return nil, err
	}
	g := &Gallery{Cache: filepath.Join(o.Dir, embedding.CacheName(hash))}
	embed := func(paths []string) ([][]float32, error) {
		return EmbedFiles(m, paths, o.MaxPixels, Skipper(o.Strict, warn, &g.Skipped), o.Progress)
	}
	if g.Gallery, err = embedding.SyncGallery(o.Dir, g.Cache, shapes[len(shapes)-1].Len(), embed, warn); err != nil {
		return nil, err
	}
	index := filepath.Join(o.Dir, ann.IndexName(hash))
	g.Searcher, err = ann.NewSearcher(g.Keys, g.Vectors, ann.SearcherOptions{
		IndexPath: index, MinANN: o.IndexAbove, ScanOnly: o.ScanOnly, EfSearch: o.EfSearch, Warn: warn, Progress: o.Progress})
	if err != nil {
		return nil, err
	}
	if g.Searcher.UsesIndex() {
		g.Index = index
	}
	return g, nil
}

// galleryFlagError names --gallery in an error about the folder itself
// ("/x: no such file or directory" said nothing of which argument it was).
func galleryFlagError(dir string, err error) error {
	if _, serr := os.Stat(dir); serr != nil {
		return fmt.Errorf("--gallery %s: %w", dir, unwrapPathErr(serr))
	}
	return err
}

// galleryFiles tells whether a gallery image is a query's own file (under
// any of its names): each image is stat'ed at most once, however many
// queries ask.
type galleryFiles struct {
	files []embedding.File
	infos []os.FileInfo // nil until stat'ed, or when it cannot be
	done  []bool
}

func newGalleryFiles(files []embedding.File) *galleryFiles {
	return &galleryFiles{files: files, infos: make([]os.FileInfo, len(files)), done: make([]bool, len(files))}
}

// is reports whether gallery image pos is the file query describes; a
// nil query (a file that cannot be stat'ed) is none of them.
func (g *galleryFiles) is(pos int, query os.FileInfo) bool {
	if query == nil {
		return false
	}
	if !g.done[pos] {
		g.infos[pos], _ = os.Stat(g.files[pos].Path)
		g.done[pos] = true
	}
	return g.infos[pos] != nil && os.SameFile(g.infos[pos], query)
}
