package dataset

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// writeFile creates path below dir (slash-separated), making folders.
func writeFile(t testing.TB, dir, path string, data []byte) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pngBytes encodes img as PNG.
func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b strings.Builder
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

// solidGray is an n×n image of gray level v.
func solidGray(n int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, n, n))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

func TestScan(t *testing.T) {
	img := pngBytes(t, solidGray(2, 9))
	tests := []struct {
		name    string
		files   []string
		classes []string
		items   []Item
		ignored []IgnoredFolder
	}{{
		name:    "flat",
		files:   []string{"b/2.png", "a/1.png", "b/1.jpg"},
		classes: []string{"a", "b"},
		items:   []Item{{"a/1.png", 0}, {"b/1.jpg", 1}, {"b/2.png", 1}},
	}, {
		name: "skips hidden and non-image files and files in the root",
		files: []string{"a/1.png", "a/.hidden.png", "a/Thumbs.db", "a/README.txt", "a/.DS_Store",
			".cache/x.png", "b/1.png", "b/.git/y.png", "root.png"},
		classes: []string{"a", "b"},
		items:   []Item{{"a/1.png", 0}, {"b/1.png", 1}},
	}, {
		// Named like parts, but with images of their own: classes.
		name:    "classes named like parts",
		files:   []string{"test/1.png", "train/x/2.png"},
		classes: []string{"test", "train"},
		items:   []Item{{"test/1.png", 0}, {"train/x/2.png", 1}},
	}, {
		name:    "nested folders belong to the class",
		files:   []string{"cat/indoor/1.png", "cat/outdoor/deep/2.png", "cat/3.png", "dog/1.png"},
		classes: []string{"cat", "dog"},
		items:   []Item{{"cat/3.png", 0}, {"cat/indoor/1.png", 0}, {"cat/outdoor/deep/2.png", 0}, {"dog/1.png", 1}},
	}, {
		name:    "extensions in any case",
		files:   []string{"a/1.PNG", "a/2.JpEg", "a/3.TIFF", "a/4.bmp", "a/5.gif", "a/6.tif", "a/7.jpg", "a/8.jfif", "a/9.JPE", "b/x.webp", "c/1.png"},
		classes: []string{"a", "c"},
		items: []Item{{"a/1.PNG", 0}, {"a/2.JpEg", 0}, {"a/3.TIFF", 0}, {"a/4.bmp", 0},
			{"a/5.gif", 0}, {"a/6.tif", 0}, {"a/7.jpg", 0}, {"a/8.jfif", 0}, {"a/9.JPE", 0}, {"c/1.png", 1}},
		ignored: []IgnoredFolder{{"b", 1, []string{".webp"}}},
	}, {
		name:    "a folder of photos in formats not read is named",
		files:   []string{"a/1.png", "b/1.png", "heic/1.HEIC", "heic/2.heic", "heic/x/3.webp", "heic/notes", "heic/.DS_Store"},
		classes: []string{"a", "b"},
		items:   []Item{{"a/1.png", 0}, {"b/1.png", 1}},
		ignored: []IgnoredFolder{{"heic", 4, []string{".heic", ".webp"}}},
	}, {
		name:    "empty class folder is not a class",
		files:   []string{"a/1.png", "empty/notes.txt", "z/1.png"},
		classes: []string{"a", "z"},
		items:   []Item{{"a/1.png", 0}, {"z/1.png", 1}},
		ignored: []IgnoredFolder{{"empty", 1, []string{".txt"}}},
	}, {
		name:    "spaces and non-ASCII names sort byte-wise",
		files:   []string{"Ärmel/1.png", "t shirt/1.png", "Zebra/1.png", "ärmel/1.png"},
		classes: []string{"Zebra", "t shirt", "Ärmel", "ärmel"},
		items:   []Item{{"Zebra/1.png", 0}, {"t shirt/1.png", 1}, {"Ärmel/1.png", 2}, {"ärmel/1.png", 3}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				writeFile(t, dir, f, img)
			}
			ix, err := Scan(dir)
			if err != nil {
				t.Fatal(err)
			}
			if ix.Root != dir {
				t.Errorf("Root = %q, want %q", ix.Root, dir)
			}
			if !slices.Equal(ix.Classes, tt.classes) {
				t.Errorf("Classes = %q, want %q", ix.Classes, tt.classes)
			}
			if !slices.Equal(ix.Items, tt.items) {
				t.Errorf("Items = %v, want %v", ix.Items, tt.items)
			}
			if got, want := fmt.Sprint(ix.Ignored), fmt.Sprint(tt.ignored); got != want {
				t.Errorf("Ignored = %s, want %s", got, want)
			}
		})
	}
}

