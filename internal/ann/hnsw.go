package ann

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Params are the graph's parameters (see doc.go for what each one buys).
type Params struct {
	// M is the number of neighbours a node selects on each layer; nodes
	// keep up to M on upper layers and 2M on layer 0.
	M int
	// EfConstruction is the candidate list searched when a node is added.
	EfConstruction int
	// EfSearch is the candidate list of a query (at least k); it can be
	// changed between queries without rebuilding.
	EfSearch int
	// Seed draws the nodes' levels.
	Seed uint64
}

// DefaultParams are those search uses. On a million clustered 128-wide
// vectors efSearch 128 finds 97.9% of the true 10 nearest in 0.7 ms
// (median) where 64 finds 92.7% (docs/RESULTS.md, "Serving").
func DefaultParams() Params { return Params{M: 16, EfConstruction: 100, EfSearch: 128, Seed: 1} }

// maxM keeps a layer-0 list (2M ids) countable in one byte of the file.
const maxM = 100

// maxLevel bounds the level draw; with M=2, mL=1.44, a level of 32 needs
// a draw below e^-22, which a 53-bit uniform gives about once in 10^9.
const maxLevel = 32

func (p Params) check() error {
	switch {
	case p.M < 2 || p.M > maxM:
		return fmt.Errorf("ann: M must be from 2 to %d, got %d", maxM, p.M)
	case p.EfConstruction < 1:
		return fmt.Errorf("ann: efConstruction must be at least 1, got %d", p.EfConstruction)
	case p.EfSearch < 1:
		return fmt.Errorf("ann: efSearch must be at least 1, got %d", p.EfSearch)
	}
	return nil
}

// Index is an HNSW graph over float32 vectors, identified by their
// insertion order (0, 1, ...). Search is safe for concurrent use; Add is
// not safe concurrently with anything else.
type Index struct {
	p   Params
	dim int
	mL  float64

	vecs   []float32 // vector of id at [id·dim, (id+1)·dim)
	levels []uint8
	// links0 holds layer 0 flat, (2M+1) slots per node: the count, then
	// the ids. Flat because every query spends most of its time there.
	links0 []uint32
	// upper[id] holds layers 1..levels[id], (M+1) slots each, nil for the
	// ~1-1/M of nodes that live on layer 0 only.
	upper [][]uint32
	entry uint32 // a node of the top layer, when there are nodes
	top   int    // its level

	scratch sync.Pool // *scratch, so concurrent queries do not share marks
}

// NewIndex returns an empty index of dim-wide vectors.
func NewIndex(dim int, p Params) (*Index, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if dim < 1 || dim > math.MaxUint16 {
		return nil, fmt.Errorf("ann: vector width must be from 1 to %d, got %d", math.MaxUint16, dim)
	}
	return &Index{p: p, dim: dim, mL: 1 / math.Log(float64(p.M))}, nil
}

// Len is the number of vectors in the index.
func (ix *Index) Len() int { return len(ix.levels) }

// Dim is the width of the vectors.
func (ix *Index) Dim() int { return ix.dim }

// Params returns the index's parameters.
func (ix *Index) Params() Params { return ix.p }

// SetEfSearch changes the query-time candidate list.
func (ix *Index) SetEfSearch(ef int) error {
	if ef < 1 {
		return fmt.Errorf("ann: efSearch must be at least 1, got %d", ef)
	}
	ix.p.EfSearch = ef
	return nil
}

// Vector returns the stored vector of id (not a copy).
func (ix *Index) Vector(id int) []float32 { return ix.vecs[id*ix.dim : (id+1)*ix.dim : (id+1)*ix.dim] }

func (ix *Index) m0() int { return 2 * ix.p.M }

// list is the slot block of id on layer l: list[0] is the count.
func (ix *Index) list(id uint32, l int) []uint32 {
	if l == 0 {
		w := ix.m0() + 1
		return ix.links0[int(id)*w : (int(id)+1)*w]
	}
	w := ix.p.M + 1
	return ix.upper[id][(l-1)*w : l*w]
}

func (ix *Index) neighbours(id uint32, l int) []uint32 {
	s := ix.list(id, l)
	return s[1 : 1+s[0]]
}

func (ix *Index) setNeighbours(id uint32, l int, ns []uint32) {
	s := ix.list(id, l)
	s[0] = uint32(len(ns))
	copy(s[1:], ns)
}

