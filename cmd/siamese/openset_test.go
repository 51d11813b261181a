package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/metrics"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/train"
	"github.com/siamese-dev/siamese/internal/verify"
)

// fewshot is a generated folder of 60 classes of 2 to 4 images and 2 of one
// image (testdata/fewshot/generate.go).
var fewshot = filepath.Join("..", "..", "testdata", "fewshot")

// copyFewshot copies the few-shot folder, so that a test may change it.
func copyFewshot(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "fewshot")
	classes, _ := filepath.Glob(filepath.Join(fewshot, "shape*"))
	for _, c := range classes {
		files, _ := filepath.Glob(filepath.Join(c, "*.png"))
		for _, f := range files {
			writeBytes(t, filepath.Join(dst, filepath.Base(c), filepath.Base(f)), readBytes(t, f))
		}
	}
	return dst
}

// A few-shot folder trains with the default split rule (whole classes held
// out, said on the first line), stores the split, and a plain eval reports
// one-shot accuracy with intervals on the held-out classes; it refuses once
// the folder no longer gives the same held-out part, and flags the training
// folder given as --data.
func TestFewShotFolder(t *testing.T) {
	data := copyFewshot(t)
	dir := t.TempDir()
	r := siamese(t, dir, "train", "--data", data, "--out", "m.safetensors", "--epochs", "2",
		"--pairs-per-epoch", "256", "--batch-size", "32", "--val-pairs", "64", "--test-split", "0.1")
	if r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	first, _, _ := strings.Cut(r.stdout, "\n")
	if !strings.HasPrefix(first, "split classes: 62 classes (>= 30)") {
		t.Errorf("first line %q, want the class split and its reason", first)
	}
	if !strings.Contains(r.stdout, "val 6-way") {
		t.Errorf("epoch lines lack the validation one-shot: %s", r.stdout)
	}
	if !strings.Contains(r.stderr, "more classes have one training image") && !strings.Contains(r.stderr, "has one training image") {
		t.Errorf("no warning about single-image classes: %s", r.stderr)
	}

	r = siamese(t, dir, "eval", "--model", "m.safetensors", "--json", "--pairs", "200", "--trials", "200")
	if r.code != 0 {
		t.Fatalf("eval: exit %d: %s", r.code, r.stderr)
	}
	var rep verify.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("eval --json printed %q: %v", r.stdout, err)
	}
	var heldOut []string // of the test part: classes the model never saw
	for _, c := range rep.ByClass {
		heldOut = append(heldOut, c.Class)
	}
	// round(0.1·62) = 6 test classes: 5-way runs, 10 and 20 do not.
	if len(rep.OneShot) != 1 || rep.OneShot[0].Way != 5 || rep.OneShot[0].Trials != 200 {
		t.Fatalf("one-shot %+v, want one 5-way result of 200 trials", rep.OneShot)
	}
	// and eval says so, rather than leave the README's "5-, 10- and
	// 20-way" unexplained.
	if !slices.Equal(rep.OneShotSkipped, []int{10, 20}) || rep.OneShotClasses != 6 {
		t.Errorf("ways skipped %v of %d classes, want [10 20] of 6", rep.OneShotSkipped, rep.OneShotClasses)
	}
	if r := siamese(t, dir, "eval", "--model", "m.safetensors", "--pairs", "20", "--trials", "20"); !strings.Contains(r.stdout, "one-shot   20-way not run: the data has 6 classes") {
		t.Errorf("eval does not say why 20-way did not run: %s", r.stdout)
	}
	// Under 5 classes (the digits have 4), as many ways as there are, as
	// training's validation one-shot runs.
	r4 := siamese(t, dir, "eval", "--model", "m.safetensors", "--data", abs(t, digits), "--json", "--pairs", "20", "--trials", "20")
	var rep4 verify.Report
	if err := json.Unmarshal([]byte(r4.stdout), &rep4); err != nil || len(rep4.OneShot) != 1 || rep4.OneShot[0].Way != 4 || !slices.Equal(rep4.OneShotSkipped, []int{5, 10, 20}) {
		t.Errorf("eval on 4 classes: %v, one-shot %+v, skipped %v; want one 4-way test", err, rep4.OneShot, rep4.OneShotSkipped)
	}
	// The 200 trials ask about the test part's few images again and
	// again, so the interval is that of fewer independent trials: wider
	// than 200 trials' would be, narrower than one's.
	o := rep.OneShot[0]
	lo200, hi200 := metrics.Wilson95(o.Accuracy, 200)
	lo1, hi1 := metrics.Wilson95(o.Accuracy, 1)
	if !(0 <= o.Low && o.Low <= o.Accuracy && o.Accuracy <= o.High && o.High <= 1 && o.Low < o.High) || math.Abs(o.CI95-(o.High-o.Low)/2) > 1e-12 ||
		!(o.Queries > 1 && o.Queries < 200) || !(o.High-o.Low > hi200-lo200 && o.High-o.Low < hi1-lo1) {
		t.Errorf("5-way accuracy %g in [%g, %g] ±%g over %d queries; want an interval around it inside [0, 1], ± half its width, wider than 200 independent trials' [%g, %g]",
			o.Accuracy, o.Low, o.High, o.CI95, o.Queries, lo200, hi200)
	}
	if rep.SeenClasses != 0 || rep.UnseenClasses != 6 || rep.OverlapsTraining {
		t.Errorf("held-out classes: %d seen, %d unseen, overlaps %v; want 0, 6, false", rep.SeenClasses, rep.UnseenClasses, rep.OverlapsTraining)
	}
	if rep.Part != verify.PartHeldOutClasses || strings.Contains(rep.Data, "(") {
		t.Errorf("data %q, part %q; want the folder's path, and the held-out classes named as the part", rep.Data, rep.Part)
	}

	// The training folder as --data: every class is one it trained on or
	// validated with, and eval says the figures are not held out.
	r = siamese(t, dir, "eval", "--model", "m.safetensors", "--json", "--data", data, "--pairs", "100", "--one-shot", "5,10", "--trials", "50")
	if r.code != 0 {
		t.Fatalf("eval --data: exit %d: %s", r.code, r.stderr)
	}
	rep = verify.Report{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OverlapsTraining || !strings.Contains(r.stderr, "not held out") || len(rep.OneShot) != 2 {
		t.Errorf("eval on the training folder: overlaps %v, %d one-shot results, stderr %q", rep.OverlapsTraining, len(rep.OneShot), r.stderr)
	}

	// --trials 0 turns the one-shot trials off; the ways it cannot run
	// are refused in words about the flags.
	r = siamese(t, dir, "eval", "--model", "m.safetensors", "--json", "--pairs", "20", "--trials", "0")
	if rep = (verify.Report{}); json.Unmarshal([]byte(r.stdout), &rep) != nil || len(rep.OneShot) != 0 || len(rep.OneShotSkipped) != 0 {
		t.Errorf("eval --trials 0: exit %d, one-shot %+v, skipped %v: %s", r.code, rep.OneShot, rep.OneShotSkipped, r.stderr)
	}
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--trials", "-1"}, "--trials must be >= 0 (0: no one-shot trials), got -1"},
		{[]string{"--one-shot", "1"}, "--one-shot 1: a one-shot trial has at least 2 ways"},
		{[]string{"--one-shot", "5", "--trials", "0"}, "--one-shot [5] asks for trials, and --trials 0 runs none"},
	} {
		wantError(t, siamese(t, dir, append([]string{"eval", "--model", "m.safetensors", "--pairs", "20"}, tc.flags...)...), tc.want)
	}

	// A folder of held-out classes with one the model trained on among
	// them: eval says its figures mix the two, and marks the class.
	m, err := model.Load(filepath.Join(dir, "m.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	trained := m.Meta.Split.TrainClasses[0]
	mixed := filepath.Join(t.TempDir(), "mixed")
	if len(heldOut) < 2 {
		t.Fatalf("held-out classes %v, want at least 2", heldOut)
	}
	for _, c := range []string{trained, heldOut[0], heldOut[1]} {
		files, _ := filepath.Glob(filepath.Join(data, c, "*.png"))
		for _, f := range files {
			writeBytes(t, filepath.Join(mixed, c, filepath.Base(f)), readBytes(t, f))
		}
	}
	r = siamese(t, dir, "eval", "--model", "m.safetensors", "--json", "--data", mixed, "--pairs", "20", "--one-shot", "2", "--trials", "20")
	rep = verify.Report{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("eval of a mixed folder: %v: %s", err, r.stderr)
	}
	var seen []string
	for _, c := range rep.ByClass {
		if c.Seen {
			seen = append(seen, c.Class)
		}
	}
	if rep.SeenClasses != 1 || !strings.Contains(rep.Note, "mix seen and unseen classes") || !strings.Contains(r.stderr, "mix seen and unseen") ||
		(len(seen) > 0 && !slices.Equal(seen, []string{trained})) {
		t.Errorf("eval of 1 trained and 2 held-out classes: %d seen, classes marked seen %v, note %q", rep.SeenClasses, seen, rep.Note)
	}

	// Renaming one image of each class changes whichever part it is in;
	// the rebuilt test part then differs, and eval refuses.
	classes, _ := filepath.Glob(filepath.Join(data, "shape*"))
	for _, c := range classes {
		if err := os.Rename(filepath.Join(c, "0.png"), filepath.Join(c, "renamed.png")); err != nil {
			t.Fatal(err)
		}
	}
	r = siamese(t, dir, "eval", "--model", "m.safetensors", "--pairs", "100")
	if r.code == 0 || !strings.Contains(r.stderr, "no longer gives the test images") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("eval after renames: exit %d, stderr %q; want a one-line refusal", r.code, r.stderr)
	}
}

