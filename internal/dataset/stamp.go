package dataset

import "io/fs"

// Stamp is what tells a file unchanged since it was decoded or embedded,
// in nanoseconds since 1970: the later of its modification time and, where
// the system keeps one, its inode change time. The modification time
// alone is copied by cp -p, rsync -t and tar, so a file replaced by
// another of the same size kept its old cache entry; the change time is
// set by the kernel on every write, rename and touch, and no program sets
// it back. (A chmod or chown, or a new hard link to the file, as cp -al
// and rsync --link-dest make, changes it too, and costs one decoding.) 0
// when the file system keeps no times (an embedded one).
func Stamp(fi fs.FileInfo) int64 {
	m := fi.ModTime()
	if m.IsZero() {
		return 0
	}
	return max(m.UnixNano(), changeTime(fi))
}
