//go:build amd64 && !purego

package linalg

import (
	"os"

	"golang.org/x/sys/cpu"
)

// hasAVX2FMA gates the vector kernels of vector_amd64.s.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// hasAVX512F gates the AVX-512 twins of the Winograd tile kernels and
// of the pooling (see wideRows), unless SIAMESE_KERNELS stands for a CPU
// without AVX-512.
var hasAVX512F = cpu.X86.HasAVX512F && !namesNarrowKernels(os.Getenv(kernelsEnv))

//go:noescape
func sumSquaresAVX2(v *float32, n int) (sum, sq float64)

//go:noescape
func sumAVX2(v *float32, n int) float64

//go:noescape
func dotCentredAVX2(grad, x *float32, n int, mu float32) float64

//go:noescape
func affineCentredAVX2(out, x *float32, n int, mu, scale, shift float32)

//go:noescape
func combineCentredAVX2(out, y, x *float32, n int, a, k, mu, b float32)

//go:noescape
func reluAVX2(out, x *float32, n int)

//go:noescape
func passPositiveAVX2(out, y, grad *float32, n int)

//go:noescape
func addReLUAVX2(out, a, b *float32, n int)

//go:noescape
func maxPairsAVX2(h, x *float32, n int)

//go:noescape
func routePairsAVX2(dx, x, h, gh *float32, n int)

//go:noescape
func addIntoAVX2(out, a, b *float32, n int)

//go:noescape
func copyRunsAVX2(dst *float32, ldd int, src *float32, lds, run, count int)

//go:noescape
func evensRowsAVX2(dst *float32, ldd int, src *float32, lds, n, rows int)

//go:noescape
func addRunsAVX2(dst *float32, ldd int, src *float32, lds, run, count int)
