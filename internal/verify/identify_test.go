package verify

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIdentifyKnown identifies flat gray queries against a gallery under
// the mean-pixel model, whose distances are the gray levels' differences
// /255: the predictions and every share are worked out by hand.
func TestIdentifyKnown(t *testing.T) {
	dir := t.TempDir()
	m := meanModel(t, dir, 0.1) // 25.5 gray levels
	gallery := grayFolder(t, filepath.Join(dir, "g"), map[string][]uint8{"a": {20, 24}, "b": {120}, "c": {220}})
	queries := grayFolder(t, filepath.Join(dir, "q"), map[string][]uint8{
		"a": {25, 90},   // a/24 at 1; b at 30 (a only second, at 66)
		"b": {118},      // b at 2
		"d": {250, 215}, // not enrolled: c at 30 (rejected), c at 5 (taken for c)
	})
	share := func(v float64) *float64 { return &v }
	tests := []struct {
		name                            string
		queries                         []string
		enrolled, unenrolled            int
		rank1, topK, accepted, rejected *float64
		predicted                       []string
	}{
		{"labelled queries", []string{queries}, 3, 2, share(2.0 / 3), share(1), share(2.0 / 3), share(0.5),
			[]string{"a", "b", "b", "c", "c"}},
		// The gallery against itself, leave-one-out: without its query,
		// b's and c's only image, the gallery lacks their class, so they
		// count as not enrolled, and the threshold rejects both (b is 96
		// levels from a, c 100 from b); a's two images find each other.
		// Without leaving the query out every image would find itself.
		{"the gallery itself", []string{gallery}, 2, 2, share(1), share(1), share(1), share(1),
			[]string{"a", "a", "a", "b"}},
		{"one query file, no class", []string{filepath.Join(queries, "b", "0.png")}, 0, 0, nil, nil, nil, nil, []string{"b"}},
		// Named alone first and in its folder after, a query counts once,
		// with its class.
		{"a query named twice", []string{filepath.Join(queries, "b", "0.png"), queries}, 3, 2, share(2.0 / 3), share(1), share(2.0 / 3), share(0.5),
			[]string{"a", "b", "b", "c", "c"}},
	}
	same := func(a, b *float64) bool {
		return a == nil && b == nil || a != nil && b != nil && math.Abs(*a-*b) < 1e-12
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Identify(IdentifyOptions{Model: m, Queries: tt.queries, Gallery: gallery, K: 2, Threshold: math.NaN()})
			if err != nil {
				t.Fatal(err)
			}
			if r.GalleryClasses != 3 || r.GalleryImages != 4 || r.Enrolled != tt.enrolled || r.Unenrolled != tt.unenrolled {
				t.Errorf("gallery %d classes %d images, queries %d enrolled %d not; want 3, 4, %d, %d", r.GalleryClasses, r.GalleryImages, r.Enrolled, r.Unenrolled, tt.enrolled, tt.unenrolled)
			}
			if !same(r.Rank1, tt.rank1) || !same(r.TopK, tt.topK) || !same(r.Accepted, tt.accepted) || !same(r.Rejected, tt.rejected) {
				t.Errorf("rank-1 %v top-k %v accepted %v rejected %v", deref(r.Rank1), deref(r.TopK), deref(r.Accepted), deref(r.Rejected))
			}
			var got []string
			for _, id := range r.Results {
				got = append(got, id.Predicted)
			}
			if len(got) != len(tt.predicted) {
				t.Fatalf("predicted %v, want %v", got, tt.predicted)
			}
			for i := range got {
				if got[i] != tt.predicted[i] {
					t.Errorf("predicted %v, want %v", got, tt.predicted)
					break
				}
			}
		})
	}
	// The query linked into the gallery under a second name is still
	// itself: a/0 then has a/1 to find, at k = 1 too.
	linked := filepath.Join(dir, "linked")
	if err := os.CopyFS(linked, os.DirFS(gallery)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(linked, "a", "0.png"), filepath.Join(linked, "a", "same.png")); err != nil {
		t.Fatal(err)
	}
	r, err := Identify(IdentifyOptions{Model: m, Queries: []string{filepath.Join(linked, "a", "0.png")}, Gallery: linked, K: 1, Threshold: math.NaN()})
	if err != nil || r.Results[0].Nearest != filepath.Join(linked, "a", "1.png") {
		t.Errorf("query linked into the gallery: %+v, %v", r, err)
	}
	// A loose image in the gallery enrolls nothing and is not a match.
	loose := filepath.Join(dir, "withloose")
	if err := os.CopyFS(loose, os.DirFS(gallery)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(loose, "x.png"), readFile(t, filepath.Join(queries, "a", "0.png")), 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []string
	r, err = Identify(IdentifyOptions{Model: m, Queries: []string{filepath.Join(queries, "a", "0.png")}, Gallery: loose, K: 10, Threshold: math.NaN(),
		Warn: func(s string) { warned = append(warned, s) }})
	if err != nil || r.Results[0].Predicted != "a" || r.GalleryImages != 4 || r.K != 4 || len(warned) != 1 {
		t.Errorf("gallery with a loose image: %+v, %v, warnings %q", r, err, warned)
	}
	if _, err := Identify(IdentifyOptions{Model: m, Queries: []string{queries}, Gallery: gallery, K: 1, EfSearch: -1, Threshold: math.NaN()}); err == nil {
		t.Error("--ef-search -1: no error")
	}
	// A gallery that is not there is named by its flag.
	if _, err := Identify(IdentifyOptions{Model: m, Queries: []string{queries}, Gallery: filepath.Join(dir, "nope"), K: 1, Threshold: math.NaN()}); err == nil || !strings.HasPrefix(err.Error(), "--gallery "+filepath.Join(dir, "nope")+": ") {
		t.Errorf("missing gallery: %v", err)
	}
	// A gallery without class folders enrolls nothing.
	flat := grayFolder(t, filepath.Join(dir, "loose"), map[string][]uint8{"x": {1}})
	if _, err := Identify(IdentifyOptions{Model: m, Queries: []string{queries}, Gallery: filepath.Join(flat, "x"), K: 1, Threshold: math.NaN()}); err == nil {
		t.Error("a gallery of loose images: no error")
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
