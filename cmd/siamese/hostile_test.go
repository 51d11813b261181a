package main

import (
	"bytes"
	binenc "encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile tests run the real binary on bad files, folders, flags and
// models. The rule they check: a bad input ends in one line on stderr,
// "siamese: <context>: <problem>", naming the file and the problem, a
// non-zero exit, no stack trace and, from compare and eval, nothing on
// stdout. Inputs that are merely unusual work.

// quickTrain are the flags of smallTrain cut to one short epoch: these
// tests need a run that works, not a model that is any good.
func quickTrain(data, out string, extra ...string) []string {
	return smallTrain(data, out, append([]string{"--epochs", "1", "--pairs-per-epoch", "64"}, extra...)...)
}

// hostileModel trains a small model on testdata/digits in dir and returns
// its path. extra flags are added to the run.
func hostileModel(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	out := filepath.Join(dir, "m.safetensors")
	if r := siamese(t, dir, quickTrain(abs(t, digits), out, extra...)...); r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	return out
}

// wantError checks that r is a failure reported as one clear line that
// contains every piece of want.
func wantError(t *testing.T, r result, want ...string) {
	t.Helper()
	line := strings.TrimSuffix(r.stderr, "\n")
	switch {
	case r.code == 0:
		t.Errorf("exit 0, want a failure; stdout %q stderr %q", r.stdout, r.stderr)
	case strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "panic"):
		t.Errorf("exit %d with a stack trace:\n%s", r.code, r.stderr)
	case strings.Contains(line, "\n") || !strings.HasPrefix(line, "siamese: "):
		t.Errorf("stderr is not one line starting \"siamese: \":\n%s", r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("error %q does not say %q", line, w)
		}
	}
}

// wantOK checks that r succeeded without a word on stderr.
func wantOK(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 || r.stderr != "" || r.stdout == "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want success", r.code, r.stdout, r.stderr)
	}
}

