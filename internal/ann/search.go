package ann

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/progress"
)

// MinANN is the gallery size above which Searcher answers through the
// graph: a scan of 20,000 vectors of 128 values takes about 0.5 ms on one
// core and is exact, so below it the graph saves little, while building
// it takes seconds.
const MinANN = 20_000

// Hit is a gallery vector near the query: its position in the gallery and
// the model's distance to it.
type Hit struct {
	Pos      int
	Distance float64
}

// Searcher answers nearest-neighbour queries over a fixed gallery. It is
// safe for concurrent use.
type Searcher struct {
	vecs    [][]float32
	index   *Index // nil: scan only
	posOf   []int  // gallery position of each index id
	summary string
}

// SearcherOptions configures NewSearcher.
type SearcherOptions struct {
	// IndexPath is the index file kept next to the gallery cache; "" keeps
	// the graph in memory only.
	IndexPath string
	// MinANN overrides the package's MinANN when positive.
	MinANN int
	// ScanOnly never uses, builds or reads the graph (--exact).
	ScanOnly bool
	// Params of a graph built now; zero: DefaultParams. A stored graph
	// built with another M, efConstruction or seed is rebuilt.
	Params Params
	// EfSearch overrides the query-time candidate list when positive.
	EfSearch int
	// Workers building the graph; 0: GOMAXPROCS.
	Workers int
	// Warn is told about an index file that had to be rebuilt or could not
	// be saved; neither changes results.
	Warn func(string)
	// Progress is where a bar counts the vectors added to the graph (a
	// terminal, or nil for none): 200,000 take two minutes.
	Progress io.Writer
}

// NewSearcher prepares queries over the vectors vecs of the gallery images
// names (unique, in the order ties should be broken). With more than
// MinANN vectors it loads the graph at o.IndexPath, brings it up to date
// with the gallery (new images are added to it; a removed or changed one
// means a new graph) and saves it when it changed.
func NewSearcher(names []string, vecs [][]float32, o SearcherOptions) (*Searcher, error) {
	if len(names) != len(vecs) {
		return nil, fmt.Errorf("ann: %d names for %d vectors", len(names), len(vecs))
	}
	s := &Searcher{vecs: vecs, summary: "full scan"}
	minANN := MinANN
	if o.MinANN > 0 {
		minANN = o.MinANN
	}
	if o.ScanOnly || len(vecs) <= minANN {
		return s, nil
	}
	warn := o.Warn
	if warn == nil {
		warn = func(string) {}
	}
	p := o.Params
	if p == (Params{}) {
		p = DefaultParams()
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	pos := make(map[string]int, len(names))
	for i, n := range names {
		pos[n] = i
	}
	ix, stored, why, err := loadMatching(o.IndexPath, pos, vecs, p)
	if err != nil {
		return nil, err
	}
	if why != "" {
		warn(why + "; building it again")
	}
	if ix == nil {
		if ix, err = NewIndex(len(vecs[0]), p); err != nil {
			return nil, err
		}
	}
	// Images the stored graph lacks go in, in gallery order.
	have := make(map[string]bool, len(stored))
	for _, n := range stored {
		have[n] = true
	}
	var newVecs [][]float32
	newNames := slices.Clone(stored)
	for i, n := range names {
		if !have[n] {
			newVecs = append(newVecs, vecs[i])
			newNames = append(newNames, n)
		}
	}
	if len(newVecs) > 0 {
		bar := progress.New(o.Progress, len(newVecs), "indexing", "images")
		// Added a whole number of batches at a time, so that the bar
		// moves: the graph is the one a single Add builds (see Add).
		const chunk = 16 * batchSize
		for lo := 0; lo < len(newVecs); lo += chunk {
			hi := min(len(newVecs), lo+chunk)
			if err := ix.Add(newVecs[lo:hi], o.Workers); err != nil {
				bar.Finish()
				return nil, err
			}
			bar.Set(hi)
		}
		bar.Finish()
		if o.IndexPath != "" {
			if err := WriteFile(o.IndexPath, ix, newNames); err != nil {
				warn(fmt.Sprintf("%v; the next search will build it again", err))
			}
		}
	}
	ef := p.EfSearch
	if o.EfSearch > 0 {
		ef = o.EfSearch
	}
	if err := ix.SetEfSearch(ef); err != nil {
		return nil, err
	}
	s.index = ix
	s.posOf = make([]int, len(newNames))
	for id, n := range newNames {
		s.posOf[id] = pos[n]
	}
	switch {
	case len(stored) == 0:
		s.summary = fmt.Sprintf("HNSW index built (%d vectors)", ix.Len())
	case len(newVecs) > 0:
		s.summary = fmt.Sprintf("HNSW index loaded, %d vectors added", len(newVecs))
	default:
		s.summary = "HNSW index loaded"
	}
	return s, nil
}

// loadMatching reads the index at path when it holds exactly a subset of
// the gallery (same names, same vectors; pos maps a gallery name to its
// position) built with p's construction parameters. It returns nil and
// the reason when the file is missing or has to be rebuilt; an error only
// for what a rebuild would not cure.
func loadMatching(path string, pos map[string]int, vecs [][]float32, p Params) (*Index, []string, string, error) {
	if path == "" {
		return nil, nil, "", nil
	}
	ix, stored, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, "", nil
	}
	if err != nil {
		return nil, nil, err.Error(), nil
	}
	sp := ix.Params()
	switch {
	case ix.Dim() != len(vecs[0]):
		return nil, nil, fmt.Sprintf("ann index %s: vectors of width %d, the model makes %d", path, ix.Dim(), len(vecs[0])), nil
	case sp.M != p.M || sp.EfConstruction != p.EfConstruction || sp.Seed != p.Seed:
		return nil, nil, fmt.Sprintf("ann index %s: built with M=%d efConstruction=%d seed=%d, want %d, %d, %d",
			path, sp.M, sp.EfConstruction, sp.Seed, p.M, p.EfConstruction, p.Seed), nil
	case len(stored) != ix.Len():
		return nil, nil, fmt.Sprintf("ann index %s: saved without image names", path), nil
	}
	gone := 0
	for id, n := range stored {
		i, ok := pos[n]
		if !ok || !slices.Equal(ix.Vector(id), vecs[i]) {
			gone++
		}
	}
	if gone > 0 {
		return nil, nil, fmt.Sprintf("ann index %s: %d images removed or changed since it was built", path, gone), nil
	}
	return ix, stored, "", nil
}

