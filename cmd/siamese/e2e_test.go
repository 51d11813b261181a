package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/siamese-dev/siamese/internal/train"
)

// The end-to-end tests build the real binary once and run it on the small
// real images in testdata/digits (MNIST test images of four digits, in PNG,
// JPEG, BMP, GIF and TIFF).

var (
	binary  string
	digits  = filepath.Join("..", "..", "testdata", "digits")
	update  = flag.Bool("update", false, "rewrite the golden files")
	numbers = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)?\b`)
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "siamese-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "siamese")
	// The binaries the tests run keep their decoded caches in the test's
	// own folder, not in the user's cache.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func siamese(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// smallTrain are flags that train on testdata/digits in about a second.
func smallTrain(data, out string, extra ...string) []string {
	args := []string{"train", "--data", data, "--out", out, "--epochs", "2", "--pairs-per-epoch", "512",
		"--batch-size", "32", "--val-split", "0.25", "--test-split", "0.25", "--val-pairs", "64"}
	return append(args, extra...)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// maskNumbers keeps the layout of human output while letting the figures,
// which depend on floating-point details, vary.
func maskNumbers(s string) string { return numbers.ReplaceAllString(s, "N") }

// imageFormats matches an image file's extension.
var imageFormats = regexp.MustCompile(`\.(png|gif|jpe?g|bmp|tiff?)\b`)

func TestTrainCompareEval(t *testing.T) {
	dir := t.TempDir()
	data := abs(t, digits)
	r := siamese(t, dir, smallTrain(data, "m.safetensors", "--json")...)
	if r.code != 0 {
		t.Fatalf("train exit %d: %s", r.code, r.stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("train --json printed %q: %v", r.stdout, err)
	}
	for _, k := range []string{"epochs", "pairs", "train_seconds", "pairs_per_s", "val_accuracy", "threshold", "model"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("train --json lacks %q: %s", k, r.stdout)
		}
	}
	if k, _ := sum["gemm_kernels"].(string); !slices.Contains([]string{"generic", "avx2", "avx512", "avx512x12"}, k) {
		t.Errorf("train --json gemm_kernels = %v, want a kernel set's name", sum["gemm_kernels"])
	}
	if sum["epochs"].(float64) != 2 || sum["pairs"].(float64) != 1024 || sum["unit"] != "pairs" {
		t.Errorf("train ran %v epochs / %v %v, want 2 / 1024 pairs", sum["epochs"], sum["pairs"], sum["unit"])
	}
	if !strings.Contains(r.stderr, "epoch 2/2") || !strings.Contains(r.stderr, "val acc") {
		t.Errorf("train --json should log epoch lines on stderr, got %q", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.ckpt.safetensors")); !os.IsNotExist(err) {
		t.Errorf("checkpoint should be removed once the model is saved (stat: %v)", err)
	}

	a, b, c := filepath.Join(data, "0", "00000.png"), filepath.Join(data, "0", "00011.jpg"), filepath.Join(data, "1", "00011.bmp")
	r = siamese(t, dir, "compare", a, b, "--model", "m.safetensors", "--json")
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 0 {
		t.Fatalf("compare --json: exit %d, %q, %v", r.code, r.stdout+r.stderr, err)
	}
	for _, k := range []string{"distance", "threshold", "similar"} {
		if _, ok := v[k]; !ok {
			t.Errorf("compare --json lacks %q", k)
		}
	}
	// An image compared with itself is at distance sqrt(eps) and similar.
	r = siamese(t, dir, "compare", a, a, "--model", "m.safetensors", "--json")
	var self map[string]any // fresh: a field missing here must not be read from the previous case
	if err := json.Unmarshal([]byte(r.stdout), &self); err != nil || r.code != 0 {
		t.Fatalf("compare self --json: exit %d, %q, %v", r.code, r.stdout+r.stderr, err)
	}
	if d, ok := self["distance"].(float64); !ok || d > 0.01 || self["similar"] != true {
		t.Errorf("self-comparison: distance %v similar %v", self["distance"], self["similar"])
	}
	// The human form, with a fixed threshold so the verdict is known.
	r = siamese(t, dir, "compare", a, c, "--model", "m.safetensors", "--threshold", "0")
	if r.code != 0 {
		t.Fatalf("compare: exit %d %s", r.code, r.stderr)
	}
	golden(t, "compare.txt", maskNumbers(r.stdout))
	// Exit status follows the verdict only when asked.
	if r = siamese(t, dir, "compare", a, c, "--model", "m.safetensors", "--threshold", "0", "--fail-dissimilar"); r.code != 3 {
		t.Errorf("--fail-dissimilar on a dissimilar pair: exit %d, want 3", r.code)
	}

	r = siamese(t, dir, "eval", "--model", "m.safetensors", "--pairs", "200", "--json")
	var ev map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ev); err != nil || r.code != 0 {
		t.Fatalf("eval --json: exit %d, %q, %v", r.code, r.stdout+r.stderr, err)
	}
	for _, k := range []string{"accuracy", "auc", "precision", "recall", "f1", "threshold", "pairs"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("eval --json lacks %q", k)
		}
	}
	// The test split's 12 images (3 of each digit) make 12 similar pairs,
	// fewer than the 100 that --pairs 200 asks for: each is used once, with
	// 12 of the 54 dissimilar ones.
	if ev["pairs"].(float64) != 24 || ev["pairs_asked"].(float64) != 200 || ev["distinct_similar_pairs"].(float64) != 12 ||
		ev["part"] != "test" || ev["data"] != abs(t, digits) {
		t.Errorf("eval measured %v pairs (asked %v, %v distinct similar) of %v's %v part, want 24 of the test split, each once",
			ev["pairs"], ev["pairs_asked"], ev["distinct_similar_pairs"], ev["data"], ev["part"])
	}
	// Even two short epochs separate these digits better than chance.
	if ev["auc"].(float64) < 0.6 {
		t.Errorf("eval auc %v: the model learned nothing", ev["auc"])
	}
	r = siamese(t, dir, "eval", "--model", "m.safetensors", "--pairs", "200", "--data", data)
	if r.code != 0 {
		t.Fatalf("eval --data: exit %d %s", r.code, r.stderr)
	}
	golden(t, "eval.txt", maskNumbers(strings.ReplaceAll(r.stdout, data, "DATA")))
}

// The same seed and data give the same model bytes.
func TestTrainIsReproducible(t *testing.T) {
	dir := t.TempDir()
	data := abs(t, digits)
	for _, out := range []string{"a.safetensors", "b.safetensors"} {
		if r := siamese(t, dir, smallTrain(data, out)...); r.code != 0 {
			t.Fatalf("train: %s", r.stderr)
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.safetensors"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("two runs with seed 1 wrote different models (%d and %d bytes)", len(a), len(b))
	}
}

func TestImportIDX(t *testing.T) {
	dir := t.TempDir()
	idx := abs(t, filepath.Join("..", "..", "internal", "dataset", "testdata"))
	imgs, _ := filepath.Glob(filepath.Join(idx, "*images*"))
	labels, _ := filepath.Glob(filepath.Join(idx, "*labels*"))
	if len(imgs) == 0 || len(labels) == 0 {
		t.Fatalf("no IDX fixtures in %s", idx)
	}
	r := siamese(t, dir, "import", "idx", "--images", imgs[0], "--labels", labels[0], "--out", "out", "--json")
	if r.code != 0 {
		t.Fatalf("import: exit %d %s", r.code, r.stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("import --json printed %q", r.stdout)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "out", "*", "*.png"))
	if n := int(rep["images"].(float64)); n == 0 || n != len(pngs) {
		t.Errorf("import reported %d images, wrote %d PNGs", n, len(pngs))
	}
	if rep["out"] != "out" {
		t.Errorf("import --json names the folder %v, want out", rep["out"])
	}
}

// Every preset in configs/ is a valid run configuration: it trains (two
// tiny epochs, flags overriding the long schedule, so that mining, which
// starts in epoch 2, runs) and saves a model, and the loop trains with the
// augmentation and mining the preset asks for. The data are the digits and
// the unseen digits together: 7 classes, enough for a preset that splits
// by class.
func TestPresetsTrain(t *testing.T) {
	presets, _ := filepath.Glob(filepath.Join("..", "..", "configs", "*.yaml"))
	if len(presets) < 3 {
		t.Fatalf("found %d presets in configs/, want mnist, fashion and faces", len(presets))
	}
	data := filepath.Join(t.TempDir(), "digits")
	for _, from := range []string{digits, unseen} {
		classes, _ := filepath.Glob(filepath.Join(from, "[0-9]"))
		for _, c := range classes {
			files, _ := filepath.Glob(filepath.Join(c, "*.png"))
			for _, f := range files {
				writeBytes(t, filepath.Join(data, filepath.Base(c), filepath.Base(f)), readBytes(t, f))
			}
		}
	}
	for _, p := range presets {
		t.Run(filepath.Base(p), func(t *testing.T) {
			want, cfg := presetLoop(t, p)
			dir := t.TempDir()
			args := append(smallTrain(data, "m.safetensors", "--config", abs(t, p), "--json"),
				"--epochs", "2", "--pairs-per-epoch", "32", "--val-pairs", "16", "--patience", "0", "--mining-pool", "16")
			if cfg["batches"] == "classes" {
				// A class split leaves 3 training classes here: a batch of
				// 3 classes × 4 images.
				args = append(args, "--batch-size", "12", "--images-per-class", "4")
			}
			r := siamese(t, dir, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var sum train.Summary
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
				t.Fatalf("train --json printed %q: %v", r.stdout, err)
			}
			if sum.Epochs != 2 || len(sum.History) != 2 {
				t.Errorf("ran %d epochs (%d in history), want 2", sum.Epochs, len(sum.History))
			}
			if sum.Augment != want.Augment || sum.Mining != want.Mining {
				t.Errorf("trained with augment %+v mining %q, want %+v %q from the preset", sum.Augment, sum.Mining, want.Augment, want.Mining)
			}
			if _, err := os.Stat(filepath.Join(dir, "m.safetensors")); err != nil {
				t.Errorf("no model written: %v", err)
			}
		})
	}
}

// presetLoop reads the augmentation and mining a preset asks for (and
// returns the whole preset), by the
// rule `siamese train --help` states: --augment turns on shift 2, rotate 10
// and brightness 0.1, and each augment-NAME key sets the part whose JSON
// name is NAME (a key with no such part fails the test).
func presetLoop(t *testing.T, path string) (train.LoopOptions, map[string]any) {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal(readBytes(t, path), &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	aug := map[string]any{}
	if cfg["augment"] == true {
		aug["shift"], aug["rotate"], aug["brightness"] = 2, 10, 0.1
	}
	for k, v := range cfg {
		if name, ok := strings.CutPrefix(k, "augment-"); ok {
			aug[name] = v
		}
	}
	raw, err := json.Marshal(aug)
	if err != nil {
		t.Fatal(err)
	}
	var lo train.LoopOptions
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lo.Augment); err != nil {
		t.Fatalf("%s: augment keys %s: %v", path, raw, err)
	}
	lo.Mining, _ = cfg["mining"].(string)
	lo.Mining = cmp.Or(lo.Mining, "random")
	return lo, cfg
}

// EMNIST stores images transposed: a file named emnist-* is transposed
// without being asked (with a note on stderr), --transpose=false keeps it as
// stored, and --transpose does it for any name. The fixture is a capital F,
// upright 4 wide and 5 tall (internal/dataset/testdata/make.sh).
func TestImportIDXTranspose(t *testing.T) {
	fixtures := abs(t, filepath.Join("..", "..", "internal", "dataset", "testdata"))
	emnist, labels := filepath.Join(fixtures, "emnist-f-idx3-ubyte.gz"), filepath.Join(fixtures, "emnist-f-idx1-ubyte.gz")
	dir := t.TempDir()
	renamed := filepath.Join(dir, "letters-idx3-ubyte.gz")
	if err := os.WriteFile(renamed, readBytes(t, emnist), 0o644); err != nil {
		t.Fatal(err)
	}
	upright := "####\n#...\n###.\n#...\n#...\n"
	stored := "#####\n#.#..\n#.#..\n#....\n"
	tests := []struct {
		name   string
		images string
		flags  []string
		want   string
		note   bool
	}{
		{"emnist by name", emnist, nil, upright, true},
		{"emnist kept as stored", emnist, []string{"--transpose=false"}, stored, false},
		{"other name", renamed, nil, stored, false},
		{"other name transposed", renamed, []string{"--transpose"}, upright, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := fmt.Sprintf("out%d", i)
			args := append([]string{"import", "idx", "--images", tt.images, "--labels", labels, "--out", out, "--json"}, tt.flags...)
			r := siamese(t, dir, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var rep struct {
				Images     int  `json:"images"`
				Transposed bool `json:"transposed"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("import --json printed %q: %v", r.stdout, err)
			}
			if rep.Images != 1 || rep.Transposed != (tt.want == upright) {
				t.Errorf("report %+v", rep)
			}
			if got := strings.Contains(r.stderr, "EMNIST"); got != tt.note {
				t.Errorf("stderr %q: note about EMNIST %t, want %t", r.stderr, got, tt.note)
			}
			if got := asciiArt(t, filepath.Join(dir, out, "0", "00000.png")); got != tt.want {
				t.Errorf("wrote\n%swant\n%s", got, tt.want)
			}
		})
	}
}

// asciiArt draws a gray PNG as rows of '#' (bright) and '.' (dark).
func asciiArt(t *testing.T, path string) string {
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
	var b strings.Builder
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if g, _, _, _ := img.At(x, y).RGBA(); g > 0x8000 {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
