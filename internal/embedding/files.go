package embedding

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/siamese-dev/siamese/internal/dataset"
)

// File is an image to embed and its class: the name of the sub-folder it
// was found in, "" for a loose image.
type File struct {
	Path  string `json:"path"`
	Class string `json:"class"`
}

// Files expands paths into images: files as given, folders into the images
// below them, sorted by path (see the package documentation).
func Files(paths []string) ([]File, error) {
	var out []File
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			// A path that is not there is neither an image nor a folder yet.
			return nil, fmt.Errorf("%s: %w", p, unwrapPathErr(err))
		}
		if !st.IsDir() {
			out = append(out, File{Path: p})
			continue
		}
		found, err := folder(p)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			if n, exts := otherFiles(p); n > 0 {
				return nil, fmt.Errorf("folder %s: no images in it: %s", p, dataset.IgnoredFolder{Files: n, Exts: exts}.Why())
			}
			return nil, fmt.Errorf("folder %s: no images in it", p)
		}
		out = append(out, found...)
	}
	return out, nil
}

// folder lists the images below root; those in a sub-folder take its name
// as class.
func folder(root string) ([]File, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", root, unwrapPathErr(err))
	}
	var out []File
	for _, e := range entries {
		if isHidden(e.Name()) {
			continue
		}
		full := filepath.Join(root, e.Name())
		st, err := os.Stat(full) // follows a link to a class folder
		if err != nil {
			// A link that cannot be followed, named as an image, is
			// listed for loading to report (see dataset.Scan).
			if e.Type()&fs.ModeSymlink != 0 && dataset.IsImageName(e.Name()) {
				out = append(out, File{Path: full})
			}
			continue
		}
		if !st.IsDir() {
			if st.Mode().IsRegular() && dataset.IsImageName(e.Name()) {
				out = append(out, File{Path: full})
			}
			continue
		}
		// Walking the folder's own file system starts inside a linked
		// folder too; links further down are not followed, so a loop of
		// links cannot make the walk endless.
		fsys := os.DirFS(full)
		err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("folder %s: %w", full, err)
			}
			if p != "." && isHidden(d.Name()) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() || !dataset.IsImageName(d.Name()) {
				return nil
			}
			if !dataset.IsFile(fsys, p, d) {
				return nil // a device or a pipe
			}
			out = append(out, File{Path: filepath.Join(full, filepath.FromSlash(p)), Class: e.Name()})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(filepath.ToSlash(a.Path), filepath.ToSlash(b.Path)) })
	return out, nil
}

// otherFiles counts the files below root, hidden ones aside, and lists up
// to five of their extensions: what a folder without images holds instead.
func otherFiles(root string) (n int, exts []string) {
	seen := map[string]bool{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case p != root && isHidden(d.Name()) && d.IsDir():
			return fs.SkipDir
		case d.IsDir() || isHidden(d.Name()):
			return nil
		}
		n++
		if ext := strings.ToLower(filepath.Ext(p)); ext != "" {
			seen[ext] = true
		}
		return nil
	})
	exts = slices.Sorted(maps.Keys(seen))
	return n, exts[:min(5, len(exts))]
}

func isHidden(name string) bool { return strings.HasPrefix(name, ".") }

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