// Len is the number of gallery vectors.
func (s *Searcher) Len() int { return len(s.vecs) }

// UsesIndex reports whether queries go through the graph unless exact.
func (s *Searcher) UsesIndex() bool { return s.index != nil }

// Summary says how queries are answered, for the user: a full scan, or the
// graph and whether it was built, loaded or extended.
func (s *Searcher) Summary() string { return s.summary }

// Nearest returns the k gallery vectors nearest q, nearest first, ties in
// gallery order. exact forces a scan; otherwise a gallery with a graph
// returns what the graph finds, re-ranked by the model's distance.
func (s *Searcher) Nearest(q []float32, k int, exact bool) ([]Hit, error) {
	if k < 1 {
		return nil, fmt.Errorf("k must be at least 1, got %d", k)
	}
	if len(s.vecs) > 0 && len(q) != len(s.vecs[0]) {
		return nil, fmt.Errorf("query has %d values, the gallery's vectors %d", len(q), len(s.vecs[0]))
	}
	if s.index == nil || exact {
		return Scan(q, s.vecs, k), nil
	}
	found, err := s.index.Search(q, k)
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, len(found))
	for i, r := range found {
		p := s.posOf[r.ID]
		hits[i] = Hit{Pos: p, Distance: network.PairDistance(q, s.vecs[p])}
	}
	sortHits(hits)
	return hits, nil
}

// Scan returns the k vectors of vecs nearest q by a full scan, nearest
// first, ties in order. It keeps a bounded max-heap of squared distances,
// so a million vectors need no more than k entries of memory.
func Scan(q []float32, vecs [][]float32, k int) []Hit {
	type cand struct {
		pos int
		d2  float32
	}
	// worse orders the heap: the root is the candidate to drop first.
	worse := func(a, b cand) bool { return a.d2 > b.d2 || (a.d2 == b.d2 && a.pos > b.pos) }
	h := make([]cand, 0, k)
	down := func(i int) {
		for {
			l, w := 2*i+1, i
			if l < len(h) && worse(h[l], h[w]) {
				w = l
			}
			if r := l + 1; r < len(h) && worse(h[r], h[w]) {
				w = r
			}
			if w == i {
				return
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	for p, v := range vecs {
		c := cand{p, l2sq(q, v)}
		if len(h) < k {
			h = append(h, c)
			for i := len(h) - 1; i > 0; {
				parent := (i - 1) / 2
				if !worse(h[i], h[parent]) {
					break
				}
				h[i], h[parent] = h[parent], h[i]
				i = parent
			}
			continue
		}
		if worse(h[0], c) {
			h[0] = c
			down(0)
		}
	}
	hits := make([]Hit, len(h))
	for i, c := range h {
		hits[i] = Hit{Pos: c.pos, Distance: network.PairDistance(q, vecs[c.pos])}
	}
	sortHits(hits)
	return hits
}

func sortHits(hits []Hit) {
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
			return c
		}
		return cmp.Compare(a.Pos, b.Pos)
	})
}