func writeBytes(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngHeader is a PNG signature and IHDR chunk claiming a w×h 8-bit gray
// image, with no pixel data: enough for DecodeConfig.
func pngHeader(w, h uint32) []byte {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	binenc.Write(&ihdr, binenc.BigEndian, [2]uint32{w, h})
	ihdr.Write([]byte{8, 0, 0, 0, 0})
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binenc.Write(&b, binenc.BigEndian, uint32(ihdr.Len()-4))
	b.Write(ihdr.Bytes())
	binenc.Write(&b, binenc.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	return b.Bytes()
}

func onePixelPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.Gray{200})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestHostileImages(t *testing.T) {
	dir := t.TempDir()
	model := hostileModel(t, dir)
	data := abs(t, digits)
	ref := filepath.Join(data, "0", "00000.png")
	fixtures := abs(t, filepath.Join("..", "..", "internal", "dataset", "testdata"))
	pngDigit := readBytes(t, ref)
	jpgDigit := readBytes(t, filepath.Join(data, "0", "00011.jpg"))
	in := func(name string) string { return filepath.Join(dir, name) }

	writeBytes(t, in("zero.png"), nil)
	writeBytes(t, in("truncated.png"), pngDigit[:len(pngDigit)/2])
	writeBytes(t, in("header-only.png"), pngDigit[:20])
	writeBytes(t, in("truncated.jpg"), jpgDigit[:len(jpgDigit)/3])
	writeBytes(t, in("notes.png"), []byte("these are my notes, not a picture\n"))
	writeBytes(t, in("photo.webp"), []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d\x01\x2a"))
	writeBytes(t, in("junk.webp"), []byte("not really anything"))
	writeBytes(t, in("logo.svg"), []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>`))
	writeBytes(t, in("tiny.png"), onePixelPNG(t))
	writeBytes(t, in("huge.png"), pngHeader(100000, 100000))
	for _, link := range [][2]string{{"loop-a.png", "loop-b.png"}, {"loop-b.png", "loop-a.png"}, {"dangling.png", "nowhere.png"}} {
		if err := os.Symlink(link[1], in(link[0])); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name  string
		image string
		flags []string
		want  string // "" when the comparison must work
	}{
		{"zero bytes", in("zero.png"), nil, "zero.png: not a valid image: empty file"},
		{"truncated png", in("truncated.png"), nil, "truncated.png: not a valid image"},
		{"png cut in its header", in("header-only.png"), nil, "header-only.png: not a valid image: file is truncated"},
		{"truncated jpeg", in("truncated.jpg"), nil, "truncated.jpg: not a valid image"},
		{"text named .png", in("notes.png"), nil, "notes.png: not a valid image: unknown format (siamese reads PNG, JPEG, GIF, BMP and TIFF)"},
		{"webp", in("photo.webp"), nil, "photo.webp: not a valid image: unsupported format WebP"},
		{"unknown .webp", in("junk.webp"), nil, "junk.webp: not a valid image: unsupported format .webp"},
		{"svg", in("logo.svg"), nil, "logo.svg: not a valid image: unsupported format SVG"},
		{"huge header", in("huge.png"), nil, "huge.png: image is 100000x100000, over the 50000000-pixel limit (--max-pixels)"},
		{"over --max-pixels", ref, []string{"--max-pixels", "100"}, "00000.png: image is 28x28, over the 100-pixel limit (--max-pixels)"},
		{"negative --max-pixels", ref, []string{"--max-pixels", "-1"}, "--max-pixels -1 must not be negative"},
		{"symlink loop", in("loop-a.png"), nil, "loop-a.png: too many levels of symbolic links"},
		{"dangling symlink", in("dangling.png"), nil, "dangling.png: no such file or directory"},
		{"missing", in("missing.png"), nil, "missing.png: no such file or directory"},
		{"1x1", in("tiny.png"), nil, ""},
		{"16-bit gray", filepath.Join(fixtures, "gray16.png"), nil, ""},
		{"paletted", filepath.Join(fixtures, "palette.png"), nil, ""},
		{"gray+alpha", filepath.Join(fixtures, "graya.png"), nil, ""},
		{"cmyk jpeg", filepath.Join(fixtures, "cmyk.jpg"), nil, ""},
		{"exif-rotated jpeg", filepath.Join(fixtures, "exif6.jpg"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"compare", ref, tt.image, "--model", model}, tt.flags...)
			r := siamese(t, dir, args...)
			if tt.want == "" {
				wantOK(t, r)
				return
			}
			wantError(t, r, tt.want)
			if r.stdout != "" {
				t.Errorf("a failed compare printed %q", r.stdout)
			}
			// The bad image is found whichever side of the pair it is on.
			if tt.flags == nil {
				wantError(t, siamese(t, dir, "compare", tt.image, ref, "--model", model), tt.want)
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		if os.Geteuid() != 0 {
			p := writeBytes(t, in("secret.png"), pngDigit)
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			wantError(t, siamese(t, dir, "compare", ref, p, "--model", model), "secret.png: permission denied")
			return
		}
		// Root reads a file of mode 0 anyway: run this one command as
		// nobody (65534), from a folder nobody can enter, with the model and
		// the reference readable and only secret.png closed to it.
		shared, err := os.MkdirTemp("", "siamese-nobody")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(shared) })
		if err := os.Chmod(shared, 0o755); err != nil {
			t.Fatal(err)
		}
		writeBytes(t, filepath.Join(shared, "m.safetensors"), readBytes(t, model))
		writeBytes(t, filepath.Join(shared, "ref.png"), pngDigit)
		p := writeBytes(t, filepath.Join(shared, "secret.png"), pngDigit)
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		r := siameseAs(t, 65534, shared, "compare", "ref.png", "secret.png", "--model", "m.safetensors")
		wantError(t, r, "secret.png: permission denied")
		// The same files work for nobody once secret.png may be read, so
		// the failure above was the permission and nothing else.
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		wantOK(t, siameseAs(t, 65534, shared, "compare", "ref.png", "secret.png", "--model", "m.safetensors"))
	})
	t.Run("read error", func(t *testing.T) {
		// Reading /proc/self/mem at offset 0 fails with EIO whoever reads
		// it: a file that opens but cannot be read, as on a failing disk.
		if _, err := os.Stat("/proc/self/mem"); err != nil {
			t.Skip("no /proc/self/mem")
		}
		p := in("failing-disk.png")
		if err := os.Symlink("/proc/self/mem", p); err != nil {
			t.Fatal(err)
		}
		wantError(t, siamese(t, dir, "compare", ref, p, "--model", model), "failing-disk.png: cannot read: input/output error")
	})
}

// copyDigits copies classes of testdata/digits into dir/<name>, keeping the
// first n images of each (all when n is 0).
func copyDigits(t *testing.T, dir string, n int, classes map[string]string) {
	t.Helper()
	for src, dst := range classes {
		files, err := os.ReadDir(filepath.Join(digits, src))
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range files {
			if n > 0 && i >= n {
				break
			}
			writeBytes(t, filepath.Join(dir, dst, f.Name()), readBytes(t, filepath.Join(digits, src, f.Name())))
		}
	}
}

// trainSummary parses the JSON summary of `siamese train --json`.
func trainSummary(t *testing.T, r result) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("train --json printed %q (stderr %q): %v", r.stdout, r.stderr, err)
	}
	return s
}

func TestHostileFolders(t *testing.T) {
	root := t.TempDir()
	train := func(t *testing.T, data string, extra ...string) result {
		t.Helper()
		return siamese(t, root, quickTrain(data, filepath.Join(t.TempDir(), "m.safetensors"), extra...)...)
	}

	t.Run("missing", func(t *testing.T) {
		wantError(t, train(t, filepath.Join(root, "nope")), "data set "+filepath.Join(root, "nope")+": directory does not exist")
	})
	t.Run("empty", func(t *testing.T) {
		d := filepath.Join(root, "empty")
		os.MkdirAll(filepath.Join(d, "cats"), 0o755) // a class folder without images is no class
		wantError(t, train(t, d), "data set "+d+": no class folders with images")
	})
	t.Run("a file", func(t *testing.T) {
		f := writeBytes(t, filepath.Join(root, "file"), []byte("x"))
		wantError(t, train(t, f), "data set "+f+": not a directory")
	})
	t.Run("one class", func(t *testing.T) {
		d := filepath.Join(root, "one")
		copyDigits(t, d, 0, map[string]string{"0": "zero"})
		wantError(t, train(t, d), "data set "+d+": found 1 class (zero); need at least 2 to make dissimilar pairs")
	})
	t.Run("class with one image", func(t *testing.T) {
		d := filepath.Join(root, "single")
		copyDigits(t, d, 0, map[string]string{"0": "0", "1": "1", "2": "2"})
		copyDigits(t, d, 1, map[string]string{"3": "3"})
		r := train(t, d)
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, `warning: class "3" has one training image`) {
			t.Errorf("exit %d, output %q; want a warning about class 3 and success", r.code, r.stdout+r.stderr)
		}
	})
	t.Run("unbalanced classes", func(t *testing.T) {
		d := filepath.Join(root, "unbalanced")
		copyDigits(t, d, 0, map[string]string{"0": "many"})
		copyDigits(t, d, 3, map[string]string{"1": "few"})
		copyDigits(t, d, 0, map[string]string{"2": "more"})
		if r := train(t, d, "--test-split", "0"); r.code != 0 {
			t.Errorf("exit %d: %s", r.code, r.stderr)
		}
	})
	t.Run("names, nesting and junk", func(t *testing.T) {
		d := filepath.Join(root, "odd names")
		copyDigits(t, d, 6, map[string]string{"0": "zéro", "1": "un deux"})
		// Nested images belong to the top-level class.
		copyDigits(t, d, 6, map[string]string{"2": filepath.Join("zéro", "more", "deeper")})
		copyDigits(t, d, 6, map[string]string{"3": "日本語"})
		for _, junk := range []string{".DS_Store", "Thumbs.db", "README.txt", filepath.Join("un deux", ".DS_Store"),
			filepath.Join("un deux", "Thumbs.db"), filepath.Join("un deux", "notes.txt"), filepath.Join(".hidden", "x.png"),
			filepath.Join("日本語", ".secret.png")} {
			writeBytes(t, filepath.Join(d, junk), []byte("junk"))
		}
		r := train(t, d, "--json", "--test-split", "0")
		s := trainSummary(t, r)
		if s["classes"] != 3.0 {
			t.Errorf("%v classes, want 3 (zéro, un deux, 日本語)", s["classes"])
		}
		if n := s["train_images"].(float64) + s["val_images"].(float64); n != 24 {
			t.Errorf("%v images used, want 24 (6 in zéro, 6 nested below it, 6 + 6 in the others)", n)
		}
		for _, junk := range []string{"DS_Store", "Thumbs", "README", "notes", "hidden", "secret", "warning"} {
			if strings.Contains(r.stderr, junk) {
				t.Errorf("junk was not skipped silently: %s", r.stderr)
			}
		}
	})
	t.Run("symlink loops", func(t *testing.T) {
		d := filepath.Join(root, "loops")
		copyDigits(t, d, 0, map[string]string{"0": "0", "1": "1"})
		for _, l := range [][2]string{{".", "0/self"}, {"..", "1/up"}, {"loop.png", "1/loop.png"}, {"..", "parent"}} {
			if err := os.Symlink(l[0], filepath.Join(d, l[1])); err != nil {
				t.Fatal(err)
			}
		}
		r := train(t, d, "--json", "--test-split", "0")
		// "parent" is a class folder linked to the root: its images are
		// those directly below it, and the links in it are not followed.
		if s := trainSummary(t, r); s["classes"] != 3.0 {
			t.Errorf("%v classes, want 3", s["classes"])
		}
	})

	// Bad images inside a data set: every one is named in a warning, the
	// count comes at the end, and --strict stops at the first.
	bad := filepath.Join(root, "bad")
	copyDigits(t, bad, 0, map[string]string{"0": "0", "1": "1", "2": "2"})
	writeBytes(t, filepath.Join(bad, "0", "empty.png"), nil)
	writeBytes(t, filepath.Join(bad, "1", "notes.jpg"), []byte("not an image"))
	writeBytes(t, filepath.Join(bad, "2", "huge.png"), pngHeader(100000, 100000))
	badFiles := []string{"0/empty.png: not a valid image: empty file", "1/notes.jpg: not a valid image: unknown format",
		"2/huge.png: image is 100000x100000"}
	t.Run("bad images skipped in train", func(t *testing.T) {
		r := train(t, bad, "--test-split", "0")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		out := r.stdout + r.stderr
		for _, b := range badFiles {
			if strings.Count(out, "warning: skipping "+filepath.Join(bad, filepath.FromSlash(b))) != 1 {
				t.Errorf("no single warning for %s in\n%s", b, out)
			}
		}
		if !strings.Contains(out, "warning: skipped 3 image(s), each named above") {
			t.Errorf("no count of skipped images in\n%s", out)
		}
	})
	// The first bad image met stops a --strict run, whichever it is.
	wantFirstBad := func(t *testing.T, r result) {
		t.Helper()
		wantError(t, r)
		for _, b := range badFiles {
			if strings.Contains(r.stderr, filepath.Join(bad, filepath.FromSlash(b))) {
				return
			}
		}
		t.Errorf("error %q names none of the bad images", r.stderr)
	}
	t.Run("bad images with --strict", func(t *testing.T) {
		wantFirstBad(t, train(t, bad, "--test-split", "0", "--strict"))
	})
	t.Run("bad images in eval", func(t *testing.T) {
		model := hostileModel(t, t.TempDir())
		r := siamese(t, root, "eval", "--model", model, "--data", bad, "--pairs", "500")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		// Eval decodes only the images its pairs use, so it may not meet
		// every bad one; each it meets is named once, then counted.
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		warned := map[string]bool{}
		for _, l := range lines[:len(lines)-1] {
			known := false
			for _, b := range badFiles {
				if strings.HasPrefix(l, "warning: skipping "+filepath.Join(bad, filepath.FromSlash(b))) {
					if warned[b] {
						t.Errorf("%s warned twice", b)
					}
					warned[b], known = true, true
				}
			}
			if !known {
				t.Errorf("unexpected line on stderr: %q", l)
			}
		}
		if len(warned) == 0 {
			t.Errorf("no warning about the bad images:\n%s", r.stderr)
		}
		if want := fmt.Sprintf("warning: skipped %d image(s), each named above", len(warned)); lines[len(lines)-1] != want {
			t.Errorf("stderr ends %q, want %q", lines[len(lines)-1], want)
		}
		wantFirstBad(t, siamese(t, root, "eval", "--model", model, "--data", bad, "--pairs", "500", "--strict"))
	})
}

func TestHostileFlags(t *testing.T) {
	dir := t.TempDir()
	data := abs(t, digits)
	config := func(name, text string) string { return writeBytes(t, filepath.Join(dir, name), []byte(text)) }
	tests := []struct {
		name  string
		flags []string
		want  string
	}{
		{"zero margin", []string{"--margin", "0"}, "--margin must be > 0, got 0"},
		{"negative margin", []string{"--margin", "-1"}, "--margin must be > 0, got -1"},
		{"zero epochs", []string{"--epochs", "0"}, "--epochs must be >= 1, got 0"},
		{"negative epochs", []string{"--epochs", "-3"}, "--epochs must be >= 1, got -3"},
		{"zero batch", []string{"--batch-size", "0"}, "--batch-size must be >= 1, got 0"},
		{"negative batch", []string{"--batch-size", "-8"}, "--batch-size must be >= 1, got -8"},
		{"zero lr", []string{"--lr", "0"}, "--lr must be a finite number > 0, got 0"},
		{"negative lr", []string{"--lr", "-0.1"}, "--lr must be a finite number > 0, got -0.1"},
		{"infinite lr", []string{"--lr", "inf"}, "--lr must be a finite number > 0, got +Inf"},
		{"nan weight decay", []string{"--weight-decay", "nan"}, "--weight-decay must be a finite number >= 0, got NaN"},
		{"zero size", []string{"--size", "0"}, "--size must be >= 4, got 0"},
		{"negative size", []string{"--size", "-28"}, "--size must be >= 4, got -28"},
		{"huge size", []string{"--size", "100000"}, "--size 100000: image size 100000 is outside 1 to 65536"},
		{"size too big for the tower", []string{"--size", "3000"}, "--size 3000: the input holds 9e+06 values per image"},
		{"splits sum to 1", []string{"--val-split", "0.5", "--test-split", "0.5"}, "they must sum to less than 1"},
		{"splits over 1", []string{"--val-split", "0.7", "--test-split", "0.5"}, "they must sum to less than 1"},
		{"unknown loss", []string{"--loss", "hinge"}, `unknown loss "hinge" (valid: contrastive, `},
		{"unknown optimizer", []string{"--optimizer", "adamw"}, `unknown --optimizer "adamw" (valid: adam, rmsprop, sgd)`},
		{"unknown schedule", []string{"--lr-schedule", "warmup"}, `unknown --lr-schedule "warmup" (valid: none, step, cosine)`},
		{"two channels", []string{"--channels", "2"}, "--channels must be 1, 3 or auto, got 2"},
		{"zero temperature", []string{"--loss", "ntxent", "--batches", "classes", "--temperature", "0"}, "ntxent loss: temperature must be > 0, got 0"},
		{"NaN shift", []string{"--augment-shift", "NaN"}, "augment shift must be a finite number >= 0 pixels, got NaN"},
		{"shift out of the frame", []string{"--augment-shift", "28"}, "--augment-shift 28 must be below the image size, 28 px"},
		{"one image a class", []string{"--batches", "classes", "--images-per-class", "1", "--batch-size", "16", "--loss", "triplet"},
			"--images-per-class must be at least 2 with --batches classes"},
		{"not a number", []string{"--margin", "wide"}, `invalid argument "wide" for "--margin" flag`},
		{"out in a missing folder", []string{"--out", filepath.Join(dir, "no", "m.safetensors")}, "--out " + filepath.Join(dir, "no", "m.safetensors") + ": folder " + filepath.Join(dir, "no") + " does not exist"},
		{"out is a folder", []string{"--out", dir}, "--out " + dir + " is a folder"},
		{"missing config", []string{"--config", filepath.Join(dir, "none.yaml")}, "config " + filepath.Join(dir, "none.yaml") + ": no such file or directory"},
		{"config unknown key", []string{"--config", config("c1.yaml", "epochs: 2\nmargn: 1\n")},
			`c1.yaml line 2: unknown key "margn" (keys are the long flag names of ` + "`siamese train`" + `, and layers)`},
		{"config wrong type", []string{"--config", config("c2.yaml", "margin: 1\nepochs: two\n")}, `c2.yaml line 2: epochs: invalid value "two" (want an integer)`},
		{"config wrong type under a flag", []string{"--epochs", "3", "--config", config("c3.yaml", "epochs: 1.5\n")}, `c3.yaml line 1: epochs: invalid value "1.5" (want an integer)`},
		{"config bad value", []string{"--config", config("c4.yaml", "margin: -2\n")}, "--margin must be > 0, got -2"},
		{"config list for a flag", []string{"--config", config("c5.yaml", "lr: [0.1, 0.2]\n")}, "c5.yaml line 1: lr wants a single value"},
		{"config key twice", []string{"--config", config("c6.yaml", "epochs: 2\nlr: 0.1\nepochs: 3\n")}, "c6.yaml line 3: epochs is set twice (first on line 1)"},
		{"config empty value", []string{"--config", config("c7.yaml", "loss:\n")}, "c7.yaml line 1: loss has no value"},
		{"config two documents", []string{"--config", config("c8.yaml", "epochs: 2\n---\nmargin: 3\n")}, "c8.yaml line 3: a second YAML document"},
		{"config syntax", []string{"--config", config("c9.yaml", "epochs: 2\n  margin: : 1\n")}, "c9.yaml line 2: mapping values are not allowed in this context"},
		{"config not a mapping", []string{"--config", config("c10.yaml", "- epochs\n- 2\n")}, "c10.yaml line 1: want a mapping of flag names to values"},
		{"config unknown layer key", []string{"--config", config("c11.yaml", "layers:\n  - kind: conv\n    filtres: 8\n")},
			`c11.yaml line 3: layer 1: unknown layer key "filtres" (valid: `},
		{"config layer wrong type", []string{"--config", config("c12.yaml", "layers:\n  - kind: conv\n    filters: many\n    kernel: x\n")},
			`c12.yaml line 3: layer 1: filters: invalid value "many" (want an integer)`},
		{"config unknown layer kind", []string{"--config", config("c13.yaml", "layers:\n  - {kind: conv, filters: 4}\n  - {kind: attention}\n")},
			`c13.yaml line 3: layer 2 (attention): unknown layer kind "attention"`},
		{"config no layer with weights", []string{"--config", config("c15.yaml", "epochs: 1\nlayers:\n  - {kind: relu}\n  - {kind: l2norm}\n")},
			"c15.yaml line 3: layers: the tower has no layer with weights to train (conv, residual, dense or batchnorm)"},
		{"config impossible layer", []string{"--config", config("c14.yaml", "size: 8\nlayers:\n  - {kind: conv, filters: 4, kernel: 9, pad: 0}\n")},
			"c14.yaml line 3: layer 1 (conv): 8x8 input is too small for a 9x9 kernel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.safetensors")
			args := append([]string{"train", "--data", data, "--out", out, "--epochs", "1", "--pairs-per-epoch", "64", "--val-split", "0.25", "--val-pairs", "16"}, tt.flags...)
			r := siamese(t, dir, args...)
			wantError(t, r, tt.want)
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed run wrote a model")
			}
		})
	}
	t.Run("eval pairs", func(t *testing.T) {
		wantError(t, siamese(t, dir, "eval", "--pairs", "1"), "--pairs must be >= 2, got 1")
	})
	// A mistyped subcommand is an error, as a mistyped command is (cobra
	// showed the parent's help and exited 0).
	for _, args := range [][]string{{"cache", "clera"}, {"import", "bogus"}, {"bogus"}} {
		t.Run("unknown "+strings.Join(args, " "), func(t *testing.T) {
			wantError(t, siamese(t, dir, args...), `unknown command "`+args[len(args)-1]+`"`)
		})
	}
	// Output paths are checked before any work, and a device or pipe is
	// never replaced (as root, --out /dev/null replaced /dev/null).
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"export to a device", []string{"export", "--out", "/dev/null"}, "--out /dev/null is not a regular file"},
		{"export to a folder", []string{"export", "--out", dir}, "--out " + dir + " is a folder"},
		{"embed into a missing folder", []string{"embed", abs(t, digits), "--out", filepath.Join(dir, "none", "e.npy")}, "folder " + filepath.Join(dir, "none") + " does not exist"},
		{"train to a device", []string{"train", "--out", "/dev/null"}, "/dev/null is not a regular file"},
		{"eval plots under a file", []string{"eval", "--plot", filepath.Join(writeBytes(t, filepath.Join(dir, "a-file"), nil), "plots")}, "--plot " + filepath.Join(dir, "a-file", "plots") + ": not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantError(t, siamese(t, dir, tc.args...), tc.want) })
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&os.ModeDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", st.Mode(), err)
	}
	t.Run("empty cache as JSON", func(t *testing.T) {
		r := siamese(t, dir, "cache", "info", "--json", "--cache-dir", filepath.Join(dir, "no-cache"))
		if r.code != 0 || !strings.Contains(r.stdout, `"packs": []`) {
			t.Errorf("cache info --json on an empty cache: exit %d, %s; want \"packs\": []", r.code, r.stdout)
		}
	})
	// A threshold is a distance; +Inf called every pair similar and then
	// failed to print as JSON (the server answered 200 with no body), and
	// NaN quietly meant the model's own.
	for _, cmd := range [][]string{{"compare", "a.png", "b.png"}, {"search", "q.png", "--gallery", dir}, {"serve"}} {
		for _, v := range []struct{ flag, shown string }{{"inf", "+Inf"}, {"nan", "NaN"}, {"-0.5", "-0.5"}} {
			t.Run(cmd[0]+" threshold "+v.flag, func(t *testing.T) {
				r := siamese(t, dir, append(cmd, "--threshold", v.flag)...)
				wantError(t, r, "--threshold must be a finite number >= 0, got "+v.shown)
			})
		}
	}
}

// rewriteHeader edits the JSON header of a safetensors file, leaving the
// tensor data as it is.
func rewriteHeader(t *testing.T, src, dst string, edit func(hdr map[string]any)) {
	t.Helper()
	b := readBytes(t, src)
	n := binenc.LittleEndian.Uint64(b)
	var hdr map[string]any
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	edit(hdr)
	h, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	out := binenc.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(append(out, h...), b[8+n:]...)
	writeBytes(t, dst, out)
}

func TestHostileModels(t *testing.T) {
	dir := t.TempDir()
	model := hostileModel(t, dir)
	data := abs(t, digits)
	a, b := filepath.Join(data, "0", "00000.png"), filepath.Join(data, "1", "00000.png")
	good := readBytes(t, model)
	in := func(name string) string { return filepath.Join(dir, name) }

	writeBytes(t, in("picture.safetensors"), readBytes(t, a))
	writeBytes(t, in("cut.safetensors"), good[:len(good)/2])
	writeBytes(t, in("cut-header.safetensors"), good[:100])
	writeBytes(t, in("empty.safetensors"), nil)
	rewriteHeader(t, model, in("other.safetensors"), func(h map[string]any) { h["__metadata__"] = map[string]string{"format": "pt"} })
	rewriteHeader(t, model, in("reshaped.safetensors"), func(h map[string]any) {
		// Same number of values, another shape.
		w := h["layer6.dense.weight"].(map[string]any)
		shape := w["shape"].([]any)
		w["shape"] = []any{shape[1], shape[0]}
	})
	rewriteHeader(t, model, in("lying.safetensors"), func(h map[string]any) {
		// The metadata claims 100000-pixel-wide images: nothing may be
		// allocated from that before it is checked.
		md := h["__metadata__"].(map[string]any)
		var meta map[string]any
		json.Unmarshal([]byte(md["siamese"].(string)), &meta)
		meta["spec"].(map[string]any)["size"] = 100000
		s, _ := json.Marshal(meta)
		md["siamese"] = string(s)
	})

	tests := []struct {
		name, model, want string
	}{
		{"missing", in("none.safetensors"), "load model " + in("none.safetensors") + ": no such file (train one with `siamese train`, or pass --model)"},
		{"a folder", dir, "load model " + dir + ": is a folder, not a model file"},
		{"empty", in("empty.safetensors"), "empty.safetensors: empty file"},
		{"not safetensors", in("picture.safetensors"), "picture.safetensors: not a safetensors file"},
		{"truncated", in("cut.safetensors"), "cut.safetensors: file is truncated: the tensors need"},
		{"truncated header", in("cut-header.safetensors"), "cut-header.safetensors: file is truncated: its header alone is"},
		{"another program's", in("other.safetensors"), "other.safetensors: a safetensors file from another program"},
		{"shape disagrees", in("reshaped.safetensors"), "reshaped.safetensors: tensors disagree with the metadata: weight tensor layer6.dense.weight has shape"},
		{"lying metadata", in("lying.safetensors"), "lying.safetensors: bad siamese metadata: tower: image size 100000 is outside 1 to 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := siamese(t, dir, "compare", a, b, "--model", tt.model)
			wantError(t, r, tt.want)
			if r.stdout != "" {
				t.Errorf("a failed compare printed %q", r.stdout)
			}
			wantError(t, siamese(t, dir, "eval", "--model", tt.model, "--data", data, "--pairs", "20"), tt.want)
		})
	}
	t.Run("rgb model on gray images", func(t *testing.T) {
		rgb := hostileModel(t, t.TempDir(), "--channels", "3")
		wantOK(t, siamese(t, dir, "compare", a, b, "--model", rgb))
		if r := siamese(t, dir, "eval", "--model", rgb, "--data", data, "--pairs", "20"); r.code != 0 {
			t.Errorf("eval with an RGB model on gray images: exit %d: %s", r.code, r.stderr)
		}
	})
	t.Run("resume without a checkpoint", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "m.safetensors")
		r := siamese(t, dir, quickTrain(data, out, "--resume")...)
		wantError(t, r, "m.ckpt.safetensors: no such file, so there is nothing to resume")
		if r.stdout != "" { // refused before the data is read and split
			t.Errorf("--resume without a checkpoint printed %q first", r.stdout)
		}
	})
	t.Run("resume from a damaged checkpoint", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "m.safetensors")
		writeBytes(t, strings.TrimSuffix(out, ".safetensors")+".ckpt.safetensors", good[:len(good)/3])
		wantError(t, siamese(t, dir, quickTrain(data, out, "--resume")...), "m.ckpt.safetensors: file is truncated")
	})
}

// TestInterruptAndResume stops training with a signal once the first
// checkpoint exists, resumes it, and checks the model is byte for byte the
// one an uninterrupted run writes.
func TestInterruptAndResume(t *testing.T) {
	data := abs(t, digits)
	// Enough epochs that the signal, sent as soon as the first checkpoint
	// appears, arrives well before the end.
	flags := []string{"--epochs", "4", "--pairs-per-epoch", "256", "--batch-size", "32", "--val-split", "0.25",
		"--test-split", "0.25", "--val-pairs", "64"}
	trainArgs := func(out string, extra ...string) []string {
		return append(append([]string{"train", "--data", data, "--out", out}, flags...), extra...)
	}
	refDir := t.TempDir()
	if r := siamese(t, refDir, trainArgs("ref.safetensors")...); r.code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", r.code, r.stderr)
	}
	want := readBytes(t, filepath.Join(refDir, "ref.safetensors"))

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out, ckpt := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "m.ckpt.safetensors")
			// With --json (SIGTERM's run) the epoch lines go to stderr
			// and the summary, interrupted, to stdout.
			jsonOut := sig == syscall.SIGTERM
			args := trainArgs(out)
			if jsonOut {
				args = append(args, "--json")
			}
			cmd := exec.Command(binary, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				if _, err := os.Stat(ckpt); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("no checkpoint after 60s")
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			ee, ok := err.(*exec.ExitError)
			if want := 128 + int(sig); !ok || ee.ExitCode() != want {
				t.Fatalf("after %v: %v, want exit status %d; stderr %q", sig, err, want, stderr.String())
			}
			msg := strings.TrimSuffix(stderr.String(), "\n")
			if jsonOut {
				msg = msg[strings.LastIndex(msg, "\n")+1:]
				// Only what holds for a stopped run, no summary of zeros.
				var sum map[string]any
				err := json.Unmarshal(stdout.Bytes(), &sum)
				keys := slices.Sorted(maps.Keys(sum))
				if err != nil || sum["interrupted"] != true || sum["checkpoint"] != ckpt || sum["model"] != out ||
					sum["checkpoint_epoch"].(float64) < 1 || sum["epochs"].(float64) < sum["checkpoint_epoch"].(float64) ||
					!slices.Equal(keys, []string{"checkpoint", "checkpoint_epoch", "epochs", "interrupted", "model", "pairs"}) {
					t.Errorf("--json summary of the interrupted run %q (%v), want interrupted, the model, the epochs, the checkpoint and its epoch", stdout.String(), err)
				}
			}
			if !strings.HasPrefix(msg, "interrupted: checkpoint of epoch ") || strings.Contains(msg, "\n") || !strings.Contains(msg, ckpt) {
				t.Errorf("stderr %q, want one line naming the checkpoint", stderr.String())
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("an interrupted run wrote the model")
			}
			// The log of the epochs finished is there, for deciding
			// whether to resume.
			// (named after the checkpoint: a finished model of the same
			// --out keeps its own log).
			if b, err := os.ReadFile(strings.TrimSuffix(ckpt, ".safetensors") + ".log.csv"); err != nil || strings.Count(string(b), "\n") < 2 {
				t.Errorf("an interrupted run left no log of its finished epochs: %q, %v", b, err)
			}
			if _, err := os.Stat(strings.TrimSuffix(out, ".safetensors") + ".log.csv"); err == nil {
				t.Error("an interrupted run wrote the model's log")
			}
			// The checkpoint is complete: it loads as the model of its best
			// epoch so far, with that epoch's threshold, so an image is
			// still the same kind as itself.
			img := filepath.Join(data, "0", "00000.png")
			if r := siamese(t, dir, "compare", img, img, "--model", ckpt, "--json"); r.code != 0 {
				t.Errorf("the checkpoint left behind does not load: %s", r.stderr)
			} else {
				var got struct {
					Threshold float64 `json:"threshold"`
					Similar   bool    `json:"similar"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Threshold <= 0 || !got.Similar {
					t.Errorf("compare an image with itself on the checkpoint: %s (%v), want a positive threshold and similar", r.stdout, err)
				}
			}
			// The model's own name points at the checkpoint.
			wantError(t, siamese(t, dir, "compare", img, img, "--model", out), "pass --model "+ckpt)
			r := siamese(t, dir, trainArgs(out, "--resume")...)
			if r.code != 0 {
				t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
			}
			if got := readBytes(t, out); !bytes.Equal(got, want) {
				t.Errorf("resumed model (%d bytes) differs from the uninterrupted one (%d bytes)", len(got), len(want))
			}
			if _, err := os.Stat(ckpt); err == nil {
				t.Error("the checkpoint outlived the finished model")
			}
			if _, err := os.Stat(strings.TrimSuffix(ckpt, ".safetensors") + ".log.csv"); err == nil {
				t.Error("the checkpoint's log outlived the finished model")
			}
			if _, err := os.Stat(strings.TrimSuffix(out, ".safetensors") + ".log.csv"); err != nil {
				t.Errorf("the finished model has no log: %v", err)
			}
		})
	}
}

// TestUnusedFlagsWarn: a flag the chosen loss, batches or mining do not
// use is named in a warning (each was silently ignored), and a run whose
// flags all apply warns of none.
func TestUnusedFlagsWarn(t *testing.T) {
	dir := t.TempDir()
	base := []string{"train", "--data", abs(t, digits), "--epochs", "1", "--pairs-per-epoch", "64", "--val-split", "0.25", "--val-pairs", "16", "--cache-dir", "off"}
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"contrastive pairs", []string{"--temperature", "5", "--huber-delta", "7", "--images-per-class", "8", "--mining-fraction", "0.9"},
			[]string{"--temperature has no effect", "--huber-delta has no effect", "--images-per-class has no effect", "--mining-fraction has no effect"}},
		{"ntxent class batches", []string{"--batches", "classes", "--loss", "ntxent", "--batch-size", "16", "--margin", "3"}, []string{"--margin has no effect"}},
		{"colour augmentation of gray digits", []string{"--augment-hue", "30", "--augment-gray", "0.5"}, []string{"--augment-hue, --augment-gray: colour augmentation has no effect"}},
		{"every flag used", []string{"--loss", "huber", "--huber-delta", "0.5", "--mining", "semi-hard", "--mining-fraction", "0.3"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := siamese(t, dir, append(append(base, "--out", filepath.Join(t.TempDir(), "m.safetensors")), tc.flags...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, "warning: "+w) {
					t.Errorf("stderr does not warn %q:\n%s", w, r.stderr)
				}
			}
			if n := strings.Count(r.stderr, "has no effect"); n != len(tc.want) {
				t.Errorf("%d no-effect warnings, want %d:\n%s", n, len(tc.want), r.stderr)
			}
		})
	}
}

