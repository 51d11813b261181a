//go:build amd64 && !purego

package linalg

import "golang.org/x/sys/cpu"

//go:noescape
func addAVX2(dst, src *float32, n int)

var hasAVX2 = cpu.X86.HasAVX2

func add(dst, src []float32) {
	if hasAVX2 {
		addAVX2(&dst[0], &src[0], len(src))
		return
	}
	addGo(dst, src)
}
