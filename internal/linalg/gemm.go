package linalg

import (
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// Gemm computes C = alpha*op(A)*op(B) + beta*C for dense row-major float32
// matrices, where op(X) is X or its transpose. op(A) is m×k, op(B) is k×n and
// C is m×n; lda, ldb and ldc are the row strides of A, B and C as stored.
// When beta is zero C is only written, so whatever it held (NaN included)
// does not reach the result.
//
// It runs on the calling goroutine: callers parallelise over independent
// products (one image each), which keeps every core busy on small matrices.
// It panics if a dimension is negative, a stride is shorter than its row, or
// a slice is too short for the matrix it holds.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(defaultKernels, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// defaultKernels is chosen once, from the CPU features and SIAMESE_KERNELS
// (see bestKernels), and never changed.
var defaultKernels = bestKernels()

// bestKernels is the fastest kernel set for this CPU, or, when the
// environment names one this CPU can run (see capKernels), that one.
func bestKernels() *kernelSet {
	return capKernels(kernelSets(), os.Getenv(kernelsEnv))
}

// kernelsEnv names the environment variable that picks a slower GEMM
// kernel set than the CPU's best, "avx2" or "generic", to measure here how
// the program runs on a CPU without AVX-512 (or without AVX2). A name the
// CPU cannot run, or any other value, leaves the best set. Speed is all it
// changes: avx2 gives avx512's bits (TestAVX2MatchesAVX512), while generic,
// without fused multiply-adds, changes the last bits of results.
const kernelsEnv = "SIAMESE_KERNELS"

// capKernels returns the set called name among sets (ordered slowest
// first), or the last, the fastest, if none is.
func capKernels(sets []*kernelSet, name string) *kernelSet {
	for _, s := range sets {
		if s.name == name {
			return s
		}
	}
	return sets[len(sets)-1]
}

// workspaces holds packing buffers for reuse: a training step calls Gemm
// thousands of times on the same shapes, and each goroutine then finds
// buffers of the right size without allocating.
var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// workspace is the scratch memory of one Gemm call.
type workspace struct {
	a     []float32 // packed block of A, mc×kc in k-major panels
	aEdge []float32 // last panel of A when it has fewer than mr rows
	b     []float32 // packed block of B, kc×nc in panels of nr columns
	bEdge []float32 // last panel of B, zero padded, for kernels without masks
	tile  []float32 // mr×nr scratch tile for edges of kernels without masks
}

// floats returns buf resized to n elements, reallocating only when it is
// too small, and starting on a 64-byte boundary so that a kernel's vector
// loads of packed panels never straddle cache lines.
func floats(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		const align = 64 / 4
		s := make([]float32, n+align-1)
		skip := (align - int(uintptr(unsafe.Pointer(&s[0]))/4%align)) % align
		*buf = s[skip : skip+n : skip+n]
	}
	return (*buf)[:n]
}

