package ann

import (
	"bufio"
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// clustered draws n dim-wide vectors from a mixture of Gaussian clusters
// (centres N(0,1), spread sigma around them): the shape the embeddings of
// a gallery of many classes take. Draws of one seed extend each other, so
// clustered(n+m)[n:] are fresh queries from the same clusters.
func clustered(n, dim, clusters int, sigma float64, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float64, clusters)
	for c := range centres {
		centres[c] = make([]float64, dim)
		for j := range centres[c] {
			centres[c][j] = r.NormFloat64()
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[r.IntN(clusters)]
		out[i] = make([]float32, dim)
		for j := range out[i] {
			out[i][j] = float32(c[j] + sigma*r.NormFloat64())
		}
	}
	return out
}

func buildIndex(t testing.TB, vecs [][]float32, p Params, workers int) *Index {
	t.Helper()
	ix, err := NewIndex(len(vecs[0]), p)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Add(vecs, workers); err != nil {
		t.Fatal(err)
	}
	return ix
}

// indexRecall is the share of the exact k nearest (by a scan) that Search
// returns.
func indexRecall(t testing.TB, ix *Index, vecs, queries [][]float32, k int) float64 {
	t.Helper()
	found := 0
	for _, q := range queries {
		got, err := ix.Search(q, k)
		if err != nil {
			t.Fatal(err)
		}
		exact := positions(Scan(q, vecs, k))
		for _, r := range got {
			if slices.Contains(exact, r.ID) {
				found++
			}
		}
	}
	return float64(found) / float64(k*len(queries))
}

func TestIndexRecall(t *testing.T) {
	tests := []struct {
		name      string
		all       [][]float32 // the first n are indexed, the rest are queries
		n         int
		efSearch  int
		minRecall float64
	}{
		// 1,000 clusters of 10 images, spread as wide as the distance
		// between centres allows without merging them.
		{"clustered 10000x128", clustered(10200, 128, 1000, 1, 3), 10000, 64, 0.95},
		{"tight clusters 10000x32", clustered(10200, 32, 100, 0.3, 4), 10000, 64, 0.99},
		// Uniform vectors of 128 dimensions are the hard case: no structure
		// to exploit, and the graph needs a wide search.
		{"uniform 10000x128", randomVectors(10200, 128, 5), 10000, 128, 0.88},
		{"tiny 50x4", clustered(60, 4, 5, 0.5, 6), 50, 64, 0.99},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.EfSearch = tc.efSearch
			ix := buildIndex(t, tc.all[:tc.n], p, 2)
			r := indexRecall(t, ix, tc.all[:tc.n], tc.all[tc.n:], 10)
			t.Logf("recall@10 %.4f", r)
			if r < tc.minRecall {
				t.Errorf("recall@10 %.4f, want at least %.2f", r, tc.minRecall)
			}
		})
	}
}

// encoded is the file form of ix, to compare graphs byte for byte.
func encoded(t *testing.T, ix *Index, names []string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	if err := ix.encode(w, names); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return b.Bytes()
}

func TestIndexBuildIsDeterministic(t *testing.T) {
	vecs := clustered(3000, 16, 30, 0.5, 7)
	ref := encoded(t, buildIndex(t, vecs, DefaultParams(), 1), nil)
	tests := []struct {
		name    string
		workers int
		seed    uint64
		same    bool
	}{
		{"same seed, one worker again", 1, 1, true},
		{"same seed, two workers", 2, 1, true},
		{"same seed, five workers", 5, 1, true},
		{"another seed", 2, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.Seed = tc.seed
			got := encoded(t, buildIndex(t, vecs, p, tc.workers), nil)
			if bytes.Equal(got, ref) != tc.same {
				t.Errorf("graph identical to the reference: %v, want %v", !tc.same, tc.same)
			}
		})
	}
}

