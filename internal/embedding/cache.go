package embedding

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/siamese-dev/siamese/internal/atomicfile"
	"github.com/siamese-dev/siamese/internal/dataset"
)

const cacheMagic = "SIAMGAL1"

// CacheName is the file name of the gallery cache for the model whose file
// hash is modelHash. The leading dot hides it from scans.
func CacheName(modelHash string) string { return ".siamese-cache-" + modelHash + ".bin" }

// Stamp is what tells an image unchanged since it was embedded.
type Stamp struct {
	Size    int64
	ModTime int64 // dataset.Stamp: the later of the modification and change times
}

// StampOf returns the stamp of the file at path, following links.
func StampOf(path string) (Stamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Stamp{}, err
	}
	return Stamp{Size: st.Size(), ModTime: dataset.Stamp(st)}, nil
}

// CacheEntry is the embedding of one gallery image.
type CacheEntry struct {
	Stamp
	Vector []float32
}

// Cache maps slash-separated paths relative to the gallery to their
// embeddings.
type Cache struct {
	Dim     int
	Entries map[string]CacheEntry
}

// ReadCache reads the cache file at path. A missing file gives an empty
// cache; a file that is not a cache of dim-wide embeddings is an error.
func ReadCache(path string, dim int) (*Cache, error) {
	c := &Cache{Dim: dim, Entries: map[string]CacheEntry{}}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gallery cache %s: %w", path, unwrapPathErr(err))
	}
	bad := func(why string) error { return fmt.Errorf("gallery cache %s: %s", path, why) }
	if len(raw) < len(cacheMagic)+8 || string(raw[:len(cacheMagic)]) != cacheMagic {
		return nil, bad("not a gallery cache")
	}
	r := raw[len(cacheMagic):]
	if d := int(binary.LittleEndian.Uint32(r)); d != dim {
		return nil, bad(fmt.Sprintf("embeddings of width %d, the model makes %d", d, dim))
	}
	n := int(binary.LittleEndian.Uint32(r[4:]))
	r = r[8:]
	// Each entry takes at least 2+16+4·dim bytes, so a lying count is
	// caught before anything is allocated for it.
	if n > len(r)/(18+4*dim) {
		return nil, bad("truncated")
	}
	for range n {
		if len(r) < 2 {
			return nil, bad("truncated")
		}
		l := int(binary.LittleEndian.Uint16(r))
		if len(r) < 2+l+16+4*dim {
			return nil, bad("truncated")
		}
		name := string(r[2 : 2+l])
		r = r[2+l:]
		e := CacheEntry{Stamp: Stamp{Size: int64(binary.LittleEndian.Uint64(r)), ModTime: int64(binary.LittleEndian.Uint64(r[8:]))}}
		r = r[16:]
		e.Vector = make([]float32, dim)
		for j := range e.Vector {
			e.Vector[j] = math.Float32frombits(binary.LittleEndian.Uint32(r[4*j:]))
		}
		r = r[4*dim:]
		c.Entries[name] = e
	}
	if len(r) != 0 {
		return nil, bad(fmt.Sprintf("%d bytes after the last entry", len(r)))
	}
	return c, nil
}

// Write saves the cache at path through a temporary file in the same
// folder, renamed over path, so readers see the old or the new cache whole.
func (c *Cache) Write(path string) error {
	names := make([]string, 0, len(c.Entries))
	for name := range c.Entries {
		names = append(names, name)
	}
	slices.Sort(names) // the same cache gives the same bytes
	var buf bytes.Buffer
	buf.WriteString(cacheMagic)
	buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(c.Dim)))
	buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(names))))
	for _, name := range names {
		e := c.Entries[name]
		if len(name) > math.MaxUint16 {
			return fmt.Errorf("gallery cache %s: path %.40s... is too long", path, name)
		}
		if len(e.Vector) != c.Dim {
			return fmt.Errorf("gallery cache %s: %s has %d values, want %d", path, name, len(e.Vector), c.Dim)
		}
		buf.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(name))))
		buf.WriteString(name)
		buf.Write(binary.LittleEndian.AppendUint64(nil, uint64(e.Size)))
		buf.Write(binary.LittleEndian.AppendUint64(nil, uint64(e.ModTime)))
		for _, v := range e.Vector {
			buf.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
		}
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return fmt.Errorf("gallery cache %s: %w", path, err)
	}
	return nil
}

