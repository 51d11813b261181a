package embedding

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeEmbedder embeds a file as [its size, its first byte] and records
// what it was asked to embed. Files whose name starts with "bad" are
// unreadable.
type fakeEmbedder struct{ calls [][]string }

func (f *fakeEmbedder) embed(paths []string) ([][]float32, error) {
	var names []string
	out := make([][]float32, len(paths))
	for i, p := range paths {
		names = append(names, filepath.Base(p))
		if strings.HasPrefix(filepath.Base(p), "bad") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue // unreadable: skipped, as verify.Skipper does
		}
		out[i] = []float32{float32(len(b)), float32(b[0])}
	}
	f.calls = append(f.calls, names)
	return out, nil
}

func (f *fakeEmbedder) last() []string {
	if len(f.calls) == 0 {
		return nil
	}
	return f.calls[len(f.calls)-1]
}

type gallery struct {
	t     *testing.T
	dir   string
	cache string
	emb   fakeEmbedder
	warns []string
}

func newGallery(t *testing.T) *gallery {
	dir := t.TempDir()
	touch(t, dir, "a/1.png", "a/2.png", "b/3.png", "loose.png")
	return &gallery{t: t, dir: dir, cache: filepath.Join(dir, CacheName("abc123"))}
}

// sync runs SyncGallery and returns the base names it embedded (nil when
// the network was not used).
func (g *gallery) sync() (*Gallery, []string) {
	g.t.Helper()
	before := len(g.emb.calls)
	got, err := SyncGallery(g.dir, g.cache, 2, g.emb.embed, func(m string) { g.warns = append(g.warns, m) })
	if err != nil {
		g.t.Fatal(err)
	}
	if len(g.emb.calls) == before {
		return got, nil
	}
	return got, g.emb.last()
}

