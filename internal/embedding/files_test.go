package embedding

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func touch(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir,
		"g/cat/1.png", "g/cat/indoor/2.JPG", "g/dog/3.bmp", "g/loose.png",
		"g/.hidden/4.png", "g/cat/.5.png", "g/dog/notes.txt", "g/.siamese-cache-x.bin",
		"elsewhere/bird/6.png", "single.gif")
	// A linked class folder and a linked image are followed; a dangling
	// link named as an image is listed, for loading to report.
	must(t, os.Symlink(filepath.Join(dir, "elsewhere", "bird"), filepath.Join(dir, "g", "bird")))
	must(t, os.Symlink(filepath.Join(dir, "single.gif"), filepath.Join(dir, "g", "dog", "7.gif")))
	must(t, os.Symlink(filepath.Join(dir, "gone.png"), filepath.Join(dir, "g", "dog", "8.png")))

	g := filepath.Join(dir, "g")
	got, err := Files([]string{filepath.Join(dir, "single.gif"), g})
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{filepath.Join(dir, "single.gif"), ""},
		{filepath.Join(g, "bird", "6.png"), "bird"},
		{filepath.Join(g, "cat", "1.png"), "cat"},
		{filepath.Join(g, "cat", "indoor", "2.JPG"), "cat"},
		{filepath.Join(g, "dog", "3.bmp"), "dog"},
		{filepath.Join(g, "dog", "7.gif"), "dog"},
		{filepath.Join(g, "dog", "8.png"), "dog"},
		{filepath.Join(g, "loose.png"), ""},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Files:\n got  %v\n want %v", got, want)
	}

	must(t, os.MkdirAll(filepath.Join(dir, "empty"), 0o755))
	heic := filepath.Join(dir, "heic")
	for _, f := range []string{"1.HEIC", "x/2.webp", "notes", ".DS_Store"} {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(heic, f)), 0o755))
		must(t, os.WriteFile(filepath.Join(heic, f), []byte("x"), 0o644))
	}
	for name, tc := range map[string]struct{ path, want string }{
		"other files": {heic, "folder " + heic + ": no images in it: its 3 file(s) have no image extension (theirs: .heic .webp; siamese reads .png .jpg .jpeg .jpe .jfif .gif .bmp .tif .tiff)"},
		// Not there: neither "image" nor "folder" would be right.
		"missing":   {filepath.Join(dir, "nope"), filepath.Join(dir, "nope") + ": no such file or directory"},
		"no images": {filepath.Join(dir, "empty"), "folder " + filepath.Join(dir, "empty") + ": no images in it"},
	} {
		_, err := Files([]string{tc.path})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