// EmbedFunc embeds image files, returning one vector per path; a nil vector
// marks an image that could not be read (the function has said why), which
// is then left out.
type EmbedFunc func(paths []string) ([][]float32, error)

// Gallery is the images of a gallery folder with their embeddings.
type Gallery struct {
	Files []File
	// Keys[i] is the path of Files[i] relative to the gallery folder,
	// slash-separated: what the cache and the search index know it by.
	Keys     []string
	Vectors  [][]float32 // Vectors[i] embeds Files[i]
	Embedded int         // images that went through the network this time
	Cached   int         // images whose embedding came from the cache
	Skipped  int         // unreadable images, left out
}

// SyncGallery returns the embeddings of the images in dir, taking those of
// unchanged images from the cache file cachePath and embedding the rest
// with embed; it rewrites the cache when anything changed. Problems with
// the cache itself are passed to warn (they cost time, not results).
func SyncGallery(dir, cachePath string, dim int, embed EmbedFunc, warn func(string)) (*Gallery, error) {
	// The cache lives in the folder; a single image would have it written
	// "inside" a file and warned about that on every search.
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("gallery %s is a file; give the folder of gallery images", dir)
	}
	files, err := Files([]string{dir})
	if err != nil {
		return nil, err
	}
	cache, err := ReadCache(cachePath, dim)
	changed := false
	if err != nil {
		warn(fmt.Sprintf("%v; embedding the gallery again", err))
		cache, changed = &Cache{Dim: dim, Entries: map[string]CacheEntry{}}, true
	}
	g := &Gallery{}
	fresh := &Cache{Dim: dim, Entries: make(map[string]CacheEntry, len(files))}
	keys := make([]string, len(files))
	stamps := make([]Stamp, len(files))
	vecs := make([][]float32, len(files))
	var todo []int // indices into files
	for i, f := range files {
		rel, err := filepath.Rel(dir, f.Path)
		if err != nil {
			return nil, fmt.Errorf("gallery %s: %w", dir, err)
		}
		keys[i] = filepath.ToSlash(rel)
		if stamps[i], err = StampOf(f.Path); err != nil {
			// A link whose target is gone: embedding it reports it, as
			// any unreadable image (skipped, or the error of --strict).
			todo = append(todo, i)
			continue
		}
		if e, ok := cache.Entries[keys[i]]; ok && e.Stamp == stamps[i] {
			vecs[i] = e.Vector
			g.Cached++
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) > 0 {
		paths := make([]string, len(todo))
		for j, i := range todo {
			paths[j] = files[i].Path
		}
		got, err := embed(paths)
		if err != nil {
			return nil, err
		}
		if len(got) != len(todo) {
			return nil, fmt.Errorf("gallery %s: embedded %d of %d images", dir, len(got), len(todo))
		}
		for j, i := range todo {
			if got[j] == nil {
				g.Skipped++
				continue
			}
			if len(got[j]) != dim {
				return nil, fmt.Errorf("gallery %s: embedding of %s has %d values, want %d", dir, files[i].Path, len(got[j]), dim)
			}
			vecs[i] = got[j]
			g.Embedded++
		}
	}
	for i, v := range vecs {
		if v == nil {
			continue
		}
		fresh.Entries[keys[i]] = CacheEntry{Stamp: stamps[i], Vector: v}
		g.Files = append(g.Files, files[i])
		g.Keys = append(g.Keys, keys[i])
		g.Vectors = append(g.Vectors, v)
	}
	// Rewrite when an image was embedded or an entry has to go.
	changed = changed || g.Embedded > 0
	for k := range cache.Entries {
		if _, ok := fresh.Entries[k]; !ok {
			changed = true
			break
		}
	}
	if changed {
		if err := fresh.Write(cachePath); err != nil {
			warn(fmt.Sprintf("%v; the next search will embed again", err))
		}
	}
	return g, nil
}
