package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExitStatus checks the statuses README promises a script: 2 for a
// command line that cannot run as written, 1 for an error met while
// running, 0 otherwise, each failure one line on stderr and nothing on
// stdout.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(abs(t, digits), "0", "00000.png")
	tests := []struct {
		name string
		args []string
		code int
		want string // in the error line
	}{
		{"unknown flag", []string{"compare", "--bogus", img, img}, 2, "unknown flag: --bogus"},
		{"too few arguments", []string{"compare", img}, 2, "compare takes an image A and one or more images or folders B"},
		{"stray argument", []string{"eval", "extra"}, 2, "eval takes no arguments, only flags, got 1 argument(s)"},
		{"unknown command, with a suggestion", []string{"trian"}, 2, `unknown command "trian" for "siamese" (did you mean train?)`},
		{"unknown subcommand", []string{"cache", "clera"}, 2, `unknown command "clera" for "siamese cache" (did you mean clear?)`},
		{"group alone", []string{"cache"}, 2, "siamese cache needs a subcommand: clear or info"},
		{"group alone, with --json", []string{"cache", "--json"}, 2, "siamese cache needs a subcommand"},
		{"import alone", []string{"import"}, 2, "siamese import needs a subcommand: idx"},
		{"required flag", []string{"search", img}, 2, `required flag(s) "gallery" not set`},
		{"cache info of no cache", []string{"cache", "info", "--cache-dir", "off"}, 2, "--cache-dir off turns train's cache off"},
		{"completion alone", []string{"completion"}, 2, "siamese completion needs a subcommand: bash or fish or powershell or zsh"},
		{"completion of no shell", []string{"completion", "tcsh"}, 2, `unknown command "tcsh" for "siamese completion"`},
		{"export without --out", []string{"export"}, 2, `required flag(s) "out" not set`},
		{"cache clear --keep-model without --gallery", []string{"cache", "clear", "--keep-model", "m.safetensors"}, 2, "--keep-model is for --gallery's caches"},
		{"two caches named", []string{"cache", "info", "--gallery", ".", "--cache-dir", "."}, 2, "--cache-dir and --gallery name two caches"},
		{"a gallery not there", []string{"cache", "info", "--gallery", "nope"}, 1, "--gallery nope: no such file or directory"},
		{"help on nothing", []string{"help", "nonexist"}, 2, `no help topic "nonexist"`},
		{"bad flag value", []string{"train", "--epochs", "x"}, 2, `invalid argument "x" for "--epochs"`},
		{"missing model", []string{"compare", "--model", "none.safetensors", img, img}, 1, "load model none.safetensors"},
		{"help", []string{"help", "train"}, 0, ""},
		{"version", []string{"version"}, 0, ""},
		{"completion script", []string{"completion", "bash"}, 0, ""},
		{"--version", []string{"--version"}, 0, ""},
		{"--help", []string{"cache", "--help"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := siamese(t, dir, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tt.code, r.stderr)
			}
			if tt.code == 0 {
				if r.stdout == "" || r.stderr != "" {
					t.Errorf("stdout %q, stderr %q; want help on stdout", r.stdout, r.stderr)
				}
				return
			}
			wantError(t, r, tt.want)
			if r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stdout %q, stderr %q; want one line on stderr only", r.stdout, r.stderr)
			}
		})
	}
}
