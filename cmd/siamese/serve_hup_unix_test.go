//go:build unix

package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeSIGHUP: SIGHUP does not end a server, whether it has no
// gallery (it says so), or is still loading its model and gallery when the
// signal comes (the reload is queued, and done once it serves). Before,
// the signal's default action ended both with status 129.
func TestServeSIGHUP(t *testing.T) {
	model := serveModel(t)
	// Ten copies of the digits, so that loading takes a while and the
	// signal, sent as soon as the port accepts, likely comes during it;
	// the outcome is the same if it comes after.
	gallery := t.TempDir()
	for i := range 10 {
		if err := os.CopyFS(filepath.Join(gallery, fmt.Sprint(i)), os.DirFS(abs(t, digits))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		flags []string
		want  string
	}{
		{"no gallery", nil, "SIGHUP: no --gallery to reload"},
		{"while the gallery loads", []string{"--gallery", gallery}, " reloaded: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Skipf("no loopback: %v", err)
			}
			addr := ln.Addr().String()
			ln.Close()
			cmd := exec.Command(binary, append([]string{"serve", "--model", model, "--addr", addr}, tc.flags...)...)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			var said []string
			// The port is taken before the model and the gallery load.
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if c, err := net.Dial("tcp", addr); err == nil {
					c.Close()
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatal("the server never took its port")
				}
			}
			cmd.Process.Signal(syscall.SIGHUP)
			timeout := time.After(60 * time.Second)
		wait:
			for {
				select {
				case line, ok := <-lines:
					if !ok {
						err := cmd.Wait()
						t.Fatalf("the server ended after SIGHUP (%v); it said %q", err, said)
					}
					said = append(said, line)
					if strings.Contains(line, tc.want) {
						break wait
					}
				case <-timeout:
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("no %q 60 s after SIGHUP; the server said %q", tc.want, said)
				}
			}
			cmd.Process.Signal(syscall.SIGTERM)
			for line := range lines {
				said = append(said, line)
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("after SIGTERM: %v, want a clean stop; the server said %q", err, said)
			}
		})
	}
}
