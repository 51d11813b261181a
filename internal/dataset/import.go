package dataset

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/siamese-dev/siamese/internal/progress"
)

// ImportOptions says what ImportIDX converts and where to.
type ImportOptions struct {
	Images, Labels string   // IDX image and label files, gzip-compressed or not
	Out            string   // data set directory to write
	Names          []string // class folder name of each label; nil means "0", "1", …
	LimitPerClass  int      // most images written per class, in file order; 0 means all
	// Transpose writes each image transposed (stored pixel (r, c) becomes
	// pixel (c, r)), for sets that store images column by column: EMNIST
	// does, so its letters come out mirrored and rotated without it.
	Transpose bool
	// Workers encode images at once; <= 0: GOMAXPROCS.
	Workers int
	// Progress is where a bar counts the images written: a terminal, or
	// nil for none.
	Progress io.Writer
}

// StoredTransposed reports whether an IDX image file is, by its name, one
// that stores images transposed: EMNIST's files (emnist-letters-train-
// images-idx3-ubyte.gz, ...) are the known case, and they say "emnist".
func StoredTransposed(images string) bool {
	return strings.Contains(strings.ToLower(filepath.Base(images)), "emnist")
}

// ImportReport says what ImportIDX wrote.
type ImportReport struct {
	Out        string         `json:"out"`        // the folder written to
	Images     int            `json:"images"`     // images written
	PerClass   map[string]int `json:"per_class"`  // images written per class folder
	Transposed bool           `json:"transposed"` // every image was written transposed
}

// ImportIDX converts an IDX image and label file pair into a data set
// folder: o.Out/<class>/<index>.png, one 8-bit gray PNG per image, where
// index counts the images of that class in file order from 0, zero-padded to
// at least five digits so names sort in that order. The output is the same
// on every run. Each PNG is written to a hidden temporary file and renamed,
// so an interrupted import leaves no half-written image that a later scan
// would take for real. Existing files of the same name are replaced, so the
// same import can run again; but an import refuses a folder holding images
// it would not write (an earlier import of more images, or of other
// classes), which a scan would mix into this data set.
func ImportIDX(o ImportOptions) (ImportReport, error) {
	if o.LimitPerClass < 0 {
		return ImportReport{}, fmt.Errorf("import idx: limit per class %d must not be negative", o.LimitPerClass)
	}
	if o.Out == "" {
		return ImportReport{}, fmt.Errorf("import idx: no output directory")
	}
	n, rows, cols, pix, err := ReadIDXImages(o.Images)
	if err != nil {
		return ImportReport{}, err
	}
	labels, err := ReadIDXLabels(o.Labels)
	if err != nil {
		return ImportReport{}, err
	}
	if len(labels) != n {
		return ImportReport{}, fmt.Errorf("import idx: %s has %d images but %s has %d labels", o.Images, n, o.Labels, len(labels))
	}
	names, err := classNames(o, labels)
	if err != nil {
		return ImportReport{}, err
	}

	// Count first so the file-name width is known before any file is named.
	counts := make([]int, len(names))
	for _, lab := range labels {
		if o.LimitPerClass == 0 || counts[lab] < o.LimitPerClass {
			counts[lab]++
		}
	}
	digits := 5
	for _, c := range counts {
		digits = max(digits, len(strconv.Itoa(c-1)))
	}

	if err := checkNoLeftovers(o.Out, names, counts, digits); err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Out: o.Out, PerClass: map[string]int{}, Transposed: o.Transpose}
	for c, name := range names {
		if counts[c] == 0 {
			continue
		}
		if err := os.MkdirAll(filepath.Join(o.Out, name), 0o755); err != nil {
			return rep, fmt.Errorf("import idx: %w", err)
		}
	}
	// Which images are written, and under which name, is settled in file
	// order first; then the PNG encoding, the costly part (14 s of 60,000
	// MNIST images on one core), runs on every core.
	type file struct{ i, class, n int }
	var files []file
	written := make([]int, len(names))
	for i, lab := range labels {
		if written[lab] < counts[lab] {
			files = append(files, file{i, int(lab), written[lab]})
			written[lab]++
		}
	}
	size := rows * cols
	write := func(f file, flipped []byte) error {
		img := &image.Gray{Pix: pix[f.i*size : (f.i+1)*size], Stride: cols, Rect: image.Rect(0, 0, cols, rows)}
		if flipped != nil {
			// The stored rows×cols raster is the image column by column:
			// the upright image is cols tall and rows wide.
			for r := range rows {
				for c := range cols {
					flipped[c*rows+r] = img.Pix[r*cols+c]
				}
			}
			img = &image.Gray{Pix: flipped, Stride: rows, Rect: image.Rect(0, 0, rows, cols)}
		}
		return writePNG(filepath.Join(o.Out, names[f.class]), fmt.Sprintf("%0*d.png", digits, f.n), img)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(files)))
	// Workers take files in file order, and stop taking after a failure:
	// every file before a failed one has been taken, so has been written.
	var next atomic.Int64
	var stop atomic.Bool
	errs := make([]error, len(files))
	done := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var flipped []byte
			if o.Transpose {
				flipped = make([]byte, size)
			}
			for !stop.Load() {
				k := int(next.Add(1) - 1)
				if k >= len(files) {
					return
				}
				errs[k] = write(files[k], flipped)
				done <- k
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	bar := progress.New(o.Progress, len(files), "writing", "images")
	defer bar.Finish()
	count := 0
	for k := range done { // here, so the bar is drawn from one goroutine
		count++
		if errs[k] != nil {
			stop.Store(true)
		}
		bar.Set(count)
	}
	for k, f := range files {
		if errs[k] != nil {
			// The first failure in file order, whichever worker met it
			// first, so the message does not depend on timing.
			return rep, errs[k]
		}
		rep.Images++
		rep.PerClass[names[f.class]]++
	}
	return rep, nil
}