func TestScanErrors(t *testing.T) {
	img := pngBytes(t, solidGray(2, 9))
	tests := []struct {
		name  string
		setup func(dir string) string // returns the path to scan
		want  string
	}{{
		name:  "missing",
		setup: func(dir string) string { return filepath.Join(dir, "nope") },
		want:  "nope: directory does not exist",
	}, {
		name: "file",
		setup: func(dir string) string {
			writeFile(t, dir, "f.png", img)
			return filepath.Join(dir, "f.png")
		},
		want: "f.png: not a directory",
	}, {
		name: "loose images, no classes",
		setup: func(dir string) string {
			writeFile(t, dir, "loose.png", img)
			writeFile(t, dir, "loose2.jpg", img)
			writeFile(t, dir, "empty/readme.txt", nil)
			return dir
		},
		want: "2 images directly in it and no class folders: put each class's images in a folder of its own",
	}, {
		name: "loose images, the folder given with its slash",
		setup: func(dir string) string {
			writeFile(t, dir, "loose.png", img)
			return dir + "/"
		},
		want: "/<class>/<image>)", // and not "//<class>"
	}, {
		name: "no classes",
		setup: func(dir string) string {
			writeFile(t, dir, "notes.txt", nil)
			writeFile(t, dir, "empty/readme.txt", nil)
			return dir
		},
		want: "no class folders with images",
	}, {
		name: "one class",
		setup: func(dir string) string {
			writeFile(t, dir, "only/1.png", img)
			writeFile(t, dir, "only/2.png", img)
			return dir
		},
		want: "found 1 class (only); need at least 2 to make dissimilar pairs",
	}, {
		name: "a data set split into parts",
		setup: func(dir string) string {
			for _, f := range []string{"train/cat/1.png", "train/dog/1.png", "test/cat/2.png", "test/dog/2.png"} {
				writeFile(t, dir, f, img)
			}
			return dir
		},
		want: "its classes would be test and train, each a folder of folders of images: a data set already split into parts, not one part; pass --data ",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.setup(t.TempDir())
			_, err := Scan(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("Scan(%s) error = %v, want one naming the path and containing %q", p, err, tt.want)
			}
			if strings.Contains(err.Error(), "//") {
				t.Errorf("Scan(%s) error %q doubles a slash", p, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestScanSymlinks(t *testing.T) {
	dir := t.TempDir()
	img := pngBytes(t, solidGray(2, 9))
	writeFile(t, dir, "a/1.png", img)
	shared := t.TempDir()
	writeFile(t, shared, "s/1.png", img)
	writeFile(t, shared, "s/2.png", img)
	links := []struct{ target, link string }{
		{filepath.Join(dir, "a"), filepath.Join(dir, "a", "loop")},           // loop inside a class
		{dir, filepath.Join(dir, "a", "up")},                                 // loop to the root
		{filepath.Join(shared, "s"), filepath.Join(dir, "b")},                // class folder elsewhere
		{filepath.Join(dir, "a", "1.png"), filepath.Join(dir, "a", "2.png")}, // linked file
		{filepath.Join(dir, "gone.png"), filepath.Join(dir, "a", "3.png")},   // dangling
	}
	for _, l := range links {
		if err := os.Symlink(l.target, l.link); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	ix, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The dangling link is listed, for loading to report it.
	want := []Item{{"a/1.png", 0}, {"a/2.png", 0}, {"a/3.png", 0}, {"b/1.png", 1}, {"b/2.png", 1}}
	if !slices.Equal(ix.Items, want) {
		t.Errorf("Items = %v, want %v", ix.Items, want)
	}
}

func TestScanFS(t *testing.T) {
	img := pngBytes(t, solidGray(2, 9))
	fsys := fstest.MapFS{
		"sets/mini/x/1.png":   {Data: img},
		"sets/mini/x/2.png":   {Data: img},
		"sets/mini/y/1.png":   {Data: img},
		"sets/mini/LICENSE":   {Data: []byte("text")},
		"sets/other/z/1.png":  {Data: img},
		"sets/other/zz/1.png": {Data: img},
	}
	ix, err := ScanFS(fsys, "sets/mini")
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{"sets/mini/x/1.png", 0}, {"sets/mini/x/2.png", 0}, {"sets/mini/y/1.png", 1}}
	if !slices.Equal(ix.Items, want) || !slices.Equal(ix.Classes, []string{"x", "y"}) {
		t.Fatalf("ScanFS = %q %v, want [x y] %v", ix.Classes, ix.Items, want)
	}
	if got, want := ix.FullPath(ix.Items[2].Path), filepath.FromSlash("sets/mini/y/1.png"); got != want {
		t.Errorf("FullPath = %q, want %q", got, want)
	}
	// A caller may rename the root for messages; paths stay below it.
	ix.Root = "/data/mini"
	if got, want := ix.FullPath(ix.Items[0].Path), filepath.FromSlash("/data/mini/x/1.png"); got != want {
		t.Errorf("FullPath after renaming Root = %q, want %q", got, want)
	}
	if got := ix.ClassCounts(); !slices.Equal(got, []int{2, 1}) {
		t.Errorf("ClassCounts = %v, want [2 1]", got)
	}
	if _, err := ScanFS(fsys, "sets/missing"); err == nil || !strings.Contains(err.Error(), "sets/missing: directory does not exist") {
		t.Errorf("ScanFS(missing) error = %v", err)
	}
}

func TestIsImageName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.png": true, "A.PNG": true, "x.jpeg": true, "x.Jpg": true, "x.gif": true, "x.bmp": true,
		"x.tif": true, "x.tiff": true, "x.webp": false, "png": false, "x.png.txt": false, "Thumbs.db": false,
	} {
		if got := IsImageName(name); got != want {
			t.Errorf("IsImageName(%q) = %v, want %v", name, got, want)
		}
	}
}

// rgbImage is an image whose pixel (x, y) is f(x, y).
func rgbImage(w, h int, f func(x, y int) color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, f(x, y))
		}
	}
	return img
}
