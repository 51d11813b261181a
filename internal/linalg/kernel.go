package linalg

// tileFunc computes one tile of C,
//
//	C[0:rows, 0:cols] = alpha * Â·B̂ + beta * C[0:rows, 0:cols],
//
// where Â is an mr×kc panel of A and B̂ a kc×w panel of B whose row p starts
// at b[p*ldb]. Â is read k-major (element (i, p) at a[p*lda+i]) or row major
// (a[i*lda+p]) depending on which field of kernelSet holds the function.
// beta == 0 overwrites C without reading it.
type tileFunc func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int)

// runFunc computes tiles full mr×nr tiles down a block in one call: tile t
// from the A panel at a[t*aStep:] (read as the set's kMajor or rowMajor
// kernel reads it) into C rows t*mr to t*mr+mr-1, with the same B panel.
// It spares a call, with its bounds checks, per tile: products of short
// k, such as the Winograd ones (k = 32 channels), do little work a tile.
type runFunc func(kc int, a []float32, lda, aStep int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, tiles, cols int)

// kernelSet is one family of micro-kernels and the blocking tuned for it.
type kernelSet struct {
	name   string
	mr, nr int // tile height and width

	// kMajor reads A k-major: packed panels and op(A) = Aᵀ stored as is.
	kMajor tileFunc
	// rowMajor reads A row major, so op(A) = A needs no packing; nil if
	// the set has none, and then the driver packs A k-major.
	rowMajor tileFunc
	// kMajorRun and rowMajorRun are kMajor and rowMajor over several full
	// tiles at once; nil if the set has none.
	kMajorRun, rowMajorRun runFunc
	// narrowKMajor and narrowRowMajor are nr/2 wide. The driver uses them
	// for a last panel of at most nr/2 columns, which then costs half a
	// tile instead of a whole one; nil if the set has none.
	narrowKMajor, narrowRowMajor tileFunc

	// partial reports that the tile functions handle rows < mr and
	// cols < w themselves, reading no B column at or past cols and
	// touching nothing of C outside the tile. Without it the driver pads
	// the B panel with zeros and lets the kernel write a scratch tile.
	partial bool

	// transpose writes dst[q*ldd+r] = src[r*lds+q] for r < rows and
	// q < cols, both multiples of 8: the bulk of packing a transposed
	// operand. nil packs element by element.
	transpose func(dst []float32, ldd int, src []float32, lds, rows, cols int)

	// Cache blocking: at most kc steps of k per pass (the B panel, kc×nr,
	// stays in L1 while A panels stream past it), mc rows of A and nc
	// columns of B per block (an A block mc×kc and a packed B block kc×nc
	// stay in L2).
	kc, mc, nc int

	// edge, when set, computes a block's last rows when there are no more
	// than its mr of them: a set of the same nr and panel widths, whose
	// kernels give the same bits.
	edge *kernelSet
}

// genericKernels is the pure-Go kernel set, used where no assembly kernel
// fits the CPU and under the purego build tag.
var genericKernels = kernelSet{
	name:   "generic",
	mr:     4,
	nr:     4,
	kMajor: tile4x4Generic,
	kc:     256,
	mc:     128,
	nc:     1024,
}

// tile4x4Generic is the 4×4 pure-Go micro-kernel: sixteen scalar
// accumulators, one load of each A and B element per step. rows and cols
// are always 4 (the set is not partial).
func tile4x4Generic(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	for p := 0; p < kc; p++ {
		ap := a[p*lda : p*lda+4 : p*lda+4]
		bp := b[p*ldb : p*ldb+4 : p*ldb+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	storeRow4(c[0*ldc:0*ldc+4], alpha, beta, c00, c01, c02, c03)
	storeRow4(c[1*ldc:1*ldc+4], alpha, beta, c10, c11, c12, c13)
	storeRow4(c[2*ldc:2*ldc+4], alpha, beta, c20, c21, c22, c23)
	storeRow4(c[3*ldc:3*ldc+4], alpha, beta, c30, c31, c32, c33)
}

func storeRow4(c []float32, alpha, beta float32, s0, s1, s2, s3 float32) {
	c = c[:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*s0, alpha*s1, alpha*s2, alpha*s3
		return
	}
	c[0] = alpha*s0 + beta*c[0]
	c[1] = alpha*s1 + beta*c[1]
	c[2] = alpha*s2 + beta*c[2]
	c[3] = alpha*s3 + beta*c[3]
}
