//go:build unix

package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteSpecialPaths: a symbolic link is written through (its target
// replaced, the link kept); a folder, a named pipe or a device is refused
// and left as it was, where renaming over it replaced it (as root, --out
// /dev/null replaced /dev/null with a regular file).
func TestWriteSpecialPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }

	target := filepath.Join(dir, "runs", "r1.bin")
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "current.bin")
	if err := os.Symlink(filepath.Join("runs", "r1.bin"), link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, write); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("the link's target holds %q, want new", b)
	}

	fifo := filepath.Join(dir, "pipe.bin")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "not a regular file but a named pipe"},
		{filepath.Join(dir, "runs"), "is a folder"},
		{"/dev/null", "not a regular file but a device"},
	} {
		before, err := os.Lstat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := Write(tc.path, write); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.path, err, tc.want)
		}
		if after, err := os.Lstat(tc.path); err != nil || after.Mode() != before.Mode() {
			t.Errorf("%s changed: %v → %v (%v)", tc.path, before.Mode(), after.Mode(), err)
		}
	}
}
