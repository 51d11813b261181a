package dataset

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	threeImages = "testdata/three-images-idx3-ubyte.gz"
	threeLabels = "testdata/three-labels-idx1-ubyte.gz"
)

// listFiles returns every file below dir, slash-separated, hidden ones too.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readGray decodes the PNG at path, which must be 8-bit gray.
func readGray(t *testing.T, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("%s is %T, want *image.Gray", path, img)
	}
	return g
}

func TestImportIDX(t *testing.T) {
	pix := threePix()
	tests := []struct {
		name  string
		opts  ImportOptions
		files map[string]int // output file → index of the source image
		per   map[string]int
	}{{
		name:  "default names",
		opts:  ImportOptions{},
		files: map[string]int{"0/00000.png": 1, "2/00000.png": 0, "2/00001.png": 2},
		per:   map[string]int{"0": 1, "2": 2},
	}, {
		name:  "names",
		opts:  ImportOptions{Names: []string{"zero", "one", "two Ü"}},
		files: map[string]int{"zero/00000.png": 1, "two Ü/00000.png": 0, "two Ü/00001.png": 2},
		per:   map[string]int{"zero": 1, "two Ü": 2},
	}, {
		name:  "limit",
		opts:  ImportOptions{LimitPerClass: 1},
		files: map[string]int{"0/00000.png": 1, "2/00000.png": 0},
		per:   map[string]int{"0": 1, "2": 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "set")
			o := tt.opts
			o.Images, o.Labels, o.Out = threeImages, threeLabels, out
			rep, err := ImportIDX(o)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Images != len(tt.files) || !maps.Equal(rep.PerClass, tt.per) {
				t.Errorf("report %+v, want %d images %v", rep, len(tt.files), tt.per)
			}
			got := listFiles(t, out)
			want := slices.Sorted(maps.Keys(tt.files))
			if !slices.Equal(got, want) {
				t.Fatalf("files %q, want %q", got, want)
			}
			for name, k := range tt.files {
				g := readGray(t, filepath.Join(out, filepath.FromSlash(name)))
				if g.Rect.Dx() != 3 || g.Rect.Dy() != 2 || !bytes.Equal(g.Pix, pix[6*k:6*k+6]) {
					t.Errorf("%s: %v %v, want image %d: 3x2 %v", name, g.Rect, g.Pix, k, pix[6*k:6*k+6])
				}
			}
			st, err := os.Stat(filepath.Join(out, filepath.FromSlash(want[0])))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o644 {
				t.Errorf("file mode %v, want 0644", st.Mode().Perm())
			}

			// A second run writes the same bytes and nothing else.
			before := readAll(t, out, want)
			if _, err := ImportIDX(o); err != nil {
				t.Fatal(err)
			}
			if got := listFiles(t, out); !slices.Equal(got, want) {
				t.Errorf("after a second run, files %q", got)
			}
			if after := readAll(t, out, want); !maps.EqualFunc(before, after, bytes.Equal) {
				t.Error("a second run wrote different bytes")
			}
		})
	}
}

func readAll(t *testing.T, dir string, names []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = b
	}
	return out
}

// TestImportIDXRefusesLeftovers imports the three images into folders
// that hold other images: an earlier import of more of them, another
// class, an image in a nested folder. Each is refused before anything is
// written, naming a leftover; a file that is not an image, or a hidden
// one, does not count.
func TestImportIDXRefusesLeftovers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string // written into the folder first
		want  string   // "" for no error
	}{
		{"a file that is not an image", []string{"README.txt", "0/notes.md"}, ""},
		{"a hidden image", []string{"2/.import-123.png"}, ""},
		{"an image it writes", []string{"2/00001.png"}, ""},
		{"an image past its count", []string{"2/00002.png"}, "2/00002.png"},
		{"another class", []string{"7/00000.png"}, "7/00000.png"},
		{"a nested image", []string{"0/old/00000.jpg"}, "0/old/00000.jpg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			for _, f := range tc.files {
				p := filepath.Join(out, filepath.FromSlash(f))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ImportIDX(ImportOptions{Images: threeImages, Labels: threeLabels, Out: out})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), filepath.FromSlash(tc.want))):
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			case tc.want != "":
				if _, err := os.Stat(filepath.Join(out, "0", "00000.png")); err == nil {
					t.Error("a refused import wrote images")
				}
			}
		})
	}
}

