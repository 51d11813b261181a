package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siamese-dev/siamese/internal/verify"
)

// The tests of using a trained model (eval extras, one-shot, compare with
// several images, embed, search) share one model trained on testdata/digits.

var (
	unseen = filepath.Join("..", "..", "testdata", "unseen")
	// exponents are the JSON numbers maskNumbers would only half mask
	// (1e-05 → Ne-N, but 0.00001 → N), which would make goldens depend on
	// the magnitude of a figure.
	exponents = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?[eE][-+]?[0-9]+`)
)

func maskJSON(s string) string { return maskNumbers(exponents.ReplaceAllString(s, "N")) }

// trainDigits trains the shared model in dir and returns its file name.
func trainDigits(t *testing.T, dir string) string {
	t.Helper()
	if r := siamese(t, dir, smallTrain(abs(t, digits), "m.safetensors")...); r.code != 0 {
		t.Fatalf("train: exit %d %s", r.code, r.stderr)
	}
	return "m.safetensors"
}

func decodeJSON(t *testing.T, r result) map[string]any {
	t.Helper()
	var v map[string]any
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, r.stdout)
	}
	return v
}

func isPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("%s: %v", path, err)
	}
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	m := trainDigits(t, dir)
	data := abs(t, digits)

	t.Run("training log", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(dir, "m.log.csv"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if lines[0] != "epoch,train_loss,val_loss,val_accuracy,lr,seconds,pairs_per_s,threshold,val_one_shot,val_one_shot_way,kept" || len(lines) != 3 ||
			!strings.HasPrefix(lines[1], "1,") || !strings.HasPrefix(lines[2], "2,") {
			t.Errorf("m.log.csv should have the header and epochs 1 and 2:\n%s", raw)
		}
		// One epoch is marked kept: the one train said it saved.
		if kept := strings.Count(string(raw), ",1\n") + strings.Count(string(raw), ",0\n"); kept != 2 || strings.Count(string(raw), ",1\n") != 1 {
			t.Errorf("m.log.csv should mark one of its two epochs kept:\n%s", raw)
		}
		isPNG(t, filepath.Join(dir, "m.training.png"))
	})

	t.Run("eval extras", func(t *testing.T) {
		args := []string{"eval", "--model", m, "--data", data, "--pairs", "200", "--one-shot", "4", "--trials", "300", "--plot", "plots"}
		ev := decodeJSON(t, siamese(t, dir, append(args, "--json")...))
		for _, k := range []string{"accuracy", "auc", "precision", "recall", "f1", "threshold", "pairs",
			"eer", "eer_threshold", "average_precision", "best_threshold", "tp", "fp", "tn", "fn",
			"mean_distance_similar", "mean_distance_dissimilar", "similar_by_class", "one_shot_accuracy", "one_shot_way", "trials"} {
			if _, ok := ev[k]; !ok {
				t.Errorf("eval --json lacks %q", k)
			}
		}
		n := func(k string) float64 { f, _ := ev[k].(float64); return f }
		if n("tp")+n("fp")+n("tn")+n("fn") != 200 || n("one_shot_way") != 4 || n("trials") != 300 {
			t.Errorf("confusion adds to %v, one-shot %v-way %v trials; want 200 pairs, 4-way, 300 trials",
				n("tp")+n("fp")+n("tn")+n("fn"), n("one_shot_way"), n("trials"))
		}
		// These digits are the training classes: the model separates them
		// far better than chance (1/4 for one-shot, 1/2 for EER).
		if n("one_shot_accuracy") < 0.5 || n("eer") > 0.3 || n("mean_distance_similar") >= n("mean_distance_dissimilar") {
			t.Errorf("one-shot %v, EER %v, mean distances %v / %v: the model learned nothing",
				n("one_shot_accuracy"), n("eer"), n("mean_distance_similar"), n("mean_distance_dissimilar"))
		}
		for _, p := range []string{"roc.png", "distances.png"} {
			isPNG(t, filepath.Join(dir, "plots", p))
		}
		golden(t, "eval_extras.json", maskJSON(strings.ReplaceAll(siamese(t, dir, append(args, "--json")...).stdout, data, "DATA")))
		r := siamese(t, dir, args...)
		if r.code != 0 {
			t.Fatalf("eval: exit %d %s", r.code, r.stderr)
		}
		golden(t, "eval_extras.txt", maskNumbers(strings.ReplaceAll(r.stdout, data, "DATA")))
		// Without --one-shot, no one-shot keys.
		ev = decodeJSON(t, siamese(t, dir, "eval", "--model", m, "--data", data, "--pairs", "20", "--json"))
		if _, ok := ev["one_shot_accuracy"]; ok {
			t.Error("one_shot_accuracy reported without --one-shot")
		}
		if r := siamese(t, dir, "eval", "--model", m, "--data", data, "--one-shot", "5"); r.code == 0 || !strings.Contains(r.stderr, "5-way one-shot needs 5 classes") {
			t.Errorf("5-way on 4 classes: exit %d, %q", r.code, r.stderr)
		}
	})

	t.Run("one-shot on unseen classes", func(t *testing.T) {
		ev := decodeJSON(t, siamese(t, dir, "eval", "--model", m, "--data", abs(t, unseen), "--pairs", "50",
			"--one-shot", "3", "--trials", "200", "--json"))
		classes := []string{}
		for _, c := range ev["similar_by_class"].([]any) {
			classes = append(classes, c.(map[string]any)["class"].(string))
		}
		// A model of digits 0-3 measured on 7, 8, 9.
		if strings.Join(classes, ",") != "7,8,9" || ev["images"].(float64) != 24 || ev["one_shot_way"].(float64) != 3 {
			t.Errorf("classes %v, images %v, way %v; want 7,8,9, 24 images, 3-way", classes, ev["images"], ev["one_shot_way"])
		}
		if ev["seen_classes"] != 0.0 || ev["unseen_classes"] != 3.0 {
			t.Errorf("seen %v, unseen %v classes: want 0 and 3 (the model trained on 0-3)", ev["seen_classes"], ev["unseen_classes"])
		}
		// How well a tiny model does on new digits is not a test; what the
		// trials compute is. Two folders of the same unseen classes make the
		// answer known for any model: each class two copies of one image
		// (its own digit), so every query's reference is itself, at
		// distance ~0, and every trial is won (accuracy 1, AUC 1); or every
		// class two copies of the same image, so every 3-way trial is a
		// three-way tie worth 1/3 and the ranking is a coin (AUC 1/2).
		for _, tc := range []struct {
			name         string
			from         func(class string) string
			oneShot, auc float64
		}{
			{"own image", func(c string) string { return c }, 1, 1},
			{"one image for all", func(string) string { return "7" }, 1.0 / 3, 0.5},
		} {
			set := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			for _, c := range []string{"7", "8", "9"} {
				img := readBytes(t, filepath.Join(unseen, tc.from(c), "00000.png"))
				writeBytes(t, filepath.Join(set, c, "a.png"), img)
				writeBytes(t, filepath.Join(set, c, "b.png"), img)
			}
			ev := decodeJSON(t, siamese(t, dir, "eval", "--model", m, "--data", set, "--pairs", "50",
				"--one-shot", "3", "--trials", "200", "--json"))
			if a := ev["one_shot_accuracy"].(float64); math.Abs(a-tc.oneShot) > 1e-9 {
				t.Errorf("%s: 3-way one-shot accuracy %v, want %v", tc.name, a, tc.oneShot)
			}
			if a := ev["auc"].(float64); math.Abs(a-tc.auc) > 1e-9 {
				t.Errorf("%s: AUC %v, want %v", tc.name, a, tc.auc)
			}
		}
	})

	t.Run("compare several", func(t *testing.T) {
		// Relative paths through a link: the table's column width must not
		// depend on where the repository is checked out.
		if err := os.Symlink(data, filepath.Join(dir, "digits")); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		a := filepath.Join("digits", "0", "00000.png")
		b := filepath.Join("digits", "0", "00001.png")
		folder := filepath.Join("digits", "1")
		entries, _ := os.ReadDir(filepath.Join(data, "1"))
		r := siamese(t, dir, "compare", a, b, folder, "--model", m, "--json")
		if r.code != 0 {
			t.Fatalf("compare: exit %d %s", r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != 1+len(entries) {
			t.Fatalf("compare --json printed %d lines for %d pairs", len(lines), 1+len(entries))
		}
		for i, l := range lines {
			var v map[string]any
			if err := json.Unmarshal([]byte(l), &v); err != nil || v["a"] != a || v["distance"] == nil {
				t.Errorf("line %d is not a compact pair object: %q (%v)", i+1, l, err)
			}
		}
		// Dissimilar verdicts do not change the exit status...
		r = siamese(t, dir, "compare", a, b, folder, "--model", m, "--threshold", "0.0001")
		if r.code != 0 {
			t.Errorf("compare with dissimilar pairs: exit %d, want 0", r.code)
		}
		golden(t, "compare_several.txt", maskNumbers(r.stdout))
		// ...unless asked.
		if r := siamese(t, dir, "compare", a, b, folder, "--model", m, "--threshold", "0.0001", "--fail-dissimilar"); r.code != 3 {
			t.Errorf("--fail-dissimilar: exit %d, want 3", r.code)
		}
		if r := siamese(t, dir, "compare", data, a, "--model", m); r.code == 0 || !strings.Contains(r.stderr, "is a folder") {
			t.Errorf("a folder as reference: exit %d, %q", r.code, r.stderr)
		}
		if help := siamese(t, dir, "compare", "--help").stdout; !strings.Contains(help, "JSON Lines") {
			t.Error("compare --help does not document JSON Lines")
		}
		// An unreadable image in a folder is skipped with a warning, as
		// embed and search skip it; --strict stops at it, and so does a
		// lone image compared with, which is the comparison asked for.
		mixed := filepath.Join(dir, "mixed")
		writeBytes(t, filepath.Join(mixed, "a.png"), readBytes(t, filepath.Join(data, "1", "00000.png")))
		bad := writeBytes(t, filepath.Join(mixed, "b.png"), []byte("not an image"))
		r = siamese(t, dir, "compare", a, mixed, "--model", m)
		if r.code != 0 || strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stderr, "skipping "+bad) {
			t.Errorf("compare with an unreadable image in a folder: exit %d, stdout %q, stderr %q; want one pair and a warning", r.code, r.stdout, r.stderr)
		}
		wantError(t, siamese(t, dir, "compare", a, mixed, "--model", m, "--strict"), bad, "not a valid image")
		wantError(t, siamese(t, dir, "compare", a, bad, "--model", m), bad, "not a valid image")
	})

	t.Run("embed", func(t *testing.T) {
		loose := filepath.Join(data, "2", "00003.png")
		r := siamese(t, dir, "embed", loose, data, "--model", m)
		if r.code != 0 {
			t.Fatalf("embed: exit %d %s", r.code, r.stderr)
		}
		rows := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		header := strings.Split(rows[0], ",")
		dim := len(header) - 2
		if header[0] != "path" || header[1] != "class" || header[2] != "e0" || header[len(header)-1] != "e"+strconv.Itoa(dim-1) {
			t.Errorf("CSV header %q...", rows[0][:min(40, len(rows[0]))])
		}
		if !strings.HasPrefix(rows[1], loose+",,") || !strings.Contains(rows[2], "/0/00000.png,0,") {
			t.Errorf("first rows %q, %q: want the loose image with class \"\", then class 0", rows[1][:60], rows[2][:60])
		}
		images := len(rows) - 2 // the loose image is in the folder too

		// .npy: header per the format, then N×D float32.
		s := decodeJSON(t, siamese(t, dir, "embed", data, "--model", m, "--out", "e.npy", "--json"))
		if s["images"].(float64) != float64(images) || s["dim"].(float64) != float64(dim) || s["paths"] != "e.npy.paths.txt" {
			t.Errorf("embed --json summary %v", s)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "e.npy"))
		if err != nil {
			t.Fatal(err)
		}
		hlen := int(raw[8]) | int(raw[9])<<8 // little-endian uint16
		want := "{'descr': '<f4', 'fortran_order': False, 'shape': (" + strconv.Itoa(images) + ", " + strconv.Itoa(dim) + "), }"
		if string(raw[:8]) != "\x93NUMPY\x01\x00" || (10+hlen)%64 != 0 || !strings.HasPrefix(string(raw[10:]), want) ||
			len(raw) != 10+hlen+4*images*dim {
			t.Errorf("e.npy: header %q, %d bytes; want %q and %d bytes", raw[:10+hlen], len(raw), want, 10+hlen+4*images*dim)
		}
		paths, _ := os.ReadFile(filepath.Join(dir, "e.npy.paths.txt"))
		if n := strings.Count(string(paths), "\n"); n != images || !strings.HasPrefix(string(paths), filepath.Join(data, "0", "00000.png")+"\t0\n") {
			t.Errorf("e.npy.paths.txt has %d lines, starts %q", n, string(paths)[:min(60, len(paths))])
		}
		r = siamese(t, dir, "embed", data, "--model", m, "--out", "e.npy")
		golden(t, "embed.txt", maskNumbers(r.stdout))

		// CSV file and JSON Lines agree with the CSV on stdout.
		if r := siamese(t, dir, "embed", loose, data, "--model", m, "--out", "e.csv"); r.code != 0 {
			t.Fatalf("embed --out e.csv: %s", r.stderr)
		}
		if csv, _ := os.ReadFile(filepath.Join(dir, "e.csv")); string(csv) != strings.Join(rows, "\n")+"\n" {
			t.Error("e.csv differs from the CSV on stdout")
		}
		r = siamese(t, dir, "embed", loose, "--model", m, "--json")
		var line struct {
			Path, Class string
			Embedding   []float64
		}
		if err := json.Unmarshal([]byte(r.stdout), &line); err != nil || line.Path != loose || len(line.Embedding) != dim {
			t.Errorf("embed --json to stdout: %q (%v)", r.stdout[:min(80, len(r.stdout))], err)
		}
		if r := siamese(t, dir, "embed", data, "--model", m, "--out", "e.txt"); r.code == 0 || !strings.Contains(r.stderr, ".csv or .npy") {
			t.Errorf("--out e.txt: exit %d %q", r.code, r.stderr)
		}

		// A path the paths file cannot hold fails before either file is
		// replaced: the .npy and its paths still describe the same rows.
		odd := filepath.Join(dir, "odd", "tab\tclass")
		if err := os.MkdirAll(odd, 0o755); err != nil {
			t.Fatal(err)
		}
		writeBytes(t, filepath.Join(odd, "a.png"), readBytes(t, loose))
		npyBefore, pathsBefore := readBytes(t, filepath.Join(dir, "e.npy")), readBytes(t, filepath.Join(dir, "e.npy.paths.txt"))
		wantError(t, siamese(t, dir, "embed", filepath.Join(dir, "odd"), "--model", m, "--out", "e.npy"), "e.npy.paths.txt", "has a tab or line break")
		if !bytes.Equal(readBytes(t, filepath.Join(dir, "e.npy")), npyBefore) || !bytes.Equal(readBytes(t, filepath.Join(dir, "e.npy.paths.txt")), pathsBefore) {
			t.Error("a refused embed replaced e.npy or its paths file")
		}
	})

	t.Run("calibrate", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "cal.safetensors")
		r := siamese(t, dir, "calibrate", "--model", m, "--data", data, "--out", out, "--rule", "eer", "--pairs", "100", "--json")
		var got verify.CalibrateResult
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Rule != "equal error" || got.Out != out {
			t.Fatalf("calibrate: exit %d, %s%s", r.code, r.stdout, r.stderr)
		}
		// The calibrated model compares at its new threshold.
		img := filepath.Join(data, "0", "00000.png")
		r = siamese(t, dir, "compare", img, img, "--model", out, "--json")
		var v struct {
			Threshold float64 `json:"threshold"`
		}
		if json.Unmarshal([]byte(r.stdout), &v) != nil || v.Threshold != got.New {
			t.Errorf("compare with the calibrated model: %s, want threshold %v", r.stdout, got.New)
		}
		wantError(t, siamese(t, dir, "calibrate", "--model", m, "--data", data, "--out", out, "--rule", "eer", "--far", "0.01"), "--rule and --far both choose the rule")
		wantError(t, siamese(t, dir, "calibrate", "--model", m, "--data", data, "--out", out, "--rule", "false-accept"), `unknown --rule "false-accept"`)
	})

	t.Run("identify", func(t *testing.T) {
		// Digits 0-2 enrolled by two images each; every digit image is a
		// query (3 is not enrolled), the two enrolled ones of each class
		// leave-one-out.
		gallery := filepath.Join(dir, "enrolled")
		for _, c := range []string{"0", "1", "2"} {
			files, _ := filepath.Glob(filepath.Join(data, c, "*"))
			for _, f := range files[:2] {
				writeBytes(t, filepath.Join(gallery, c, filepath.Base(f)), readBytes(t, f))
			}
		}
		r := siamese(t, dir, "identify", data, "--gallery", gallery, "--model", m, "-k", "3", "--json")
		var got verify.IdentifyResult
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil {
			t.Fatalf("identify --json: exit %d, %s%s", r.code, r.stdout, r.stderr)
		}
		all, _ := filepath.Glob(filepath.Join(data, "*", "*"))
		three, _ := filepath.Glob(filepath.Join(data, "3", "*"))
		if len(got.Results) != len(all) || got.Enrolled != len(all)-len(three) || got.Unenrolled != len(three) ||
			got.GalleryClasses != 3 || got.Rank1 == nil || *got.Rank1 < 0.5 || *got.TopK < *got.Rank1 || got.Rejected == nil {
			t.Errorf("identify: %d results, %d enrolled, %d not, %d classes, rank-1 %v, top-k %v, rejected %v",
				len(got.Results), got.Enrolled, got.Unenrolled, got.GalleryClasses, got.Rank1, got.TopK, got.Rejected)
		}
		for _, id := range got.Results {
			if id.Nearest == id.Query || id.Class == "" {
				t.Errorf("query %s (class %q) matched %s", id.Query, id.Class, id.Nearest)
			}
		}
		// In words: a row a query (a folder without class sub-folders
		// gives no classes, so no accuracy), then the gallery.
		r = siamese(t, dir, "identify", filepath.Join(data, "1"), "--gallery", "enrolled", "--model", m)
		ones, _ := filepath.Glob(filepath.Join(data, "1", "*"))
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 || len(lines) != len(ones)+2 || !strings.HasPrefix(lines[0], "query") || !strings.Contains(lines[0], "predicted  distance  verdict") ||
			!strings.HasPrefix(lines[len(lines)-1], "gallery enrolled: 6 images of 3 classes; threshold ") {
			t.Errorf("identify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		wantError(t, siamese(t, dir, "identify", data, "--gallery", filepath.Join(gallery, "0"), "--model", m), "no class folders")
	})

	t.Run("search", func(t *testing.T) {
		gal := filepath.Join(dir, "gal")
		copyTree(t, data, gal)
		search := func(extra ...string) map[string]any {
			t.Helper()
			args := append([]string{"search", filepath.Join("gal", "2", "00003.png"), "--gallery", "gal", "--model", m, "--json"}, extra...)
			return decodeJSON(t, siamese(t, dir, args...))
		}
		counts := func(v map[string]any) [3]float64 {
			return [3]float64{v["gallery_images"].(float64), v["embedded"].(float64), v["cached"].(float64)}
		}
		one := filepath.Join("gal", "2", "00003.png")
		wantError(t, siamese(t, dir, "search", one, "--gallery", one, "--model", m), "gallery "+one+" is a file")
		first := search("-k", "3")
		total := first["gallery_images"].(float64)
		nb := first["neighbours"].([]any)
		if len(nb) != 3 || nb[0].(map[string]any)["path"] != filepath.Join("gal", "2", "00003.png") || nb[0].(map[string]any)["similar"] != true {
			t.Errorf("neighbours %v: want 3, the query itself first", nb)
		}
		steps := []struct {
			name   string
			change func()
			want   [3]float64 // images, embedded, cached
		}{
			{"first search", func() {}, [3]float64{total, 0, total}}, // the -k 3 search above built the cache
			{"touched", func() {
				p := filepath.Join(gal, "1", "00004.png")
				os.Chtimes(p, time.Now(), time.Now().Add(time.Hour))
			}, [3]float64{total, 1, total - 1}},
			{"added", func() { copyFile(t, filepath.Join(data, "3", "00000.png"), filepath.Join(gal, "3", "new.png")) }, [3]float64{total + 1, 1, total}},
			{"removed", func() { os.Remove(filepath.Join(gal, "0", "00001.png")) }, [3]float64{total, 0, total}},
		}
		for _, s := range steps {
			s.change()
			if got := counts(search()); got != s.want {
				t.Errorf("%s: images/embedded/cached %v, want %v", s.name, got, s.want)
			}
		}
		caches, _ := filepath.Glob(filepath.Join(gal, ".siamese-cache-*.bin"))
		if len(caches) != 1 {
			t.Errorf("cache files %v, want one", caches)
		}
		r := siamese(t, dir, "search", filepath.Join("gal", "2", "00003.png"), "--gallery", "gal", "--model", m, "-k", "4")
		if r.code != 0 {
			t.Fatalf("search: exit %d %s", r.code, r.stderr)
		}
		// Which neighbours rank where is the trained model's to say (a
		// change in the last bits of training reorders near ties), so the
		// golden file fixes the table's form, not the files' formats.
		golden(t, "search.txt", imageFormats.ReplaceAllString(maskNumbers(r.stdout), ".IMG"))
		if r := siamese(t, dir, "search", "gal/2/00003.png", "--model", m); r.code == 0 || !strings.Contains(r.stderr, "gallery") {
			t.Errorf("search without --gallery: exit %d %q", r.code, r.stderr)
		}
	})
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		copyFile(t, p, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// With many classes the human report lists the worst ones; --json has all.
func TestPrintEvalManyClasses(t *testing.T) {
	r := &verify.Report{Data: "d", Pairs: 40, OneShotWay: 0}
	for c := range 20 {
		// Accuracy falls with the class number: 19, 18, ... are the worst.
		r.ByClass = append(r.ByClass, verify.ClassAccuracy{Class: "c" + strconv.Itoa(c), Pairs: 2, Accuracy: 1 - float64(c)/20})
	}
	var buf strings.Builder
	printEval(&buf, r)
	out := buf.String()
	table := out[strings.Index(out, "class ("):]
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if !strings.HasPrefix(lines[0], "class (10 lowest of 20, all in --json)") || len(lines) != 11 {
		t.Fatalf("class table:\n%s", table)
	}
	for i, l := range lines[1:] {
		if want := "c" + strconv.Itoa(19-i) + " "; !strings.HasPrefix(l, want) {
			t.Errorf("row %d is %q, want class %s (worst first)", i+1, l, want)
		}
	}
}

// TestPrintEvalWideClassNames: the per-class table's columns line up in a
// terminal whatever the class names' characters: a CJK character or an
// emoji takes two cells, which tabwriter counted as one.
func TestPrintEvalWideClassNames(t *testing.T) {
	r := &verify.Report{ByClass: []verify.ClassAccuracy{
		{Class: "abc", Pairs: 10, Accuracy: 0.5}, {Class: "日本", Pairs: 20, Accuracy: 0.75}, {Class: "café ☕", Pairs: 3, Accuracy: 1},
	}}
	var b strings.Builder
	printEval(&b, r)
	lines := strings.Split(b.String(), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "class ") })
	if i < 0 || i+4 > len(lines) {
		t.Fatalf("no class table in:\n%s", b.String())
	}
	// The accuracy column starts at the same terminal cell on every row.
	col := func(l string) int {
		return displayWidth(l[:strings.Index(l, "  ")]) + len(l[strings.Index(l, "  "):]) - len(strings.TrimLeft(l[strings.Index(l, "  "):], " "))
	}
	want := col(lines[i])
	for _, l := range lines[i+1 : i+4] {
		if got := col(l); got != want {
			t.Errorf("row %q: accuracy at cell %d, heading's at %d\n%s", l, got, want, b.String())
		}
	}
	if displayWidth("日本") != 4 || displayWidth("café ☕") != 7 || displayWidth("abc") != 3 {
		t.Errorf("display widths %d %d %d, want 4 7 3", displayWidth("日本"), displayWidth("café ☕"), displayWidth("abc"))
	}
}