func (g *gallery) write(rel, content string) {
	g.t.Helper()
	p := filepath.Join(g.dir, filepath.FromSlash(rel))
	must(g.t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(g.t, os.WriteFile(p, []byte(content), 0o644))
}

func modTime(t *testing.T, path string) time.Time {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

func TestSyncGalleryInvalidation(t *testing.T) {
	g := newGallery(t)
	steps := []struct {
		name     string
		change   func()
		embedded []string // base names embedded again, in listing order
		rewrite  bool
		files    int
	}{
		{"first search embeds all", func() {}, []string{"1.png", "2.png", "3.png", "loose.png"}, true, 4},
		{"nothing changed", func() {}, nil, false, 4},
		{"size changed", func() { g.write("a/2.png", "longer content") }, []string{"2.png"}, true, 4},
		{"only mtime changed", func() {
			p := filepath.Join(g.dir, "b", "3.png")
			must(t, os.Chtimes(p, time.Now(), modTime(t, p).Add(time.Hour)))
		}, []string{"3.png"}, true, 4},
		// Other bytes of the same size, the modification time set back as
		// cp -p or rsync -t set it: the change time tells (Linux).
		{"same size and time, other bytes", func() {
			p := filepath.Join(g.dir, "a", "2.png")
			was := modTime(t, p)
			g.write("a/2.png", "Longer content")
			must(t, os.Chtimes(p, was, was))
		}, []string{"2.png"}, true, 4},
		{"image added", func() { g.write("c/4.png", "new") }, []string{"4.png"}, true, 5},
		{"image removed", func() { must(t, os.Remove(filepath.Join(g.dir, "a", "1.png"))) }, nil, true, 4},
		// An unreadable image is left out, not cached, and tried again.
		{"unreadable image", func() { g.write("b/bad.png", "x") }, []string{"bad.png"}, false, 4},
		{"unreadable image again", func() {}, []string{"bad.png"}, false, 4},
		{"other files ignored", func() { g.write("a/notes.txt", "x"); g.write(".hidden/5.png", "x") }, []string{"bad.png"}, false, 4},
		// A link whose target is gone goes to the embedder, which reports
		// it as unreadable, instead of failing the whole gallery.
		{"dangling link", func() { must(t, os.Symlink(filepath.Join(g.dir, "gone.png"), filepath.Join(g.dir, "c", "link.png"))) }, []string{"bad.png", "link.png"}, false, 4},
	}
	for _, s := range steps {
		if s.name == "same size and time, other bytes" && runtime.GOOS != "linux" {
			continue // the stamp is the modification time alone there
		}
		s.change()
		var before time.Time
		if _, err := os.Stat(g.cache); err == nil {
			before = modTime(t, g.cache)
			// Make a rewrite visible in the modification time.
			must(t, os.Chtimes(g.cache, before.Add(-time.Minute), before.Add(-time.Minute)))
			before = before.Add(-time.Minute)
		}
		got, embedded := g.sync()
		if !slices.Equal(embedded, s.embedded) {
			t.Errorf("%s: embedded %v, want %v", s.name, embedded, s.embedded)
		}
		if rewrote := !modTime(t, g.cache).Equal(before); rewrote != s.rewrite {
			t.Errorf("%s: cache rewritten %v, want %v", s.name, rewrote, s.rewrite)
		}
		if len(got.Files) != s.files || len(got.Vectors) != s.files || got.Embedded+got.Cached != s.files {
			t.Errorf("%s: %d files, %d vectors, %d embedded + %d cached; want %d", s.name, len(got.Files), len(got.Vectors), got.Embedded, got.Cached, s.files)
		}
		// Cached or not, every vector is the file's current embedding.
		for i, f := range got.Files {
			b, _ := os.ReadFile(f.Path)
			if want := []float32{float32(len(b)), float32(b[0])}; !slices.Equal(got.Vectors[i], want) {
				t.Errorf("%s: %s has vector %v, want %v", s.name, f.Path, got.Vectors[i], want)
			}
		}
	}
	if len(g.warns) != 0 {
		t.Errorf("warnings: %v", g.warns)
	}
	// No temporary file is left next to the cache.
	left, _ := filepath.Glob(filepath.Join(g.dir, ".siamese-cache-*.tmp"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestSyncGalleryBadCache(t *testing.T) {
	for name, corrupt := range map[string]func(path string) error{
		"garbage":   func(p string) error { return os.WriteFile(p, []byte("not a cache at all"), 0o644) },
		"truncated": func(p string) error { b, _ := os.ReadFile(p); return os.WriteFile(p, b[:len(b)-3], 0o644) },
		"extra":     func(p string) error { b, _ := os.ReadFile(p); return os.WriteFile(p, append(b, 0), 0o644) },
		"lying count": func(p string) error {
			b, _ := os.ReadFile(p)
			b[12] = 0xff // low byte of N
			return os.WriteFile(p, b, 0o644)
		},
		"other width": func(p string) error {
			c := &Cache{Dim: 3, Entries: map[string]CacheEntry{"a/1.png": {Vector: []float32{1, 2, 3}}}}
			return c.Write(p)
		},
	} {
		t.Run(name, func(t *testing.T) {
			g := newGallery(t)
			g.sync()
			must(t, corrupt(g.cache))
			_, embedded := g.sync()
			if len(embedded) != 4 || len(g.warns) != 1 || !strings.Contains(g.warns[0], g.cache) {
				t.Errorf("embedded %v, warnings %q; want all 4 embedded and one warning naming the cache", embedded, g.warns)
			}
			// The rebuilt cache serves the next search.
			if _, embedded := g.sync(); embedded != nil {
				t.Errorf("after the rebuild, embedded %v", embedded)
			}
		})
	}
}

func TestCacheRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), CacheName("h"))
	c := &Cache{Dim: 3, Entries: map[string]CacheEntry{
		"cat/1.png":       {Stamp{Size: 10, ModTime: 1700000000123456789}, []float32{0.5, -1, 3e-7}},
		"ünïcode/ä b.png": {Stamp{Size: 0, ModTime: -5}, []float32{1, 2, 3}},
	}}
	must(t, c.Write(path))
	got, err := ReadCache(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Entries) != fmt.Sprint(c.Entries) {
		t.Errorf("read back %v, wrote %v", got.Entries, c.Entries)
	}
	if got, err := ReadCache(filepath.Join(t.TempDir(), "none.bin"), 3); err != nil || len(got.Entries) != 0 {
		t.Errorf("missing cache: %v entries, %v; want an empty cache", got, err)
	}
	if !strings.HasPrefix(CacheName("h"), ".") {
		t.Error("the cache name must be hidden from scans")
	}
}
