package ann

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/siamese-dev/siamese/internal/network"
)

// MinANN is the gallery size from which Searcher uses the graph: below it
// a scan takes about a millisecond and is exact.
const MinANN = 100_000

// Hit is a gallery vector near the query: its position in the gallery and
// the model's distance to it.
type Hit struct {
	Pos      int
	Distance float64
}

// Searcher answers nearest-neighbour queries over a fixed gallery. It is
// safe for concurrent use.
type Searcher struct {
	names []string
	vecs  [][]float32
	pos   map[string]int
}

// SearcherOptions configures NewSearcher.
type SearcherOptions struct {
	// IndexPath is the graph file kept next to the gallery cache; "" keeps
	// the graph in memory only.
	IndexPath string
	// MinANN overrides the package's MinANN when positive.
	MinANN int
	// Warn is told about an index file that had to be rebuilt or could not
	// be saved; neither changes results.
	Warn func(string)
}

// NewSearcher prepares queries over the vectors vecs of the gallery images
// names (unique, in the order ties should be broken). From MinANN vectors
// on it loads the graph at o.IndexPath, brings it up to date with the
// gallery and saves it when it changed.
func NewSearcher(names []string, vecs [][]float32, o SearcherOptions) (*Searcher, error) {
	if len(names) != len(vecs) {
		return nil, fmt.Errorf("ann: %d names for %d vectors", len(names), len(vecs))
	}
	warn := o.Warn
	if warn == nil {
		warn = func(string) {}
	}
	s := &Searcher{names: names, vecs: vecs, pos: make(map[string]int, len(names))}
	for i, n := range names {
		s.pos[n] = i
	}
	// The graph is not wired in yet: every query scans.
	_ = warn
	return s, nil
}

// Len is the number of gallery vectors.
func (s *Searcher) Len() int { return len(s.vecs) }

// UsesIndex reports whether queries go through the graph unless exact.
func (s *Searcher) UsesIndex() bool { return false }

// Nearest returns the k gallery vectors nearest q, nearest first, ties in
// gallery order. exact forces a scan.
func (s *Searcher) Nearest(q []float32, k int, exact bool) ([]Hit, error) {
	if k < 1 {
		return nil, fmt.Errorf("k must be at least 1, got %d", k)
	}
	if len(s.vecs) > 0 && len(q) != len(s.vecs[0]) {
		return nil, fmt.Errorf("query has %d values, the gallery's vectors %d", len(q), len(s.vecs[0]))
	}
	return Scan(q, s.vecs, k), nil
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
		var d2 float32
		for j, x := range q {
			d := x - v[j]
			d2 += d * d
		}
		c := cand{p, d2}
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