// TestClassBatchRepeatsWarn: class batches that must repeat a class's
// images (8 training images a class on testdata/digits, 16 places) say so,
// and that the copies are identical without --augment.
func TestClassBatchRepeatsWarn(t *testing.T) {
	r := siamese(t, t.TempDir(), "train", "--data", abs(t, digits), "--epochs", "1", "--pairs-per-epoch", "64", "--val-split", "0.25",
		"--val-pairs", "16", "--cache-dir", "off", "--batches", "classes", "--loss", "contrastive", "--out", filepath.Join(t.TempDir(), "m.safetensors"), "--json")
	if r.code != 0 || !strings.Contains(r.stderr, "class batches repeat their images, which without --augment are identical copies") {
		t.Errorf("exit %d, stderr:\n%s\nwant a warning that images repeat", r.code, r.stderr)
	}
	// Its "pairs" are images, and the summary says so.
	if !strings.Contains(r.stdout, `"unit": "images"`) {
		t.Errorf("train --json of class batches: %s, want unit images", r.stdout)
	}
}

// TestServePortInUse: serve with an address already taken says so at
// once, in one line, before it reads the gallery (which on a large one
// takes minutes): no embedding cache is written there.
func TestServePortInUse(t *testing.T) {
	dir := t.TempDir()
	if r := siamese(t, dir, smallTrain(abs(t, digits), "m.safetensors")...); r.code != 0 {
		t.Fatalf("train: exit %d %s", r.code, r.stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback: %v", err)
	}
	defer ln.Close()
	gallery := filepath.Join(dir, "gallery")
	if err := os.CopyFS(gallery, os.DirFS(abs(t, digits))); err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	wantError(t, siamese(t, dir, "serve", "--model", "m.safetensors", "--gallery", gallery, "--addr", addr), "--addr "+addr, "in use")
	if cached, _ := filepath.Glob(filepath.Join(gallery, ".siamese-*")); len(cached) != 0 {
		t.Errorf("the gallery was read before the port was refused: %v", cached)
	}
}

// TestServeZeroLimits: a limit of 0 typed on the command line is refused,
// not served by the default it stands for in the Go API.
func TestServeZeroLimits(t *testing.T) {
	for flag, want := range map[string]string{"--max-body": "be positive", "--max-in-flight": "be positive", "--max-batch": "be at least 2"} {
		wantError(t, siamese(t, t.TempDir(), "serve", flag, "0"), flag+" must "+want+", got 0")
	}
	// Checked before the port is taken: a port in use does not hide them.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback: %v", err)
	}
	defer ln.Close()
	wantError(t, siamese(t, t.TempDir(), "serve", "--addr", ln.Addr().String(), "--index-above", "-1"), "--index-above and --ef-search must not be negative")
	wantError(t, siamese(t, t.TempDir(), "serve", "--addr", ln.Addr().String(), "--max-pixels", "-1"), "--max-pixels -1 must not be negative")
	wantError(t, siamese(t, t.TempDir(), "serve", "--addr", ln.Addr().String(), "--read-timeout", "-1s"), "must not be negative, got -1s")
}

