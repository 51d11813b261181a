//go:build unix

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptEndsOtherCommands sends the first Ctrl-C or SIGTERM to a
// command other than train and serve while it waits (import, opening a
// named pipe that nothing writes to): it must end at once with status 130
// (143 for SIGTERM) and one line, not catch the signal and carry on. train and serve, which
// stop cleanly on it, are TestInterruptAndResume's and the server's.
func TestInterruptEndsOtherCommands(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "images.idx")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(binary, "import", "idx", "--images", fifo, "--labels", fifo, "--out", filepath.Join(dir, "out"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// Time for the process to start and block on the pipe.
			time.Sleep(300 * time.Millisecond)
			cmd.Process.Signal(sig)
			select {
			case err := <-done:
				ee, ok := err.(*exec.ExitError)
				if want := 128 + int(sig); !ok || ee.ExitCode() != want {
					t.Fatalf("after %v: %v, want exit status %d; stderr %q", sig, err, want, stderr.String())
				}
				if msg := stderr.String(); msg != "siamese: interrupted\n" {
					t.Errorf("stderr %q, want one line saying it was interrupted", msg)
				}
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 20 s after %v: the signal was caught and ignored; stderr %q", sig, strings.TrimSpace(stderr.String()))
			}
		})
	}
}
