package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Item is one image of a data set.
type Item struct {
	Path  string // slash-separated, relative to the root of Index.FS
	Class int    // index into Index.Classes
}

// Index lists the images of a data set without decoding them.
type Index struct {
	// Root names the data set directory in messages and metadata: the
	// directory given to Scan or the root given to ScanFS. Callers may
	// replace it with a friendlier name.
	Root    string
	FS      fs.FS    // the file system the items are in
	Classes []string // class names, sorted
	Items   []Item   // sorted by class, then path
	// Ignored lists the class folders left out because none of their
	// files has an image's name, for a warning: a folder of WebP or HEIC
	// photos would otherwise vanish without a word.
	Ignored []IgnoredFolder

	// dir is the scanned directory inside the file system, which Item paths
	// start with, so that FullPath can swap it for Root.
	dir string
}

// IsImageName reports whether name has the extension of a format the
// registered decoders read (.png .jpg .jpeg .jpe .jfif .gif .bmp .tif
// .tiff), in any case. (.jfif and .jpe are what some browsers name
// JPEGs they save.)
func IsImageName(name string) bool {
	return slices.Contains(imageExts, strings.ToLower(path.Ext(name)))
}

var imageExts = []string{".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".gif", ".bmp", ".tif", ".tiff"}

// ImageExtensions lists the extensions IsImageName takes, for messages.
func ImageExtensions() string { return strings.Join(imageExts, " ") }

// IgnoredFolder is a class folder with files but none named as an image.
type IgnoredFolder struct {
	Class string
	Files int      // files in it, at any depth, hidden ones aside
	Exts  []string // their extensions, sorted, at most five
}

// String says what was left out, and why.
func (f IgnoredFolder) String() string {
	return fmt.Sprintf("class folder %s left out: %s", f.Class, f.Why())
}

// Why says what the folder holds instead of images.
func (f IgnoredFolder) Why() string {
	exts := strings.Join(f.Exts, " ")
	if exts == "" {
		exts = "none"
	}
	return fmt.Sprintf("its %d file(s) have no image extension (theirs: %s; siamese reads %s)", f.Files, exts, ImageExtensions())
}

// Scan indexes the data set in directory dir (see the package documentation
// for the layout).
func Scan(dir string) (*Index, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data set %s: directory does not exist", dir)
	case err != nil:
		return nil, fmt.Errorf("data set %s: %w", dir, err)
	case !st.IsDir():
		return nil, fmt.Errorf("data set %s: not a directory", dir)
	}
	return scan(os.DirFS(dir), ".", dir)
}

// ScanFS indexes the data set in directory root of fsys, such as an embedded
// file system. Item paths are relative to fsys, so they start with root
// unless root is ".".
func ScanFS(fsys fs.FS, root string) (*Index, error) {
	st, err := fs.Stat(fsys, path.Clean(root))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data set %s: directory does not exist", root)
	case err != nil:
		return nil, fmt.Errorf("data set %s: %w", root, err)
	case !st.IsDir():
		return nil, fmt.Errorf("data set %s: not a directory", root)
	}
	return scan(fsys, path.Clean(root), root)
}