// level draws the level of node id from a counter-based generator
// (splitmix64 of seed and id), so a node's level does not depend on the
// order or the batches in which nodes are added, nor on the worker count.
func (ix *Index) level(id int) int {
	z := ix.p.Seed + uint64(id+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	u := (float64(z>>11) + 1) / (1 << 53) // (0, 1]
	return min(int(-math.Log(u)*ix.mL), maxLevel)
}

// cand is a node and its squared distance to the vector at hand.
type cand struct {
	d  float32
	id uint32
}

// closer orders candidates by distance, ties by id so that every sort and
// heap gives the same answer whatever the order candidates arrived in.
func closer(a, b cand) bool { return a.d < b.d || (a.d == b.d && a.id < b.id) }

// cmpCand is closer as a sort order. Distances are never NaN (the
// vectors are checked finite when added), so no NaN case.
func cmpCand(a, b cand) int {
	switch {
	case closer(a, b):
		return -1
	case closer(b, a):
		return 1
	}
	return 0
}

// scratch is one search's working memory.
type scratch struct {
	mark  []uint32 // mark[id] == epoch: visited in this search
	epoch uint32
	near  []cand // min-heap: candidates still to expand
	far   []cand // max-heap: the ef best found
}

func (ix *Index) getScratch() *scratch {
	s, _ := ix.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if len(s.mark) < ix.Len() {
		s.mark = make([]uint32, ix.Len()+ix.Len()/4)
		s.epoch = 0
	}
	return s
}

// fresh starts a new walk: marks of earlier walks no longer count.
func (s *scratch) fresh() {
	s.epoch++
	if s.epoch == 0 { // wrapped: old marks could read as current
		clear(s.mark)
		s.epoch = 1
	}
}

// The two heaps of a search are written out for their orders rather than
// taking a comparison function: the calls are most of the search's time
// after the distances, and a function value is not inlined.

// pushNear adds c to the min-heap h (nearest at the root).
func pushNear(h []cand, c cand) []cand {
	h = append(h, c)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !closer(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

// popNear removes the root of the min-heap h.
func popNear(h []cand) (cand, []cand) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, w := 2*i+1, i
		if l < n && closer(h[l], h[w]) {
			w = l
		}
		if r := l + 1; r < n && closer(h[r], h[w]) {
			w = r
		}
		if w == i {
			break
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
	return top, h
}

// pushFar adds c to the max-heap h (farthest at the root).
func pushFar(h []cand, c cand) []cand {
	h = append(h, c)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !closer(h[p], h[i]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

// popFar removes the root of the max-heap h.
func popFar(h []cand) []cand {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, w := 2*i+1, i
		if l < n && closer(h[w], h[l]) {
			w = l
		}
		if r := l + 1; r < n && closer(h[w], h[r]) {
			w = r
		}
		if w == i {
			break
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
	return h
}

// searchLayer is algorithm 2 of the paper: a best-first walk of layer l
// from eps that keeps the ef nearest nodes found and stops when the
// nearest unexpanded candidate is farther than the ef-th best. It returns
// them nearest first, in a slice of its own.
func (ix *Index) searchLayer(q []float32, eps []cand, ef, l int, s *scratch) []cand {
	s.fresh()
	s.near, s.far = s.near[:0], s.far[:0]
	for _, e := range eps {
		if s.mark[e.id] == s.epoch {
			continue
		}
		s.mark[e.id] = s.epoch
		s.near = pushNear(s.near, e)
		s.far = pushFar(s.far, e)
	}
	for len(s.far) > ef {
		s.far = popFar(s.far)
	}
	for len(s.near) > 0 {
		var c cand
		c, s.near = popNear(s.near)
		if len(s.far) >= ef && c.d > s.far[0].d {
			break
		}
		for _, n := range ix.neighbours(c.id, l) {
			if s.mark[n] == s.epoch {
				continue
			}
			s.mark[n] = s.epoch
			d := l2sq(q, ix.Vector(int(n)))
			if len(s.far) < ef || d < s.far[0].d {
				nc := cand{d, n}
				s.near = pushNear(s.near, nc)
				s.far = pushFar(s.far, nc)
				if len(s.far) > ef {
					s.far = popFar(s.far)
				}
			}
		}
	}
	out := slices.Clone(s.far)
	slices.SortFunc(out, cmpCand)
	return out
}

// greedy walks layer l from ep to a local minimum (searchLayer with ef=1,
// without the heaps).
func (ix *Index) greedy(q []float32, ep cand, l int) cand {
	for changed := true; changed; {
		changed = false
		for _, n := range ix.neighbours(ep.id, l) {
			if d := l2sq(q, ix.Vector(int(n))); d < ep.d || (d == ep.d && n < ep.id) {
				ep, changed = cand{d, n}, true
			}
		}
	}
	return ep
}

// Result is a vector found by Search: its id and squared distance.
type Result struct {
	ID int
	D2 float32
}

// Search returns about the k vectors nearest q, nearest first (ties by
// id), exploring max(EfSearch, k) candidates on layer 0.
func (ix *Index) Search(q []float32, k int) ([]Result, error) {
	if len(q) != ix.dim {
		return nil, fmt.Errorf("ann: query has %d values, the index's vectors %d", len(q), ix.dim)
	}
	if k < 1 {
		return nil, fmt.Errorf("ann: k must be at least 1, got %d", k)
	}
	for _, x := range q {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("ann: query has a value of %v", x)
		}
	}
	if ix.Len() == 0 {
		return nil, nil
	}
	s := ix.getScratch()
	defer ix.scratch.Put(s)
	ep := cand{l2sq(q, ix.Vector(int(ix.entry))), ix.entry}
	for l := ix.top; l > 0; l-- {
		ep = ix.greedy(q, ep, l)
	}
	found := ix.searchLayer(q, []cand{ep}, max(ix.p.EfSearch, k), 0, s)
	out := make([]Result, min(k, len(found)))
	for i := range out {
		out[i] = Result{ID: int(found[i].id), D2: found[i].d}
	}
	return out, nil
}

// selectNeighbours is algorithm 4 of the paper without its options: of the
// candidates, nearest first, it keeps one only if it is closer to the base
// than to every neighbour kept so far, up to m. A candidate closer to a
// kept neighbour is reached through it; skipping it leaves room for links
// in other directions, which is what keeps clusters connected to each
// other. cs must be sorted nearest first; the result reuses its memory.
func (ix *Index) selectNeighbours(cs []cand, m int) []cand {
	if len(cs) <= m {
		return cs
	}
	kept := make([]cand, 0, m)
	for _, c := range cs {
		if len(kept) == m {
			break
		}
		vc := ix.Vector(int(c.id))
		good := true
		for _, r := range kept {
			if l2sq(vc, ix.Vector(int(r.id))) < c.d {
				good = false
				break
			}
		}
		if good {
			kept = append(kept, c)
		}
	}
	return kept
}

// batchSize is how many nodes Add inserts against one frozen graph. The
// batch's nodes do not find each other through the graph; they are
// compared with each other directly, which costs batchSize/2 distances a
// node, so the batch is kept small next to efConstruction·M.
const batchSize = 128

// Add inserts vecs (each Dim() wide) with the next ids, using up to
// workers goroutines (0: GOMAXPROCS). The graph depends on the vectors,
// the parameters and how they were split into Add calls, never on the
// worker count or the scheduler (see doc.go, "Building in parallel").
func (ix *Index) Add(vecs [][]float32, workers int) error {
	for i, v := range vecs {
		if len(v) != ix.dim {
			return fmt.Errorf("ann: vector %d has %d values, the index's %d", i, len(v), ix.dim)
		}
		// A NaN distance compares false with everything and would leave
		// the heaps and the neighbour heuristic in no defined order.
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("ann: vector %d has a value of %v", i, x)
			}
		}
	}
	if uint64(ix.Len())+uint64(len(vecs)) > math.MaxUint32 {
		return fmt.Errorf("ann: more than %d vectors", uint32(math.MaxUint32))
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	ix.vecs = slices.Grow(ix.vecs, len(vecs)*ix.dim)
	ix.levels = slices.Grow(ix.levels, len(vecs))
	ix.links0 = slices.Grow(ix.links0, len(vecs)*(ix.m0()+1))
	ix.upper = slices.Grow(ix.upper, len(vecs))
	for start := 0; start < len(vecs); start += batchSize {
		ix.addBatch(vecs[start:min(start+batchSize, len(vecs))], workers)
	}
	return nil
}

// addBatch inserts one batch in three phases (doc.go).
func (ix *Index) addBatch(vecs [][]float32, workers int) {
	first := ix.Len()
	oldTop, oldEntry, hadNodes := ix.top, ix.entry, first > 0
	for i, v := range vecs {
		id := first + i
		ix.vecs = append(ix.vecs, v...)
		lv := ix.level(id)
		ix.levels = append(ix.levels, uint8(lv))
		ix.links0 = append(ix.links0, make([]uint32, ix.m0()+1)...)
		var up []uint32
		if lv > 0 {
			up = make([]uint32, lv*(ix.p.M+1))
		}
		ix.upper = append(ix.upper, up)
	}
	n := len(vecs)
	// sel[i][l]: the neighbours node first+i selects on layer l.
	sel := make([][][]cand, n)
	// Phases 1 and 2 read the graph as it was before the batch and the
	// batch's vectors; each node's result goes to its own slot.
	parallel(n, workers, func(i int) {
		id := uint32(first + i)
		q := ix.Vector(int(id))
		lv := int(ix.levels[id])
		perLayer := make([][]cand, lv+1)
		if hadNodes {
			s := ix.getScratch()
			ep := []cand{{l2sq(q, ix.Vector(int(oldEntry))), oldEntry}}
			for l := oldTop; l > lv; l-- {
				ep[0] = ix.greedy(q, ep[0], l)
			}
			for l := min(lv, oldTop); l >= 0; l-- {
				w := ix.searchLayer(q, ep, ix.p.EfConstruction, l, s)
				perLayer[l] = w
				ep = w
			}
			ix.scratch.Put(s)
		}
		// Earlier nodes of the batch are candidates too: the graph does
		// not hold them yet.
		for j := first; j < int(id); j++ {
			d := l2sq(q, ix.Vector(j))
			for l := 0; l <= min(lv, int(ix.levels[j])); l++ {
				perLayer[l] = append(perLayer[l], cand{d, uint32(j)})
			}
		}
		for l := range perLayer {
			slices.SortFunc(perLayer[l], cmpCand)
			perLayer[l] = ix.selectNeighbours(perLayer[l], ix.p.M)
		}
		sel[i] = perLayer
	})
	// Phase 3a, in order: write each node's own lists and gather the
	// reverse links per (node, layer), in the order of the batch.
	type key struct {
		id uint32
		l  int
	}
	rev := map[key][]uint32{}
	var keys []key
	for i, perLayer := range sel {
		id := uint32(first + i)
		for l, cs := range perLayer {
			ids := make([]uint32, len(cs))
			for j, c := range cs {
				ids[j] = c.id
				k := key{c.id, l}
				if _, ok := rev[k]; !ok {
					keys = append(keys, k)
				}
				rev[k] = append(rev[k], id)
			}
			ix.setNeighbours(id, l, ids)
		}
	}
	// Phase 3b: each (node, layer) list takes its new links; one that
	// overflows is cut back to its capacity by the same heuristic. Lists
	// are independent, so they are done in parallel.
	parallel(len(keys), workers, func(j int) {
		k := keys[j]
		capacity := ix.p.M
		if k.l == 0 {
			capacity = ix.m0()
		}
		old := ix.neighbours(k.id, k.l)
		add := rev[k]
		if len(old)+len(add) <= capacity {
			ix.setNeighbours(k.id, k.l, append(slices.Clone(old), add...))
			return
		}
		base := ix.Vector(int(k.id))
		cs := make([]cand, 0, len(old)+len(add))
		for _, list := range [][]uint32{old, add} {
			for _, n := range list {
				cs = append(cs, cand{l2sq(base, ix.Vector(int(n))), n})
			}
		}
		slices.SortFunc(cs, cmpCand)
		cs = ix.selectNeighbours(cs, capacity)
		ids := make([]uint32, len(cs))
		for i, c := range cs {
			ids[i] = c.id
		}
		ix.setNeighbours(k.id, k.l, ids)
	})
	for i := range n {
		id := first + i
		if lv := int(ix.levels[id]); lv > ix.top || (!hadNodes && i == 0) {
			ix.entry, ix.top = uint32(id), lv
		}
	}
}

// parallel calls f(0..n-1) on up to workers goroutines.
func parallel(n, workers int, f func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
