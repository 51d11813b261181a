package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// GalleryCacheFile is a file search, identify or serve keeps in a gallery
// folder for one model: its embeddings, or its nearest-neighbour index.
type GalleryCacheFile struct {
	Name  string `json:"name"`
	Model string `json:"model"` // the hash of the model file it is for
	Kind  string `json:"kind"`  // "embeddings" or "index"
	Bytes int64  `json:"bytes"`
}

// galleryCacheName matches embedding.CacheName and ann.IndexName, and
// their temporaries: atomicfile's "." + name + ".tmp-N", so two dots.
var galleryCacheName = regexp.MustCompile(`^\.siamese-(cache|index)-([0-9a-f]{16})\.bin$|^\.\.siamese-(cache|index)-([0-9a-f]{16})\.bin\.tmp-[0-9]+$`)

// GalleryCacheFiles lists the cache files in gallery folder dir, of every
// model: each retrained model leaves its own (at 200,000 images about
// 110 MB of embeddings and 116 MB of index).
func GalleryCacheFiles(dir string) ([]GalleryCacheFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--gallery %s: %w", dir, unwrapPathErr(err))
	}
	var out []GalleryCacheFile
	for _, e := range ents {
		m := galleryCacheName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		kind, model := m[1]+m[3], m[2]+m[4] // one alternative matched
		f := GalleryCacheFile{Name: e.Name(), Model: model, Kind: "embeddings"}
		if kind == "index" {
			f.Kind = "index"
		}
		if st, err := e.Info(); err == nil {
			f.Bytes = st.Size()
		}
		out = append(out, f)
	}
	return out, nil
}

// ClearGalleryCaches removes the cache files of gallery folder dir, but
// those of the models whose hashes keep lists, and returns the bytes
// freed. Nothing else in the folder is touched.
func ClearGalleryCaches(dir string, keep []string) (int64, error) {
	files, err := GalleryCacheFiles(dir)
	if err != nil {
		return 0, err
	}
	var freed int64
	for _, f := range files {
		if slices.Contains(keep, f.Model) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, f.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return freed, fmt.Errorf("--gallery %s: %w", dir, err)
		}
		freed += f.Bytes
	}
	return freed, nil
}