// TestDanglingLinkInFolder: an image that is a link to nothing is reported
// as unreadable by every command that reads a folder (skipped with a
// warning, or the error of --strict), not left out without a word.
func TestDanglingLinkInFolder(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	if err := os.CopyFS(data, os.DirFS(abs(t, digits))); err != nil {
		t.Fatal(err)
	}
	if r := siamese(t, dir, smallTrain(data, "m.safetensors")...); r.code != 0 {
		t.Fatalf("train: exit %d %s", r.code, r.stderr)
	}
	link := filepath.Join(data, "3", "gone.png")
	if err := os.Symlink(filepath.Join(dir, "nowhere.png"), link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	ref := filepath.Join(data, "0", "00000.png")
	for _, args := range [][]string{
		smallTrain(data, "m2.safetensors"),
		{"embed", data, "--model", "m.safetensors"},
		{"compare", ref, data, "--model", "m.safetensors"},
		{"search", ref, "--gallery", data, "--model", "m.safetensors"},
	} {
		r := siamese(t, dir, args...)
		if r.code != 0 || !strings.Contains(r.stderr, "skipping "+link+": no such file or directory") {
			t.Errorf("%s: exit %d, stderr %q; want a warning naming %s", args[0], r.code, r.stderr, link)
		}
		wantError(t, siamese(t, dir, append(args, "--strict")...), link+": no such file or directory")
	}
}

// TestCacheFolderCannotBeMade: a cache folder that cannot be created (here
// under a file; for a service account, under a home folder that is not
// there) costs a warning, not the training: the cache only saves time.
func TestCacheFolderCannotBeMade(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	writeBytes(t, file, []byte("x"))
	r := siamese(t, dir, smallTrain(abs(t, digits), "m.safetensors", "--cache-dir", filepath.Join(file, "cache"))...)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: cache "+filepath.Join(file, "cache")) || !strings.Contains(r.stderr, "decoding without the cache") {
		t.Errorf("exit %d, stderr %q; want a warning and a model", r.code, r.stderr)
	}
}