func TestIncrementalAddKeepsRecall(t *testing.T) {
	all := clustered(10200, 64, 1000, 1, 8)
	vecs, queries := all[:10000], all[10000:]
	fresh := indexRecall(t, buildIndex(t, vecs, DefaultParams(), 2), vecs, queries, 10)
	tests := []struct {
		name  string
		parts []int // sizes of successive Add calls
	}{
		{"half then half", []int{5000, 5000}},
		{"large gallery, then a few images at a time", append([]int{9000}, slices.Repeat([]int{1, 7, 92}, 10)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := NewIndex(64, DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			at := 0
			for _, n := range tc.parts {
				if err := ix.Add(vecs[at:at+n], 2); err != nil {
					t.Fatal(err)
				}
				at += n
			}
			if at != len(vecs) {
				t.Fatalf("test adds %d vectors, want %d", at, len(vecs))
			}
			r := indexRecall(t, ix, vecs, queries, 10)
			t.Logf("recall@10 %.4f incremental, %.4f fresh", r, fresh)
			if r < fresh-0.01 {
				t.Errorf("recall@10 %.4f after incremental adds, %.4f for a fresh build", r, fresh)
			}
		})
	}
}

func TestIndexSearchEdges(t *testing.T) {
	vecs := clustered(300, 8, 10, 0.5, 9)
	// Exact duplicates must not break the heuristic or the order.
	vecs = append(vecs, vecs[3], vecs[3], vecs[3])
	ix := buildIndex(t, vecs, DefaultParams(), 2)
	empty, err := NewIndex(8, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ix      *Index
		q       []float32
		k       int
		wantN   int
		wantIDs []int
		wantErr bool
	}{
		{"empty index", empty, vecs[0], 5, 0, nil, false},
		{"a gallery vector finds itself and its copies", ix, vecs[3], 4, 4, []int{3, 300, 301, 302}, false},
		{"k above the gallery size returns all", ix, vecs[0], 1000, len(vecs), nil, false},
		{"query of another width", ix, vecs[0][:4], 5, 0, nil, true},
		{"k of zero", ix, vecs[0], 0, 0, nil, true},
		{"NaN in the query", ix, []float32{1, 2, float32(math.NaN()), 4, 5, 6, 7, 8}, 5, 0, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.ix.Search(tc.q, tc.k)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if len(got) != tc.wantN {
				t.Fatalf("%d results, want %d", len(got), tc.wantN)
			}
			ids := make([]int, len(got))
			for i, r := range got {
				ids[i] = r.ID
				if i > 0 && got[i-1].D2 > r.D2 {
					t.Fatalf("results out of order at %d: %v", i, got)
				}
			}
			if tc.wantIDs != nil && !slices.Equal(ids, tc.wantIDs) {
				t.Errorf("ids %v, want %v", ids, tc.wantIDs)
			}
		})
	}
}

func TestAddRefusesBadVectors(t *testing.T) {
	tests := []struct {
		name string
		v    []float32
	}{
		{"another width", []float32{1, 2, 3}},
		{"NaN", []float32{1, float32(math.NaN()), 3, 4}},
		{"infinity", []float32{1, 2, float32(math.Inf(-1)), 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := NewIndex(4, DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Add([][]float32{{1, 2, 3, 4}, tc.v}, 1); err == nil || ix.Len() != 0 {
				t.Errorf("error %v, %d vectors added; want an error and none added", err, ix.Len())
			}
		})
	}
}

func TestNewIndexRefusesBadParams(t *testing.T) {
	tests := []struct {
		name string
		dim  int
		p    Params
	}{
		{"M of 1", 8, Params{M: 1, EfConstruction: 100, EfSearch: 64}},
		{"M above 100", 8, Params{M: 101, EfConstruction: 100, EfSearch: 64}},
		{"no efConstruction", 8, Params{M: 16, EfSearch: 64}},
		{"no efSearch", 8, Params{M: 16, EfConstruction: 100}},
		{"no width", 0, DefaultParams()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewIndex(tc.dim, tc.p); err == nil {
				t.Error("accepted")
			}
		})
	}
}