// --split images on the same folder: 10% of 2 to 4 images rounds to no
// validation image, so each class of 4 holds out 2 instead (step 2b of the
// split rule) and the log says so, and says that their 20 similar pairs
// are each measured once rather than repeated up to --val-pairs; no class
// has the 8 that a test part takes two of, so eval refuses in one line. A folder of classes of 2 and
// 3 images alone is refused in words a user can act on.
func TestFewShotFolderImageSplit(t *testing.T) {
	dir := t.TempDir()
	r := siamese(t, dir, "train", "--data", abs(t, fewshot), "--split", "images", "--epochs", "1",
		"--pairs-per-epoch", "64", "--out", "m.safetensors", "--json")
	if r.code != 0 {
		t.Fatalf("--split images on 2-4 images per class: exit %d, %s", r.code, r.stderr)
	}
	for _, want := range []string{"a class whose share is under 2 images holds out 2 for validation if it has 4 or more", "/ 40 val / 0 test images",
		"validation: 40 images make 20 similar and 760 dissimilar pairs, too few for --val-pairs 2000 without repeats: 20 of each are measured once"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("train log lacks %q:\n%s", want, r.stderr)
		}
	}
	var sum train.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if !sum.SmallFolder || sum.ValImages != 40 || sum.TestImages != 0 {
		t.Errorf("summary: small folder %t, %d val and %d test images; want true, 40, 0", sum.SmallFolder, sum.ValImages, sum.TestImages)
	}
	r = siamese(t, dir, "eval", "--model", "m.safetensors")
	if r.code == 0 || !strings.Contains(r.stderr, "holds 0 image(s) of 0 class(es), too few for both similar and dissimilar pairs") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("eval without a test part: exit %d, stderr %q; want a one-line refusal", r.code, r.stderr)
	}

	small := filepath.Join(t.TempDir(), "small")
	for _, c := range []string{"shape00", "shape01", "shape03", "shape04"} {
		files, _ := filepath.Glob(filepath.Join(fewshot, c, "*.png"))
		if n := len(files); n < 2 || n > 3 {
			t.Fatalf("%s has %d images; the test wants classes of 2 or 3", c, n)
		}
		for _, f := range files {
			writeBytes(t, filepath.Join(small, c, filepath.Base(f)), readBytes(t, f))
		}
	}
	r = siamese(t, dir, "train", "--data", small, "--split", "images", "--epochs", "1", "--pairs-per-epoch", "64")
	if r.code == 0 || !strings.Contains(r.stderr, "the validation part holds 0 image(s) of 0 class(es)") ||
		!strings.Contains(r.stderr, "4 images or more") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("classes of 2-3 images: exit %d, stderr %q; want a one-line refusal that says what to add", r.code, r.stderr)
	}
}