// TestWrongArgumentCount: too few or too many arguments get one line that
// says what the command takes, not cobra's bare count.
func TestWrongArgumentCount(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "a.png"}, "compare takes an image A and one or more images or folders B to compare it with, got 1 argument(s)"},
		{[]string{"embed"}, "embed takes one or more images or folders to embed, got 0 argument(s)"},
		{[]string{"search", "a.png", "b.png"}, "search takes one query image (the images to search are --gallery DIR), got 2 argument(s)"},
	} {
		wantError(t, siamese(t, t.TempDir(), tc.args...), tc.want, "usage: siamese "+tc.args[0])
	}
}

// TestCheckpointCannotBeSaved: a checkpoint that cannot be written (here
// its name is taken by a folder; in the field, a disk with room for the
// model but not for the checkpoint's optimiser state) is warned about and
// training goes on to save the model; the folder is left alone.
func TestCheckpointCannotBeSaved(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "m.ckpt.safetensors")
	if err := os.Mkdir(ckpt, 0o755); err != nil {
		t.Fatal(err)
	}
	r := siamese(t, dir, smallTrain(abs(t, digits), "m.safetensors")...)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: save "+"m.ckpt.safetensors: is a folder; training goes on") {
		t.Errorf("exit %d, stderr %q; want a warning and a model", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.safetensors")); err != nil {
		t.Errorf("no model: %v", err)
	}
	if st, err := os.Stat(ckpt); err != nil || !st.IsDir() {
		t.Errorf("the folder named like the checkpoint is gone: %v", err)
	}
}
