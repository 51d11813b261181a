//go:build unix

package dataset

import (
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadFileFromPipe reads an image from a named pipe, as a shell's
// <(command) gives one: it can be read only once, so it cannot be
// rewound between the header and the pixels.
func TestLoadFileFromPipe(t *testing.T) {
	img := rgbImage(3, 3, func(x, y int) color.NRGBA { return color.NRGBA{uint8(20 * x), uint8(30 * y), 7, 255} })
	data := pngBytes(t, img)
	dir := t.TempDir()
	plain := filepath.Join(dir, "a.png")
	writeFile(t, dir, "a.png", data)
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		w.Write(data)
		w.Close()
	}()
	l := Loader{Size: 3, Channels: 3}
	got, err := l.LoadFile(fifo)
	if err != nil {
		t.Fatal(err)
	}
	want, err := l.LoadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, want, 0) {
		t.Errorf("from a pipe %v, from a file %v", got, want)
	}
}

// TestLoadFileFromPipeNotAnImage: a pipe that is not an image (/dev/zero,
// noise) is refused from its first bytes, not read whole (up to a
// gigabyte) first.
func TestLoadFileFromPipeNotAnImage(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "zeros.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	written := make(chan int, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			written <- -1
			return
		}
		defer w.Close()
		n := 0
		zeros := make([]byte, 64<<10)
		for n < 64<<20 { // ends when the reader closes its end
			k, err := w.Write(zeros)
			n += k
			if err != nil {
				break
			}
		}
		written <- n
	}()
	_, err := Loader{Size: 3, Channels: 1}.LoadFile(fifo)
	if err == nil || !strings.Contains(err.Error(), "not a valid image") {
		t.Errorf("error %v, want not a valid image", err)
	}
	if n := <-written; n < 0 || n >= 64<<20 {
		t.Errorf("the pipe took %d bytes before it was refused, want it closed after its start", n)
	}
}