func gemm(ks *kernelSet, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)

	mr, nr := ks.mr, ks.nr
	// Split k into equal passes rather than kc-sized ones and a remainder,
	// so that no pass is short enough to be dominated by loop overhead.
	passes := ceilDiv(k, ks.kc)
	kc := ceilDiv(k, passes)
	packAllA := !transA && ks.rowMajor == nil

	for jc := 0; jc < n; jc += ks.nc {
		ncb := min(ks.nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			// The first pass applies the caller's beta; later passes add
			// their partial products to what the earlier ones left in C.
			betaPass := beta
			if pc > 0 {
				betaPass = 1
			}

			var bBlock []float32
			if transB {
				bBlock = floats(&ws.b, kcb*roundUp(ncb, nr))
				for jr := 0; jr < ncb; jr += nr {
					cols := min(nr, ncb-jr)
					ks.packBPanel(bBlock[jr*kcb:], true, b, ldb, pc, kcb, jc+jr, cols, ks.panelWidth(cols))
				}
			}

			for ic := 0; ic < m; ic += ks.mc {
				mcb := min(ks.mc, m-ic)
				var aBlock, aEdge []float32
				if packAllA {
					aBlock = floats(&ws.a, kcb*roundUp(mcb, mr))
					for ir := 0; ir < mcb; ir += mr {
						packAPanel(aBlock[ir*kcb:], false, a, lda, ic+ir, min(mr, mcb-ir), pc, kcb, mr)
					}
				} else if rows := mcb % mr; rows != 0 {
					aEdge = floats(&ws.aEdge, kcb*mr)
					packAPanel(aEdge, transA, a, lda, ic+mcb-rows, rows, pc, kcb, mr)
				}

				for jr := 0; jr < ncb; jr += nr {
					cols := min(nr, ncb-jr)
					w := ks.panelWidth(cols)
					narrow := w < nr

					var bPanel []float32
					bStride := w
					switch {
					case transB:
						bPanel = bBlock[jr*kcb:]
					case !ks.partial && cols < w:
						bPanel = floats(&ws.bEdge, kcb*w)
						ks.packBPanel(bPanel, false, b, ldb, pc, kcb, jc+jr, cols, w)
					default:
						bPanel = b[pc*ldb+jc+jr:]
						bStride = ldb
					}

					for ir := 0; ir < mcb; ir += mr {
						rows := min(mr, mcb-ir)
						var aPanel []float32
						aStride := mr
						rowMajor := false
						switch {
						case packAllA:
							aPanel = aBlock[ir*kcb:]
						case rows < mr:
							aPanel = aEdge
						case transA:
							aPanel = a[pc*lda+ic+ir:]
							aStride = lda
						default:
							aPanel = a[(ic+ir)*lda+pc:]
							aStride = lda
							rowMajor = true
						}
						tile := ks.tile(rowMajor, narrow)
						cTile := c[(ic+ir)*ldc+jc+jr:]
						if ks.partial || (rows == mr && cols == w) {
							tile(kcb, aPanel, aStride, bPanel, bStride, cTile, ldc, alpha, betaPass, rows, cols)
							continue
						}
						scratch := floats(&ws.tile, mr*w)
						tile(kcb, aPanel, aStride, bPanel, bStride, scratch, w, 1, 0, mr, w)
						mergeTile(cTile, ldc, scratch, w, rows, cols, alpha, betaPass)
					}
				}
			}
		}
	}
}

// panelWidth is the width of the B panel holding cols columns: a narrow
// panel when the set has narrow kernels and the columns fit one.
func (ks *kernelSet) panelWidth(cols int) int {
	if ks.narrowKMajor != nil && cols <= ks.nr/2 {
		return ks.nr / 2
	}
	return ks.nr
}

// tile picks the kernel for an A panel layout and a B panel width.
func (ks *kernelSet) tile(rowMajor, narrow bool) tileFunc {
	switch {
	case rowMajor && narrow:
		return ks.narrowRowMajor
	case rowMajor:
		return ks.rowMajor
	case narrow:
		return ks.narrowKMajor
	}
	return ks.kMajor
}

// mergeTile adds the scratch tile t, scaled by alpha, to the top-left
// rows×cols of C scaled by beta.
func mergeTile(c []float32, ldc int, t []float32, ldt, rows, cols int, alpha, beta float32) {
	for i := 0; i < rows; i++ {
		ci := c[i*ldc : i*ldc+cols]
		ti := t[i*ldt : i*ldt+cols]
		if beta == 0 {
			for j, v := range ti {
				ci[j] = alpha * v
			}
			continue
		}
		for j, v := range ti {
			ci[j] = alpha*v + beta*ci[j]
		}
	}
}

// scale sets C = beta*C, the whole product when op(A)*op(B) is zero.
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(ci)
		case 1:
		default:
			for j := range ci {
				ci[j] *= beta
			}
		}
	}
}

// checkGemm panics with a one-line message if the arguments do not
// describe matrices that fit the slices: the assembly kernels must never
// be handed a pointer past the end of a slice.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("linalg: Gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	checkMatrix("a", rowsA, colsA, a, lda)
	checkMatrix("b", rowsB, colsB, b, ldb)
	checkMatrix("c", m, n, c, ldc)
}

func checkMatrix(name string, rows, cols int, s []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("linalg: Gemm: ld%s=%d is less than the %d columns of %s", name, ld, cols, name))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("linalg: Gemm: len(%s)=%d, want at least %d for %d×%d with stride %d", name, len(s), need, rows, cols, ld))
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
