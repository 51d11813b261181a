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
func tile8x16KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile8x16RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile12x32KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile12x32RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile12x16KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile12x16RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile4x32KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile4x32RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile4x16KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile4x16RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile2x32KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile2x32RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile2x16KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

//go:noescape
func tile2x16RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

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
	kMajor:         tileOf(tile8x32KMajorAVX512, 8, false),
	rowMajor:       tileOf(tile8x32RowMajorAVX512, 8, true),
	kMajorRun:      runOf(tile8x32KMajorAVX512, 8, false),
	rowMajorRun:    runOf(tile8x32RowMajorAVX512, 8, true),
	narrowKMajor:   tileOf(tile8x16KMajorAVX512, 8, false),
	narrowRowMajor: tileOf(tile8x16RowMajorAVX512, 8, true),
	partial:        true,
	transpose:      transposeBlocksAVX,
	kc:             256,
	mc:             128,
	nc:             1024,
	edge:           &avx512x4Kernels,
}

// avx512x4Kernels and avx512x2Kernels are the 4- and 2-row tiles that
// finish a block whose rows are not a multiple of 8 (see rowTile): they
// are edge sets only, never chosen to run a whole product, and have no
// runs since a block has at most one tile of each.
var avx512x4Kernels = kernelSet{
	name:           "avx512x4",
	mr:             4,
	nr:             32,
	kMajor:         tileOf(tile4x32KMajorAVX512, 4, false),
	rowMajor:       tileOf(tile4x32RowMajorAVX512, 4, true),
	narrowKMajor:   tileOf(tile4x16KMajorAVX512, 4, false),
	narrowRowMajor: tileOf(tile4x16RowMajorAVX512, 4, true),
	partial:        true,
	transpose:      transposeBlocksAVX,
	kc:             256,
	mc:             128,
	nc:             1024,
	edge:           &avx512x2Kernels,
}

var avx512x2Kernels = kernelSet{
	name:           "avx512x2",
	mr:             2,
	nr:             32,
	kMajor:         tileOf(tile2x32KMajorAVX512, 2, false),
	rowMajor:       tileOf(tile2x32RowMajorAVX512, 2, true),
	narrowKMajor:   tileOf(tile2x16KMajorAVX512, 2, false),
	narrowRowMajor: tileOf(tile2x16RowMajorAVX512, 2, true),
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
	kMajor:         tileOf(tile12x32KMajorAVX512, 12, false),
	rowMajor:       tileOf(tile12x32RowMajorAVX512, 12, true),
	kMajorRun:      runOf(tile12x32KMajorAVX512, 12, false),
	rowMajorRun:    runOf(tile12x32RowMajorAVX512, 12, true),
	narrowKMajor:   tileOf(tile12x16KMajorAVX512, 12, false),
	narrowRowMajor: tileOf(tile12x16RowMajorAVX512, 12, true),
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
	kMajor:      avx2TileOf(tile6x16KMajorAVX2, false),
	rowMajor:    avx2TileOf(tile6x16RowMajorAVX2, true),
	kMajorRun:   avx2RunOf(tile6x16KMajorAVX2, false),
	rowMajorRun: avx2RunOf(tile6x16RowMajorAVX2, true),
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

// avx512Tile is the signature of the AVX-512 tile kernels. The 16-wide
// ones compute one tile a call and ignore tiles, astep and cstep.
type avx512Tile func(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)

// tileOf wraps an AVX-512 kernel of mr rows, reading A row major or
// k-major, as a tileFunc, after indexing the last element of each operand
// it touches.
func tileOf(kernel avx512Tile, mr int, rowMajor bool) tileFunc {
	return func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
		_ = a[lastOfA(rowMajor, mr, kc, lda)]
		_ = b[(kc-1)*ldb+cols-1]
		_ = c[(rows-1)*ldc+cols-1]
		kernel(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, rows, colMask(cols), 1, 0, 0)
	}
}

// runOf wraps a 32-wide AVX-512 kernel as a runFunc: tiles full tiles
// down a block in one call (see NEXTTILE in kernel_amd64.s).
func runOf(kernel avx512Tile, mr int, rowMajor bool) runFunc {
	return func(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int) {
		_ = a[(tiles-1)*aStep+lastOfA(rowMajor, mr, kc, lda)]
		_ = b[(kc-1)*ldb+cols-1]
		_ = c[(tiles*mr-1)*ldc+cols-1]
		kernel(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, mr, colMask(cols), tiles, 4*aStep, 4*mr*ldc)
	}
}

// lastOfA is the index of the last element of an mr×kc panel of A that a
// kernel reads row major (rows lda apart) or k-major (steps lda apart).
func lastOfA(rowMajor bool, mr, kc, lda int) int {
	if rowMajor {
		return (mr-1)*lda + kc - 1
	}
	return (kc-1)*lda + mr - 1
}

// avx2Tile is the signature of the AVX2 tile kernels, which compute full
// 6×16 tiles only.
type avx2Tile func(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, tiles int, astep int, cstep int)

// avx2TileOf and avx2RunOf are tileOf and runOf for the AVX2 kernels;
// the driver hands them full tiles only (the set is not partial).
func avx2TileOf(kernel avx2Tile, rowMajor bool) tileFunc {
	return func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
		_ = a[lastOfA(rowMajor, 6, kc, lda)]
		_ = b[(kc-1)*ldb+15]
		_ = c[5*ldc+15]
		kernel(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, 1, 0, 0)
	}
}

func avx2RunOf(kernel avx2Tile, rowMajor bool) runFunc {
	return func(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int) {
		_ = a[(tiles-1)*aStep+lastOfA(rowMajor, 6, kc, lda)]
		_ = b[(kc-1)*ldb+15]
		_ = c[(tiles*6-1)*ldc+15]
		kernel(kc, &a[0], lda, &b[0], ldb, &c[0], ldc, alpha, beta, tiles, 4*aStep, 4*6*ldc)
	}
}

func transposeBlocksAVX(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	_ = dst[(cols-1)*ldd+rows-1]
	_ = src[(rows-1)*lds+cols-1]
	transposeAVX(&dst[0], ldd, &src[0], lds, rows, cols)
}
