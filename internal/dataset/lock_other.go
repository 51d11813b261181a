//go:build !unix

package dataset

// lockFile is a no-op without flock: concurrent runs over one folder may
// then each append their own copies of new images, which wastes space but
// keeps every index consistent with the blocks it names.
func lockFile(string) (func(), error) { return func() {}, nil }

// locksExclude says whether lockFile keeps other runs out: not here, so a
// pack's temporary files may be another run's, still being written.
const locksExclude = false
