//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// siameseAs runs the binary like siamese, but as user and group id, from a
// copy of it in dir (which that user must be able to read). Root reads any
// file whatever its mode, so a test of "permission denied" run as root (as
// CI runs) drops to an ordinary user for the one command instead of skipping.
func siameseAs(t *testing.T, id uint32, dir string, args ...string) result {
	t.Helper()
	bin := filepath.Join(dir, "siamese-as")
	if err := os.WriteFile(bin, readBytes(t, binary), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: id, Gid: id}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v as %d: %v", args, id, err)
	}
	return result{out.String(), errb.String(), code}
}