// classNames returns the folder name of every label value up to the largest
// in labels.
func classNames(o ImportOptions, labels []byte) ([]string, error) {
	maxLabel := 0
	for _, lab := range labels {
		maxLabel = max(maxLabel, int(lab))
	}
	if o.Names == nil {
		names := make([]string, maxLabel+1)
		for i := range names {
			names[i] = strconv.Itoa(i)
		}
		return names, nil
	}
	if len(o.Names) <= maxLabel {
		return nil, fmt.Errorf("import idx: %s has label %d but only %d class names were given", o.Labels, maxLabel, len(o.Names))
	}
	seen := map[string]bool{}
	for _, name := range o.Names {
		switch {
		case name == "" || name == "." || name == "..":
			return nil, fmt.Errorf("import idx: class name %q is not a usable folder name", name)
		case strings.ContainsAny(name, `/\`):
			return nil, fmt.Errorf("import idx: class name %q contains a path separator", name)
		case isHidden(name):
			return nil, fmt.Errorf("import idx: class name %q starts with '.', so scans would skip it as hidden", name)
		case seen[name]:
			return nil, fmt.Errorf("import idx: class name %q is given twice", name)
		}
		seen[name] = true
	}
	return o.Names, nil
}

// writePNG writes img to dir/name by way of a hidden temporary file.
func writePNG(dir, name string, img image.Image) error {
	final := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, ".import-*.png")
	if err != nil {
		return fmt.Errorf("import idx: %w", err)
	}
	if err := png.Encode(tmp, img); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("import idx: write %s: %w", final, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("import idx: write %s: %w", final, err)
	}
	// CreateTemp makes the file private (0600); an imported data set is as
	// shareable as any other file the user writes.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("import idx: write %s: %w", final, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("import idx: write %s: %w", final, err)
	}
	return nil
}

// checkNoLeftovers returns an error if out holds an image file, at any
// depth, that an import of counts[c] images of each class names[c] (file
// names digits wide) would not replace. Other files are left alone: a
// scan skips them.
func checkNoLeftovers(out string, names []string, counts []int, digits int) error {
	writes := map[string]bool{}
	for c, name := range names {
		for k := range counts[c] {
			writes[filepath.Join(name, fmt.Sprintf("%0*d.png", digits, k))] = true
		}
	}
	var first string
	n := 0
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == out {
				return fs.SkipAll // a new folder
			}
			return err
		}
		if d.IsDir() || !IsImageName(d.Name()) || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if rel, _ := filepath.Rel(out, path); !writes[rel] {
			if n == 0 {
				first = path
			}
			n++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import idx: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("import idx: %s already holds %d image(s) this import would not replace, such as %s, and training would read them as part of the data set; import into a new or empty folder", out, n, first)
	}
	return nil
}
