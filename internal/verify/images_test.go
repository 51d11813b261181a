package verify

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/model"
)

// Decoded images must embed exactly as their files do, or a model would
// answer differently through the Go API than through the CLI.
func TestEmbedImagesMatchesFiles(t *testing.T) {
	m, err := model.Load(tinyModel(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(digits, "1", "00000.png"), filepath.Join(digits, "3", "00000.png")}
	var imgs []image.Image
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	got, err := EmbedImages(m, imgs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := EmbedFiles(m, paths, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range paths {
		if len(got[i]) == 0 || !slices.Equal(got[i], want[i]) {
			t.Errorf("image %d: EmbedImages %v, file %v", i, got[i], want[i])
		}
	}
	if _, err := EmbedImages(m, []image.Image{imgs[0], nil}); err == nil || !strings.Contains(err.Error(), "image 1: image is nil") {
		t.Errorf("nil image: error %v", err)
	}
}
