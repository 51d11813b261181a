//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestFullStandardOutput runs commands whose text output goes to
// /dev/full, where every write fails: each must fail too, not report
// success to a script whose results were lost.
func TestFullStandardOutput(t *testing.T) {
	dir := t.TempDir()
	m := hostileModel(t, dir)
	a, b := filepath.Join(abs(t, digits), "0", "00000.png"), filepath.Join(abs(t, digits), "1", "00000.png")
	tests := []struct {
		name string
		args []string
	}{
		{"cache info", []string{"cache", "info", "--cache-dir", dir}},
		{"compare", []string{"compare", "--model", m, a, b}},
		{"compare --json", []string{"compare", "--model", m, "--json", a, b}},
		{"embed", []string{"embed", "--model", m, a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
			if err != nil {
				t.Skipf("no /dev/full here: %v", err)
			}
			defer full.Close()
			cmd := exec.Command(binary, tt.args...)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = full, &stderr
			err = cmd.Run()
			wantError(t, result{stderr: stderr.String(), code: exitStatus(t, err)}, "no space left on device")
		})
	}
}

func exitStatus(t *testing.T, err error) int {
	t.Helper()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}
