package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write creates or replaces the file at path with what write writes
// (buffered), with permissions 0644. Its errors leave out the temporary
// file's name, which means nothing to a user; callers add the path.
//
// A path that is a symbolic link is written through, its target replaced
// and the link kept; a path that is something other than a regular file
// (a folder, a device, a named pipe) is refused, since renaming over it
// would replace it: run as root, --out /dev/null replaced /dev/null.
func Write(path string, write func(io.Writer) error) error {
	path, err := Target(path)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(path, write)
	if err != nil {
		return err
	}
	return commit(tmp, path)
}

// File is one of the files WriteAll writes.
type File struct {
	Path  string
	Write func(io.Writer) error
}

// WriteAll writes files that must change together, such as an array and
// the file that names its rows: each is written whole to its temporary
// file first, and only when all are complete are they renamed into place.
// So a failure to write any of them (a full disk, a bad value) leaves
// every old file as it was, where two Writes in turn could leave a new
// array beside the old names. The renames follow one another, but a
// rename within a folder needs no space. Errors name the file, as
// "write PATH: ...".
func WriteAll(files ...File) error {
	tmps, targets := make([]string, 0, len(files)), make([]string, 0, len(files))
	fail := func(path string, err error) error {
		for _, t := range tmps {
			os.Remove(t)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	for _, f := range files {
		target, err := Target(f.Path)
		if err != nil {
			return fail(f.Path, err)
		}
		tmp, err := writeTemp(target, f.Write)
		if err != nil {
			return fail(f.Path, err)
		}
		tmps, targets = append(tmps, tmp), append(targets, target)
	}
	for i := range tmps {
		if err := commit(tmps[i], targets[i]); err != nil {
			tmps = tmps[i+1:]
			return fail(files[i].Path, err)
		}
	}
	return nil
}

// writeTemp writes a complete temporary file beside path (synced, 0644)
// and returns its name; on failure it leaves none.
func writeTemp(path string, write func(io.Writer) error) (name string, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", unwrap(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		return "", err
	}
	if err := w.Flush(); err != nil {
		return "", unwrap(err)
	}
	if err := tmp.Sync(); err != nil {
		return "", unwrap(err)
	}
	if err := tmp.Close(); err != nil {
		return "", unwrap(err)
	}
	// CreateTemp makes the file private; what we write is as readable as
	// any file the user makes.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", unwrap(err)
	}
	return tmp.Name(), nil
}

// commit renames the temporary file tmp over path (removing tmp if that
// fails) and makes the rename durable.
func commit(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return unwrap(err)
	}
	// Some file systems cannot sync a folder; the file is complete either
	// way, so that is not an error.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Target is the regular file that Write(path) replaces: path, or the end
// of its chain of symbolic links, missing or not; an error for a path Write
// refuses (a folder, a device, a named pipe). Callers check with it before
// long work whose result Write would then refuse.
func Target(path string) (string, error) {
	p := path
	for range 40 {
		st, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return p, nil
		case err != nil:
			return "", unwrap(err)
		case st.Mode().IsRegular():
			return p, nil
		case st.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return "", unwrap(err)
			}
			if !filepath.IsAbs(t) {
				t = filepath.Join(filepath.Dir(p), t)
			}
			p = t
		case st.IsDir():
			return "", errors.New("is a folder")
		default:
			return "", fmt.Errorf("is not a regular file but a %s, which writing would replace", kind(st.Mode()))
		}
	}
	return "", errors.New("too many levels of symbolic links")
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
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
