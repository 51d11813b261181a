package verify

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestGalleryCaches lists and clears the files two models left in a
// gallery, keeping one model's, and never a file of the user's.
func TestGalleryCaches(t *testing.T) {
	dir := t.TempDir()
	files := map[string]int{
		".siamese-cache-0123456789abcdef.bin":        10,
		".siamese-index-0123456789abcdef.bin":        20,
		".siamese-cache-fedcba9876543210.bin":        30,
		"..siamese-cache-fedcba9876543210.bin.tmp-7": 5, // a stopped run's (atomicfile's name)
		".siamese-cache-fedcba9876543210.bin.tmp-8":  1, // not atomicfile's: the user's
		".siamese-cache-notahash.bin":                1, // the user's
		"photo.png":                                  1,
	}
	for name, n := range files {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := GalleryCacheFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var bytes int64
	for _, f := range got {
		names = append(names, f.Name+" "+f.Kind+" "+f.Model)
		bytes += f.Bytes
	}
	want := []string{
		"..siamese-cache-fedcba9876543210.bin.tmp-7 embeddings fedcba9876543210",
		".siamese-cache-0123456789abcdef.bin embeddings 0123456789abcdef",
		".siamese-cache-fedcba9876543210.bin embeddings fedcba9876543210",
		".siamese-index-0123456789abcdef.bin index 0123456789abcdef",
	}
	if !slices.Equal(names, want) || bytes != 65 {
		t.Errorf("files %q (%d bytes), want %q (65)", names, bytes, want)
	}
	freed, err := ClearGalleryCaches(dir, []string{"0123456789abcdef"})
	if err != nil || freed != 35 {
		t.Errorf("clear keeping one model: freed %d, %v; want 35", freed, err)
	}
	left, _ := os.ReadDir(dir)
	var leftNames []string
	for _, e := range left {
		leftNames = append(leftNames, e.Name())
	}
	if want := []string{".siamese-cache-0123456789abcdef.bin", ".siamese-cache-fedcba9876543210.bin.tmp-8", ".siamese-cache-notahash.bin", ".siamese-index-0123456789abcdef.bin", "photo.png"}; !slices.Equal(leftNames, want) {
		t.Errorf("left %q, want %q", leftNames, want)
	}
	if _, err := GalleryCacheFiles(filepath.Join(dir, "nope")); err == nil {
		t.Error("a missing gallery: no error")
	}
}
