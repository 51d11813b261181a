//go:build unix

package dataset

import (
	"image/color"
	"os"
	"path/filepath"
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
