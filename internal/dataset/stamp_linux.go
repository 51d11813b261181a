package dataset

import (
	"io/fs"
	"syscall"
)

// changeTime is fi's inode change time, 0 where fi does not say it.
func changeTime(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctim.Nano()
	}
	return 0
}
