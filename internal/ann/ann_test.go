package ann

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func randomVectors(n, dim int, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 0))
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, dim)
		for j := range out[i] {
			out[i][j] = float32(r.NormFloat64())
		}
	}
	return out
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c/%05d.png", i)
	}
	return out
}

// bruteForce ranks every vector, the reference for Scan and the graph.
func bruteForce(q []float32, vecs [][]float32, k int) []int {
	idx := make([]int, len(vecs))
	d := make([]float32, len(vecs))
	for i, v := range vecs {
		idx[i] = i
		for j := range q {
			x := q[j] - v[j]
			d[i] += x * x
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case d[a] < d[b]:
			return -1
		case d[a] > d[b]:
			return 1
		}
		return 0
	})
	return idx[:min(k, len(idx))]
}

func positions(hits []Hit) []int {
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = h.Pos
	}
	return out
}

func TestScanMatchesBruteForce(t *testing.T) {
	vecs := randomVectors(500, 8, 1)
	// Duplicates check that ties go to the earlier position.
	vecs = append(vecs, vecs[3], vecs[3])
	for _, k := range []int{1, 5, 10, 600} {
		for qi, q := range randomVectors(5, 8, 2) {
			if qi == 0 {
				q = vecs[3]
			}
			got, want := positions(Scan(q, vecs, k)), bruteForce(q, vecs, k)
			if !slices.Equal(got, want) {
				t.Fatalf("k=%d query %d: scan %v, brute force %v", k, qi, got, want)
			}
		}
	}
}

// recall is the share of the exact k nearest that the searcher finds.
func recall(t testing.TB, s *Searcher, queries [][]float32, k int) float64 {
	t.Helper()
	found := 0
	for _, q := range queries {
		approx, err := s.Nearest(q, k, false)
		if err != nil {
			t.Fatal(err)
		}
		exact := positions(Scan(q, s.vecs, k))
		for _, h := range approx {
			if slices.Contains(exact, h.Pos) {
				found++
			}
		}
	}
	return float64(found) / float64(k*len(queries))
}

func TestSearcherUsesGraphAboveThreshold(t *testing.T) {
	all := clustered(10100, 32, 500, 1, 12)
	vecs, queries := all[:10000], all[10000:]
	tests := []struct {
		name     string
		o        SearcherOptions
		useGraph bool
	}{
		{"gallery at the threshold scans", SearcherOptions{MinANN: 10000}, false},
		{"gallery above the threshold uses the graph", SearcherOptions{MinANN: 9999}, true},
		{"scan only never builds the graph", SearcherOptions{MinANN: 10, ScanOnly: true}, false},
		{"default threshold of 20,000 scans", SearcherOptions{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSearcher(names(len(vecs)), vecs, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if s.UsesIndex() != tc.useGraph {
				t.Fatalf("UsesIndex = %v, want %v (%s)", s.UsesIndex(), tc.useGraph, s.Summary())
			}
			// Exact and approximate answers agree on almost all neighbours;
			// with exact=true they are the scan's to the last tie.
			if r := recall(t, s, queries, 10); r < 0.95 {
				t.Errorf("recall@10 %.4f, want at least 0.95", r)
			}
			for _, q := range queries[:10] {
				got, err := s.Nearest(q, 10, true)
				if err != nil {
					t.Fatal(err)
				}
				if want := Scan(q, vecs, 10); !slices.Equal(got, want) {
					t.Fatalf("exact search %v, scan %v", got, want)
				}
			}
		})
	}
}

func TestSearcherKeepsIndexFileInStep(t *testing.T) {
	const dim = 16
	all := clustered(3000, dim, 60, 0.5, 13)
	ns := names(len(all))
	type step struct {
		name      string
		names     []string
		vecs      [][]float32
		rewritten bool
		summary   string
		warning   string
	}
	changed := slices.Clone(all[:2000])
	changed[5] = all[2999]
	steps := []step{
		{"first search builds", ns[:2000], all[:2000], true, "built (2000 vectors)", ""},
		{"same gallery loads", ns[:2000], all[:2000], false, "loaded", ""},
		{"new images are added", ns[:2500], all[:2500], true, "2500-2000", ""},
		{"removed images rebuild", ns[100:2500], all[100:2500], true, "built (2400 vectors)", "100 images removed or changed"},
		{"a changed image rebuilds", ns[:2000], changed, true, "built (2000 vectors)", "images removed or changed"},
	}
	path := filepath.Join(t.TempDir(), IndexName("abc"))
	var last time.Time
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var warned []string
			s, err := NewSearcher(st.names, st.vecs, SearcherOptions{IndexPath: path, MinANN: 100,
				Warn: func(m string) { warned = append(warned, m) }})
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if rewritten := !fi.ModTime().Equal(last); rewritten != st.rewritten {
				t.Errorf("index file rewritten: %v, want %v", rewritten, st.rewritten)
			}
			last = fi.ModTime()
			want := st.summary
			if want == "2500-2000" {
				want = "loaded, 500 vectors added"
			}
			if !strings.Contains(s.Summary(), want) {
				t.Errorf("summary %q, want it to contain %q", s.Summary(), want)
			}
			if st.warning == "" && len(warned) > 0 || st.warning != "" && (len(warned) != 1 || !strings.Contains(warned[0], st.warning)) {
				t.Errorf("warnings %q, want %q", warned, st.warning)
			}
			ix, stored, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(slices.Sorted(slices.Values(stored)), slices.Sorted(slices.Values(st.names))) {
				t.Fatal("the saved index does not hold the gallery's images")
			}
			for i, n := range st.names {
				id := slices.Index(stored, n)
				if !slices.Equal(ix.Vector(id), st.vecs[i]) {
					t.Fatalf("saved vector of %s is stale", n)
				}
			}
			// Every gallery vector is its own nearest neighbour.
			for i := 0; i < len(st.vecs); i += 97 {
				got, err := s.Nearest(st.vecs[i], 1, false)
				if err != nil {
					t.Fatal(err)
				}
				if got[0].Pos != i {
					t.Fatalf("gallery vector %d: nearest found is %d", i, got[0].Pos)
				}
			}
		})
		time.Sleep(10 * time.Millisecond) // a rewrite changes the modification time
	}
}

