// Package scripts holds the project's shell scripts (benchmarks, data
// fetching, result tables) and this test of their argument checks.
package scripts

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestScriptsRefuseBadArguments runs each script with a bad argument or
// environment variable: it must stop before any work (the benchmarks
// train for minutes, and their logs sit in folders they do not name) with
// one line saying what is wrong, and exit 2.
func TestScriptsRefuseBadArguments(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	for _, tc := range []struct {
		script string
		env    []string
		args   []string
		want   string
	}{
		{"bench.sh", nil, []string{"nope"}, "bench: unknown mode"},
		{"bench.sh", []string{"SEED=abc"}, nil, "bench: SEED=abc, want a whole number"},
		{"bench.sh", []string{"PAIRS=0"}, nil, "bench: PAIRS=0, want at least 1"},
		{"bench.sh", []string{"CHANNELS=2"}, nil, "bench: CHANNELS=2, want 1 or 3"},
		{"photos-icons.sh", []string{"ARMS=bogus"}, nil, "photos-icons: unknown arm bogus"},
		{"photos-icons.sh", []string{"BUDGET=abc"}, nil, "photos-icons: BUDGET=abc, want a duration"},
		{"openset.sh", []string{"SETS=bogus"}, nil, "openset: unknown set bogus"},
		{"openset.sh", []string{"SETS=glyphs", "BUDGET=10"}, nil, "openset: BUDGET=10, want a duration"},
		{"results.sh", []string{"SETS=bogus"}, nil, "results: unknown set bogus"},
		{"openset-ablation.sh", []string{"SET=bogus"}, nil, "ablation: unknown SET=bogus"},
		{"openset-ablation.sh", []string{"PASSES=abc"}, nil, "ablation: PASSES=abc, want a whole number"},
		{"loadtest.sh", nil, []string{"/nonexistent.safetensors"}, "loadtest: no model file /nonexistent.safetensors"},
		{"gemm-compare.sh", []string{"COUNT=x"}, nil, "COUNT"},
	} {
		t.Run(tc.script+" "+strings.Join(append(tc.env, tc.args...), " "), func(t *testing.T) {
			cmd := exec.Command("bash", append([]string{tc.script}, tc.args...)...)
			cmd.Env = append(cmd.Environ(), tc.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			msg := strings.TrimSuffix(stderr.String(), "\n")
			if !errors.As(err, &ee) || ee.ExitCode() != 2 || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) {
				t.Errorf("%v; stderr %q; want exit 2 and one line saying %q", err, stderr.String(), tc.want)
			}
		})
	}
}
