package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		write   func(io.Writer) error
		wantErr error
		want    string // the file afterwards
	}{
		{"replaces", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, nil, "new"},
		{"a failed write keeps the old file", func(w io.Writer) error { io.WriteString(w, "half"); return boom }, boom, "old"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.bin")
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := Write(path, tc.write); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Write: %v, want %v", err, tc.wantErr)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Errorf("file holds %q, want %q", got, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("%d entries in the folder, want only the file (no temporary left)", len(entries))
			}
			if st, _ := os.Stat(path); tc.wantErr == nil && st.Mode().Perm() != 0o644 {
				t.Errorf("mode %v, want 0644", st.Mode().Perm())
			}
		})
	}
}

func TestWriteErrorsDoNotNameTheTemporary(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "missing", "f.bin"), func(io.Writer) error { return nil })
	if err == nil || strings.Contains(err.Error(), ".tmp-") {
		t.Fatalf("Write into a missing folder: %v, want an error without the temporary name", err)
	}
}

// TestWriteAllIsAllOrNothing: when one file of several cannot be written,
// none is replaced and no temporary file is left; when all can, all are.
func TestWriteAllIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.npy"), filepath.Join(dir, "a.npy.paths.txt")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	full := errors.New("no space left on device")
	err := WriteAll(File{a, text("new")}, File{b, func(io.Writer) error { return full }})
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "write "+b+": ") {
		t.Errorf("error %v, want the second file's, naming it", err)
	}
	for _, p := range []string{a, b} {
		if got, _ := os.ReadFile(p); string(got) != "old" {
			t.Errorf("%s = %q after a failed WriteAll, want it untouched", p, got)
		}
	}
	if err := WriteAll(File{a, text("new a")}, File{b, text("new b")}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{a: "new a", b: "new b"} {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