func TestSearcherRebuildsUnreadableIndex(t *testing.T) {
	vecs := clustered(400, 8, 10, 0.5, 14)
	ns := names(len(vecs))
	tests := []struct {
		name string
		data []byte
		o    SearcherOptions
		want string
	}{
		{"not an index", []byte("hello, this is not an index"), SearcherOptions{MinANN: 10}, "not an index"},
		{"other parameters", nil, SearcherOptions{MinANN: 10, Params: Params{M: 8, EfConstruction: 40, EfSearch: 40, Seed: 1}}, "built with M=16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ix.bin")
			if tc.data != nil {
				if err := os.WriteFile(path, tc.data, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if _, err := NewSearcher(ns, vecs, SearcherOptions{IndexPath: path, MinANN: 10}); err != nil {
				t.Fatal(err)
			}
			var warned string
			tc.o.IndexPath = path
			tc.o.Warn = func(m string) { warned = m }
			s, err := NewSearcher(ns, vecs, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(warned, tc.want) || !strings.Contains(warned, "building it again") {
				t.Errorf("warning %q, want one containing %q that says the index is rebuilt", warned, tc.want)
			}
			if got, _ := s.Nearest(vecs[5], 1, false); got[0].Pos != 5 {
				t.Errorf("rebuilt index found %d for gallery vector 5", got[0].Pos)
			}
			if _, _, err := ReadFile(path); err != nil {
				t.Errorf("the rebuilt index was not saved: %v", err)
			}
		})
	}
}

// TestSearcherConcurrentQueries runs queries from several goroutines, as
// serve does: each must get what it gets alone (run with -race to check
// the scratch memory is not shared).
func TestSearcherConcurrentQueries(t *testing.T) {
	all := clustered(2100, 16, 40, 0.5, 15)
	vecs, queries := all[:2000], all[2000:]
	s, err := NewSearcher(names(len(vecs)), vecs, SearcherOptions{MinANN: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]Hit, len(queries))
	for i, q := range queries {
		if want[i], err = s.Nearest(q, 10, false); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range queries {
				j := (i + 25*g) % len(queries)
				got, err := s.Nearest(queries[j], 10, false)
				if err == nil && !slices.Equal(got, want[j]) {
					err = fmt.Errorf("query %d: %v alone, %v concurrently", j, want[j], got)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestSearcherBuildsInChunks: NewSearcher adds a large gallery a few
// batches at a time, so that its bar moves; the graph is still the one a
// single Add builds, and the bar counts the vectors when asked for.
func TestSearcherBuildsInChunks(t *testing.T) {
	vecs := clustered(2*16*batchSize+300, 16, 40, 0.5, 3) // two whole chunks and a part
	ref := encoded(t, buildIndex(t, vecs, DefaultParams(), 2), names(len(vecs)))
	for _, withBar := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "index")
		var bar bytes.Buffer
		o := SearcherOptions{IndexPath: path, MinANN: 10, Workers: 2}
		if withBar {
			o.Progress = &bar
		}
		if _, err := NewSearcher(names(len(vecs)), vecs, o); err != nil {
			t.Fatal(err)
		}
		ix, stored, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := encoded(t, ix, stored); !bytes.Equal(got, ref) {
			t.Errorf("bar %t: the graph differs from one Add's", withBar)
		}
		if withBar != strings.Contains(bar.String(), "indexing") {
			t.Errorf("bar %t: drew %q", withBar, bar.String())
		}
	}
}