func TestImportIDXScans(t *testing.T) {
	// What ImportIDX writes is a data set Scan and LoadAll read back.
	out := t.TempDir()
	if _, err := ImportIDX(ImportOptions{Images: threeImages, Labels: threeLabels, Out: out}); err != nil {
		t.Fatal(err)
	}
	ix, err := Scan(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := LoadAll(ix, Loader{Size: 3, Channels: 1}, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(im.Classes, []string{"0", "2"}) || !slices.Equal(im.Labels, []int{0, 1, 1}) {
		t.Fatalf("classes %q labels %v", im.Classes, im.Labels)
	}
	// Image 0 of the file is 2/00000.png; its rows 0..2, 10..12 stretched to
	// 3 rows by the bilinear filter keep the first and last rows.
	img := im.Image(1)
	for c, v := range []float32{0, 1, 2} {
		if img[c] != v/255 || img[6+c] != (10+v)/255 {
			t.Errorf("2/00000.png loaded as %v", img)
			break
		}
	}
}

func TestImportIDXErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "two-labels", idxBytes(idxLabelsMagic, []uint32{2}, []byte{0, 1}))
	tests := []struct {
		name string
		opts ImportOptions
		want string
	}{
		{"negative limit", ImportOptions{LimitPerClass: -1}, "limit per class -1 must not be negative"},
		{"no out", ImportOptions{Out: "-"}, "no output directory"},
		{"count mismatch", ImportOptions{Labels: filepath.Join(dir, "two-labels")}, "has 3 images but " + filepath.Join(dir, "two-labels") + " has 2 labels"},
		{"few names", ImportOptions{Names: []string{"a", "b"}}, "has label 2 but only 2 class names were given"},
		{"slash", ImportOptions{Names: []string{"a", "b/c", "d"}}, `class name "b/c" contains a path separator`},
		{"backslash", ImportOptions{Names: []string{"a", `b\c`, "d"}}, `contains a path separator`},
		{"dotdot", ImportOptions{Names: []string{"a", "..", "d"}}, `class name ".." is not a usable folder name`},
		{"empty", ImportOptions{Names: []string{"a", "", "d"}}, `class name "" is not a usable folder name`},
		{"hidden", ImportOptions{Names: []string{"a", ".b", "d"}}, `starts with '.'`},
		{"twice", ImportOptions{Names: []string{"a", "b", "a"}}, `class name "a" is given twice`},
		{"missing images", ImportOptions{Images: filepath.Join(dir, "nope")}, "idx file " + filepath.Join(dir, "nope") + ": no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			o := tt.opts
			if o.Images == "" {
				o.Images = threeImages
			}
			if o.Labels == "" {
				o.Labels = threeLabels
			}
			switch o.Out {
			case "":
				o.Out = out
			case "-":
				o.Out = ""
			}
			_, err := ImportIDX(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed import created %s", out)
			}
		})
	}
}

// testdata/emnist-f-idx3-ubyte.gz holds a capital F stored transposed, as
// EMNIST stores its images (see make.sh); upright it is 4 wide, 5 tall.
var uprightF = []string{
	"####",
	"#...",
	"###.",
	"#...",
	"#...",
}

func TestImportIDXTranspose(t *testing.T) {
	gray := func(rows []string) []byte {
		var p []byte
		for _, row := range rows {
			for _, ch := range row {
				p = append(p, map[rune]byte{'#': 255, '.': 0}[ch])
			}
		}
		return p
	}
	stored := []string{ // the F as the file holds it: its transpose
		"#####",
		"#.#..",
		"#.#..",
		"#....",
	}
	tests := []struct {
		transpose bool
		want      []string
	}{
		{true, uprightF},
		{false, stored},
	}
	for _, tt := range tests {
		out := t.TempDir()
		rep, err := ImportIDX(ImportOptions{Images: "testdata/emnist-f-idx3-ubyte.gz", Labels: "testdata/emnist-f-idx1-ubyte.gz", Out: out, Transpose: tt.transpose})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Images != 1 || rep.Transposed != tt.transpose {
			t.Errorf("transpose %t: report %+v", tt.transpose, rep)
		}
		g := readGray(t, filepath.Join(out, "0", "00000.png"))
		w, h := len(tt.want[0]), len(tt.want)
		if g.Rect.Dx() != w || g.Rect.Dy() != h || !bytes.Equal(g.Pix, gray(tt.want)) {
			t.Errorf("transpose %t: got %v %v, want %dx%d %v", tt.transpose, g.Rect, g.Pix, w, h, gray(tt.want))
		}
	}
}

func TestStoredTransposed(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"emnist-letters-train-images-idx3-ubyte.gz", true},
		{"data/EMNIST/emnist-balanced-test-images-idx3-ubyte", true},
		{"train-images-idx3-ubyte.gz", false},
		{"emnist/train-images-idx3-ubyte.gz", false}, // only the file's own name counts
		{"t10k-images-idx3-ubyte", false},
	}
	for _, tt := range tests {
		if got := StoredTransposed(tt.path); got != tt.want {
			t.Errorf("StoredTransposed(%q) = %t, want %t", tt.path, got, tt.want)
		}
	}
}