// The summary of a class-split run says what was chosen.
func TestTrainSummarySplit(t *testing.T) {
	r := siamese(t, t.TempDir(), "train", "--data", abs(t, fewshot), "--json", "--epochs", "1",
		"--pairs-per-epoch", "64", "--batch-size", "16", "--val-pairs", "16",
		"--batches", "classes", "--images-per-class", "2", "--loss", "ntxent", "--time-budget", "1m")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var sum train.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Split != "classes" || sum.SplitReason == "" || sum.Batches != "classes" || sum.SelectBy != "one-shot" || sum.OneShotWay != 6 {
		t.Errorf("summary: split %q (%q), batches %q, select by %q, %d-way; want classes, class batches, one-shot, 6-way",
			sum.Split, sum.SplitReason, sum.Batches, sum.SelectBy, sum.OneShotWay)
	}
	if sum.TrainClasses+sum.ValClasses+sum.TestClasses != 62 {
		t.Errorf("%d + %d + %d classes, want 62", sum.TrainClasses, sum.ValClasses, sum.TestClasses)
	}
}

// --augment=false turns off every variation, also those a config file sets
// one by one (configs/oneshot.yaml sets shift, rotation, scale and shear).
func TestAugmentOffOverridesConfig(t *testing.T) {
	for _, tc := range []struct {
		flag string
		on   bool
	}{{"--augment=false", false}, {"--augment=true", true}} {
		r := siamese(t, t.TempDir(), "train", "--config", abs(t, filepath.Join("..", "..", "configs", "oneshot.yaml")),
			"--data", abs(t, fewshot), "--json", "--epochs", "1", "--pairs-per-epoch", "64", "--val-pairs", "16", tc.flag)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.flag, r.code, r.stderr)
		}
		var sum train.Summary
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Augment.Enabled() != tc.on {
			t.Errorf("%s: trained with augmentation %+v", tc.flag, sum.Augment)
		}
	}
}
