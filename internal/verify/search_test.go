package verify

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/ann"
	"github.com/siamese-dev/siamese/internal/embedding"
)

// TestSearchThroughIndex runs searches over one gallery as it changes, with
// the index threshold lowered so that the small test gallery uses it: the
// index file must follow the gallery and its answers match the full scan.
func TestSearchThroughIndex(t *testing.T) {
	dir := t.TempDir()
	m := tinyModel(t, dir)
	data := copyDigits(t, dir)
	query := filepath.Join(data, "1", "00001.png")
	hash, err := embedding.ModelHash(m)
	if err != nil {
		t.Fatal(err)
	}
	indexPath := filepath.Join(data, ann.IndexName(hash))
	extra := filepath.Join(data, "3", "extra.png")
	steps := []struct {
		name    string
		before  func() error
		exact   bool
		method  string
		warning string
	}{
		{"exact search leaves the index alone", nil, true, "full scan", ""},
		{"first search builds the index", nil, false, "HNSW index built", ""},
		{"second search loads it", nil, false, "HNSW index loaded", ""},
		{"an added image extends it", func() error { return copyFile(query, extra) }, false, "1 vectors added", ""},
		{"a removed image rebuilds it", func() error { return os.Remove(extra) }, false, "HNSW index built", "1 images removed or changed"},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != nil {
				if err := st.before(); err != nil {
					t.Fatal(err)
				}
			}
			var warnings []string
			o := SearchOptions{Model: m, Query: query, Gallery: data, K: 5, Threshold: math.NaN(),
				Exact: st.exact, IndexAbove: 5, Warn: func(w string) { warnings = append(warnings, w) }}
			r, err := Search(o)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Method, st.method) || r.Exact != st.exact {
				t.Errorf("method %q, exact %v; want %q, %v", r.Method, r.Exact, st.method, st.exact)
			}
			if _, err := os.Stat(indexPath); (err == nil) != (i > 0) {
				t.Errorf("index file present: %v, want %v", err == nil, i > 0)
			}
			if st.exact != (r.Index == "") {
				t.Errorf("index %q reported for exact=%v", r.Index, st.exact)
			}
			if st.warning == "" && len(warnings) > 0 || st.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], st.warning)) {
				t.Errorf("warnings %q, want %q", warnings, st.warning)
			}
			// On a gallery this small the graph finds the true neighbours.
			o.Exact = true
			want, err := Search(o)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Neighbours, want.Neighbours) {
				t.Errorf("through the index %+v, full scan %+v", r.Neighbours, want.Neighbours)
			}
			if r.Neighbours[0].Path != query && r.Neighbours[0].Path != extra {
				t.Errorf("nearest is %s, want the query itself", r.Neighbours[0].Path)
			}
			// The query's own file is marked, and only it (extra is a
			// copy, another file).
			for _, n := range r.Neighbours {
				if n.IsQuery != (n.Path == query) {
					t.Errorf("%s marked as the query: %t", n.Path, n.IsQuery)
				}
			}
		})
	}
	if _, err := Search(SearchOptions{Model: m, Query: query, Gallery: data, K: 1, IndexAbove: -1}); err == nil {
		t.Error("a negative --index-above: no error")
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
