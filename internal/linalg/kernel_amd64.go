//go:build amd64 && !purego

package linalg

import "golang.org/x/sys/cpu"

// The assembly kernels trust their pointers, so each wrapper first indexes
// the last element the kernel will touch: a driver bug then panics with an
// index error instead of corrupting memory. See kernel_amd64.s for the
// register blocking.

//go:noescape
func tile8x32KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile8x32RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile8x16KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32)

//go:noescape
func tile8x16RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32)

//go:noescape
func tile12x32KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile12x32RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile12x16KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32)

//go:noescape
func tile12x16RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32)

//go:noescape
func tile6x16KMajorAVX2(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, tiles int, astep int, cstep int)

//go:noescape
func tile6x16RowMajorAVX2(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, tiles int, astep int, cstep int)

//go:noescape
func transposeAVX(dst *float32, ldd int, src *float32, lds int, rows int, cols int)

// avx512Kernels runs 8×32 tiles in sixteen 512-bit accumulators, with
// masked loads and stores for edge tiles.
var avx512Kernels = kernelSet{
	name:           "avx512",
	mr:             8,
	nr:             32,
	kMajor:         tile8x32KMajor,
	rowMajor:       tile8x32RowMajor,
	kMajorRun:      run8x32KMajor,
	rowMajorRun:    run8x32RowMajor,
	narrowKMajor:   tile8x16KMajor,
	narrowRowMajor: tile8x16RowMajor,
	partial:        true,
	transpose:      transposeBlocksAVX,
	kc:             256,
	mc:             128,
	nc:             1024,
}

// avx512x12Kernels is avx512Kernels with 12-row tiles (24 accumulators).
var avx512x12Kernels = kernelSet{
	name:           "avx512x12",
	mr:             12,
	nr:             32,
	kMajor:         tile12x32KMajor,
	rowMajor:       tile12x32RowMajor,
	kMajorRun:      run12x32KMajor,
	rowMajorRun:    run12x32RowMajor,
	narrowKMajor:   tile12x16KMajor,
	narrowRowMajor: tile12x16RowMajor,
	partial:        true,
	transpose:      transposeBlocksAVX,
	kc:             256,
	mc:             132,
	nc:             1024,
	edge:           &avx512Kernels,
}

// avx2Kernels runs 6×16 tiles in twelve 256-bit accumulators. Reading
// A's rows in place (rowMajor) spares packing A, a scalar pass that cost
// the thin products (32 to 64 columns) a third of their time.
var avx2Kernels = kernelSet{
	name:        "avx2",
	mr:          6,
	nr:          16,
	kMajor:      tile6x16KMajor,
	rowMajor:    tile6x16RowMajor,
	kMajorRun:   run6x16KMajor,
	rowMajorRun: run6x16RowMajor,
	transpose:   transposeBlocksAVX,
	kc:          256,
	mc:          126,
	nc:          1024,
}

// kernelSets lists every kernel set this CPU can run, the pure-Go one
// first, for bestKernels and the tests.
func kernelSets() []*kernelSet {
	sets := []*kernelSet{&genericKernels}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		sets = append(sets, &avx2Kernels)
	}
	if cpu.X86.HasAVX512F {
		sets = append(sets, &avx512Kernels, &avx512x12Kernels)
	}
	return sets
}

// colMask has the low cols bits set: lane j of the tile is live iff bit j is.
func colMask(cols int) uint32 { return uint32(1)<<uint(cols) - 1 }

func tile8x32KMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[(kc-1)*lda+7]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	tile8x32KMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols), 1, 0, 0)
}

func tile8x32RowMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[7*lda+kc-1]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	tile8x32RowMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols), 1, 0, 0)
}

// The run forms compute tiles full tiles down a block, A panels aStep
// floats apart, in one call (see NEXTTILE in kernel_amd64.s).

func run8x32KMajor(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int) {
	_ = a[(tiles-1)*aStep+(kc-1)*lda+7]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(tiles*8-1)*ldc+cols-1]
	tile8x32KMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, 8, colMask(cols), tiles, 4*aStep, 4*8*ldc)
}

func run8x32RowMajor(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int) {
	_ = a[(tiles-1)*aStep+7*lda+kc-1]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(tiles*8-1)*ldc+cols-1]
	tile8x32RowMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, 8, colMask(cols), tiles, 4*aStep, 4*8*ldc)
}

func run12x32KMajor(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int) {
	_ = a[(tiles-1)*aStep+(kc-1)*lda+11]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(tiles*12-1)*ldc+cols-1]
	tile12x32KMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, 12, colMask(cols), tiles, 4*aStep, 4*12*ldc)
}

func run12x32RowMajor(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int) {
	_ = a[(tiles-1)*aStep+11*lda+kc-1]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(tiles*12-1)*ldc+cols-1]
	tile12x32RowMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, 12, colMask(cols), tiles, 4*aStep, 4*12*ldc)
}

func tile8x16KMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[(kc-1)*lda+7]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	tile8x16KMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols))
}

func tile8x16RowMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[7*lda+kc-1]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	tile8x16RowMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols))
}

func tile12x32KMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[(kc-1)*lda+11]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	tile12x32KMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols), 1, 0, 0)
}

func tile12x32RowMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[11*lda+kc-1]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	tile12x32RowMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols), 1, 0, 0)
}

func tile12x16KMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[(kc-1)*lda+11]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	tile12x16KMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols))
}

func tile12x16RowMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[11*lda+kc-1]
	_ = b[(kc-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	tile12x16RowMajorAVX512(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols))
}

func tile6x16KMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[(kc-1)*lda+5]
	_ = b[(kc-1)*ldb+15]
	_ = c[5*ldc+15]
	tile6x16KMajorAVX2(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, 1, 0, 0)
}

func tile6x16RowMajor(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = a[5*lda+kc-1]
	_ = b[(kc-1)*ldb+15]
	_ = c[5*ldc+15]
	tile6x16RowMajorAVX2(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, 1, 0, 0)
}

func run6x16KMajor(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int) {
	_ = a[(tiles-1)*aStep+(kc-1)*lda+5]
	_ = b[(kc-1)*ldb+15]
	_ = c[(tiles*6-1)*ldc+15]
	tile6x16KMajorAVX2(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, tiles, 4*aStep, 4*6*ldc)
}

func run6x16RowMajor(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int) {
	_ = a[(tiles-1)*aStep+5*lda+kc-1]
	_ = b[(kc-1)*ldb+15]
	_ = c[(tiles*6-1)*ldc+15]
	tile6x16RowMajorAVX2(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, tiles, 4*aStep, 4*6*ldc)
}

func transposeBlocksAVX(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	_ = dst[(cols-1)*ldd+rows-1]
	_ = src[(rows-1)*lds+cols-1]
	transposeAVX(&dst[0], ldd, &src[0], lds, rows, cols)
}