// scan indexes directory dir of fsys; display names the data set in errors.
func scan(fsys fs.FS, dir, display string) (*Index, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("data set %s: %w", display, err)
	}
	ix := &Index{Root: display, FS: fsys, dir: dir}
	loose := 0 // images directly in dir, which belong to no class
	// ReadDir sorts by name, so classes come out sorted.
	for _, e := range entries {
		if isHidden(e.Name()) || !isDir(fsys, dir, e) {
			if !isHidden(e.Name()) && IsImageName(e.Name()) {
				loose++
			}
			continue
		}
		classDir := path.Join(dir, e.Name())
		var paths []string
		others := 0               // files not named as images
		exts := map[string]bool{} // their extensions
		walk := func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("data set %s: %w", display, err)
			}
			if p == classDir {
				return nil
			}
			if isHidden(d.Name()) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !IsImageName(d.Name()) {
				others++
				if ext := strings.ToLower(path.Ext(d.Name())); ext != "" {
					exts[ext] = true
				}
				return nil
			}
			if !IsFile(fsys, p, d) {
				return nil
			}
			paths = append(paths, p)
			return nil
		}
		if err := fs.WalkDir(fsys, classDir, walk); err != nil {
			return nil, err
		}
		if len(paths) == 0 {
			if others > 0 {
				names := slices.Sorted(maps.Keys(exts))
				ix.Ignored = append(ix.Ignored, IgnoredFolder{Class: e.Name(), Files: others, Exts: names[:min(5, len(names))]})
			}
			continue
		}
		slices.Sort(paths)
		class := len(ix.Classes)
		ix.Classes = append(ix.Classes, e.Name())
		for _, p := range paths {
			ix.Items = append(ix.Items, Item{Path: p, Class: class})
		}
	}
	switch len(ix.Classes) {
	case 0:
		// "imgs/" given with its slash must not read "imgs//<class>".
		layout := strings.TrimSuffix(display, "/") + "/<class>/<image>"
		if loose > 0 {
			return nil, fmt.Errorf("data set %s: %d images directly in it and no class folders: put each class's images in a folder of its own (%s)", display, loose, layout)
		}
		return nil, fmt.Errorf("data set %s: no class folders with images (expected %s)", display, layout)
	case 1:
		return nil, fmt.Errorf("data set %s: found 1 class (%s); need at least 2 to make dissimilar pairs", display, ix.Classes[0])
	}
	if ix.splitParts() {
		root := filepath.ToSlash(strings.TrimSuffix(display, "/"))
		pass := "--data " + path.Join(root, ix.Classes[0])
		if slices.Contains(ix.Classes, "train") && slices.Contains(ix.Classes, "test") {
			pass = fmt.Sprintf("--data %s to train, --data %s to evaluate", path.Join(root, "train"), path.Join(root, "test"))
		}
		return nil, fmt.Errorf("data set %s: its classes would be %s, each a folder of folders of images: a data set already split into parts, not one part; pass %s", display, strings.Join(ix.Classes, " and "), pass)
	}
	return ix, nil
}

// splitParts reports whether the classes of ix are the parts of a split
// data set (train/, test/, ... each of class folders), which would train
// a model to tell the parts apart: every class is named like a part and
// holds its images in sub-folders only.
func (ix *Index) splitParts() bool {
	parts := []string{"train", "training", "test", "testing", "val", "valid", "validation", "dev"}
	for _, c := range ix.Classes {
		if !slices.Contains(parts, strings.ToLower(c)) {
			return false
		}
	}
	for _, it := range ix.Items {
		if path.Dir(it.Path) == path.Join(ix.dir, ix.Classes[it.Class]) { // an image of the class itself
			return false
		}
	}
	return true
}

func isHidden(name string) bool { return strings.HasPrefix(name, ".") }

// isDir reports whether entry e of directory dir is a directory, following a
// symbolic link, which is how class folders are often shared between sets.
func isDir(fsys fs.FS, dir string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := fs.Stat(fsys, path.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}

// IsFile reports whether the entry d at p of fsys is a regular file,
// following a symbolic link; devices and pipes are not images. A link that
// cannot be followed (its target gone, a loop) counts: named as an image,
// it is one the user meant, and loading reports it as unreadable (a
// warning, or the error of --strict) rather than leave it out without a
// word.
func IsFile(fsys fs.FS, p string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := fs.Stat(fsys, p)
	return err != nil || st.Mode().IsRegular()
}

// FullPath returns item path p as a user would name the file: below Root
// rather than below the file system's root. It is for messages.
func (ix *Index) FullPath(p string) string {
	if ix.dir != "" && ix.dir != "." {
		p = strings.TrimPrefix(p, ix.dir+"/")
	}
	return filepath.Join(ix.Root, filepath.FromSlash(p))
}

// ClassCounts returns the number of items of each class.
func (ix *Index) ClassCounts() []int {
	counts := make([]int, len(ix.Classes))
	for _, it := range ix.Items {
		counts[it.Class]++
	}
	return counts
}