// TestImportIDXWorkers imports 60 images of 3 classes, with a limit, on
// one worker and on several: the same files with the same bytes, each
// image under the name its place in the file gives it, whatever order the
// workers finish in; and a bar counts them when asked.
func TestImportIDXWorkers(t *testing.T) {
	const n, side = 60, 4
	pix := make([]byte, n*side*side)
	labels := make([]byte, n)
	for i := range n {
		labels[i] = byte(i % 3)
		for p := range side * side {
			pix[i*side*side+p] = byte(i*7 + p)
		}
	}
	dir := t.TempDir()
	images, lab := writeIDX(t, dir, side, pix, labels)
	var want map[string][]byte
	for _, tc := range []struct {
		workers   int
		transpose bool
		bar       bool
	}{{1, false, false}, {4, false, true}, {0, false, false}, {3, true, false}} {
		out := filepath.Join(dir, fmt.Sprintf("out-%d-%t", tc.workers, tc.transpose))
		var bar bytes.Buffer
		o := ImportOptions{Images: images, Labels: lab, Out: out, LimitPerClass: 15, Workers: tc.workers, Transpose: tc.transpose}
		if tc.bar {
			o.Progress = &bar
		}
		rep, err := ImportIDX(o)
		if err != nil {
			t.Fatal(err)
		}
		names := listFiles(t, out)
		if rep.Images != 45 || len(names) != 45 || !maps.Equal(rep.PerClass, map[string]int{"0": 15, "1": 15, "2": 15}) {
			t.Errorf("workers %d: report %+v, %d files", tc.workers, rep, len(names))
		}
		// Image 3k+c is class c's k-th: 1/00004.png is image 13.
		g := readGray(t, filepath.Join(out, "1", "00004.png"))
		if first := g.Pix[0]; first != byte(13*7) {
			t.Errorf("workers %d: 1/00004.png starts with %d, want image 13's %d", tc.workers, first, 13*7)
		}
		got := readAll(t, out, names)
		switch {
		case tc.transpose:
			// Transposed images differ, except for their names.
			if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
				t.Errorf("workers %d, transposed: files %v", tc.workers, names)
			}
		case want == nil:
			want = got
		case !maps.EqualFunc(got, want, bytes.Equal):
			t.Errorf("workers %d: files differ from one worker's", tc.workers)
		}
		if s := bar.String(); tc.bar != strings.Contains(s, "writing") {
			t.Errorf("workers %d, bar asked %t: %q", tc.workers, tc.bar, s)
		}
	}
}

// TestImportIDXFirstFailure: when writing one image fails (here its name
// is taken by a folder), the error is that image's on any number of
// workers, and every image before it in the file is written.
func TestImportIDXFirstFailure(t *testing.T) {
	const n, side = 40, 4
	pix := make([]byte, n*side*side)
	labels := make([]byte, n)
	for i := range n {
		labels[i] = byte(i % 2)
	}
	dir := t.TempDir()
	images, lab := writeIDX(t, dir, side, pix, labels)
	for _, workers := range []int{1, 3} {
		out := filepath.Join(dir, fmt.Sprint("out", workers))
		// Image 13 of the file is class 1's seventh: 1/00006.png.
		if err := os.MkdirAll(filepath.Join(out, "1", "00006.png"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := ImportIDX(ImportOptions{Images: images, Labels: lab, Out: out, Workers: workers})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(out, "1", "00006.png")) {
			t.Errorf("workers %d: %v, want the error of 1/00006.png", workers, err)
		}
		for i := range 13 {
			p := filepath.Join(out, fmt.Sprint(i%2), fmt.Sprintf("%05d.png", i/2))
			if _, err := os.Stat(p); err != nil {
				t.Errorf("workers %d: image %d of the file, before the failure, not written: %v", workers, i, err)
			}
		}
	}
}

// writeIDX writes images.idx (len(labels) images of side×side pixels) and
// labels.idx into dir and returns their paths.
func writeIDX(t *testing.T, dir string, side int, pix, labels []byte) (images, lab string) {
	t.Helper()
	n := uint32(len(labels))
	images, lab = filepath.Join(dir, "images.idx"), filepath.Join(dir, "labels.idx")
	if err := os.WriteFile(images, idxBytes(0x803, []uint32{n, uint32(side), uint32(side)}, pix), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lab, idxBytes(0x801, []uint32{n}, labels), 0o644); err != nil {
		t.Fatal(err)
	}
	return images, lab
}
