//go:build amd64 && !purego

package ann

import "golang.org/x/sys/cpu"

// l2sqAVX2 sums (a[i]-b[i])² over the first n values, n a multiple of 8,
// in four 8-lane FMA accumulators (distance_amd64.s).
//
//go:noescape
func l2sqAVX2(a, b *float32, n int) float32

// useAVX2 is fixed when the program starts: the CPU does not change.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// l2sq is the squared Euclidean distance: distance computations are most
// of the time of a search and of a build, and 8-lane FMAs do one in about
// a quarter of the pure-Go time. The rounding differs from l2sqGo, so a
// graph built on a CPU without AVX2 can differ (as linalg's GEMM does).
func l2sq(a, b []float32) float32 {
	n := len(a) &^ 7
	if !useAVX2 || n == 0 {
		return l2sqGo(a, b)
	}
	_ = b[len(a)-1] // the kernel trusts its pointers
	s := l2sqAVX2(&a[0], &b[0], n)
	for i := n; i < len(a); i++ {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}
