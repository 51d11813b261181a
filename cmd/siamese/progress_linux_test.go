//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: what the command writes to tty, a
// test reads from pt.
func openPTY(t *testing.T) (pt, tty *os.File) {
	t.Helper()
	pt, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	fd := int(pt.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		pt.Close()
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		pt.Close()
		t.Skipf("pseudo-terminal number: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		pt.Close()
		t.Skipf("open pseudo-terminal: %v", err)
	}
	return pt, tty
}

// onTerminal runs the binary with standard error on a terminal (cols
// wide, 0 for the default) and standard output piped, as in "siamese
// embed DIR > e.csv" typed at a shell, and returns the two.
func onTerminal(t *testing.T, dir string, cols int, args ...string) (stdout, terminal string) {
	t.Helper()
	pt, tty := openPTY(t)
	defer pt.Close()
	if cols > 0 {
		if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: uint16(cols)}); err != nil {
			t.Skipf("set the terminal's width: %v", err)
		}
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child's copy stays open; reading ends when it exits
	var seen bytes.Buffer
	read := make(chan error, 1)
	go func() { _, err := io.Copy(&seen, pt); read <- err }()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, seen.String())
	}
	// Linux answers EIO once the last writer is gone: the end of the output.
	if err := <-read; err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	return out.String(), seen.String()
}

// TestProgressBars runs each command that does long work with standard
// error on a terminal, where it draws a bar naming the work, and then
// with it captured, where it draws none; standard output, where the
// results go, never has one.
func TestProgressBars(t *testing.T) {
	dir := t.TempDir()
	data := abs(t, digits)
	if r := siamese(t, dir, smallTrain(data, "m.safetensors")...); r.code != 0 {
		t.Fatalf("train: exit %d %s", r.code, r.stderr)
	}
	idx := abs(t, filepath.Join("..", "..", "internal", "dataset", "testdata"))
	imgs, _ := filepath.Glob(filepath.Join(idx, "*images*"))
	labels, _ := filepath.Glob(filepath.Join(idx, "*labels*"))
	if len(imgs) == 0 || len(labels) == 0 {
		t.Fatalf("no IDX fixtures in %s", idx)
	}
	one := filepath.Join(data, "0", "00000.png")
	for _, tc := range []struct {
		name string
		args []string
		bar  string
	}{
		{"embed", []string{"embed", data, "--model", "m.safetensors"}, "embedding"},
		// eval's embedding bar needs more than one chunk of images.
		{"eval", []string{"eval", "--model", "m.safetensors"}, "loading images"},
		{"compare", []string{"compare", one, data, "--model", "m.safetensors"}, "embedding"},
		{"search", []string{"search", one, "--gallery", "gallery", "--model", "m.safetensors", "--exact"}, "embedding"},
		{"import", []string{"import", "idx", "--images", imgs[0], "--labels", labels[0], "--out", "imported"}, "writing"},
		// train too, with its JSON summary on the piped standard output.
		{"train", smallTrain(data, "t.safetensors", "--json"), "epoch 1/2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh folder for each run: search's cache and import's
			// output would otherwise leave nothing to do the second time.
			sub := t.TempDir()
			for _, f := range []string{"m.safetensors"} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(sub, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := tc.args
			// search keeps its embeddings in the gallery: a copy, fresh
			// for each run, so that both have images to embed.
			gallery := func() {
				os.RemoveAll(filepath.Join(sub, "gallery"))
				if err := os.CopyFS(filepath.Join(sub, "gallery"), os.DirFS(data)); err != nil {
					t.Fatal(err)
				}
			}
			gallery()
			stdout, terminal := onTerminal(t, sub, 0, args...)
			if !strings.Contains(terminal, "\r"+tc.bar) || !strings.Contains(terminal, "%") {
				t.Errorf("%v on a terminal: no %q bar in %q", args, tc.bar, terminal)
			}
			if strings.ContainsAny(stdout, "\r") {
				t.Errorf("%v: the bar reached standard output: %q", args, stdout)
			}
			os.RemoveAll(filepath.Join(sub, "imported"))
			gallery()
			r := siamese(t, sub, args...)
			if r.code != 0 || strings.ContainsAny(r.stderr+r.stdout, "\r") || strings.Contains(r.stderr, "% |") {
				t.Errorf("%v captured: exit %d, a bar in %q", args, r.code, r.stderr)
			}
		})
	}
}

// TestProgressBarFitsNarrowTerminal: on a terminal 40 columns wide every
// frame of the bar fits one line; a wider one wraps, and each redraw then
// left a line of it behind.
func TestProgressBarFitsNarrowTerminal(t *testing.T) {
	dir := t.TempDir()
	data := abs(t, digits)
	if r := siamese(t, dir, smallTrain(data, "m.safetensors")...); r.code != 0 {
		t.Fatalf("train: exit %d %s", r.code, r.stderr)
	}
	for _, cols := range []int{40, 60} {
		_, terminal := onTerminal(t, dir, cols, "embed", data, "--model", "m.safetensors")
		frames := 0
		for _, frame := range strings.Split(terminal, "\r") {
			if strings.TrimSpace(frame) == "" {
				continue
			}
			frames++
			// The last column stays free: a line that fills it makes some
			// terminals wrap at once.
			if n := utf8.RuneCountInString(strings.TrimRight(frame, "\n")); n > cols-1 {
				t.Errorf("%d columns: a frame of %d: %q", cols, n, frame)
			}
		}
		if frames == 0 {
			t.Errorf("%d columns: no bar drawn: %q", cols, terminal)
		}
	}
}
