package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write creates or replaces the file at path with what write writes
// (buffered), with permissions 0644. Its errors leave out the temporary
// file's name, which means nothing to a user; callers add the path.
func Write(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return unwrap(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return unwrap(err)
	}
	if err := tmp.Sync(); err != nil {
		return unwrap(err)
	}
	if err := tmp.Close(); err != nil {
		return unwrap(err)
	}
	// CreateTemp makes the file private; what we write is as readable as
	// any file the user makes.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return unwrap(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return unwrap(err)
	}
	// Make the rename itself durable. Some file systems cannot sync a
	// folder; the file is complete either way, so that is not an error.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// unwrap drops the *PathError or *LinkError around err, whose path would be
// the temporary file's.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
