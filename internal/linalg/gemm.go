package linalg

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
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
	gemm(kernels(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// chosen is the kernel set Gemm uses: until ChooseKernels runs, the set
// the environment names or else the CPU's widest (defaultKernels).
var chosen struct {
	ks     atomic.Pointer[kernelSet]
	timing sync.Once
}

func kernels() *kernelSet {
	if ks := chosen.ks.Load(); ks != nil {
		return ks
	}
	chosen.ks.CompareAndSwap(nil, defaultKernels())
	return chosen.ks.Load()
}

// Kernels names the kernel set Gemm uses now ("avx512x12", "avx512",
// "avx2" or "generic").
func Kernels() string { return kernels().name }

// ChooseKernels times the assembly kernel sets this CPU runs on products
// shaped like the network's, makes Gemm use the fastest from then on, and
// returns its name; when SIAMESE_KERNELS names a set, that one, untimed.
// The timing takes about 30 ms and is done once a process: a training
// run or a server calls it before its work, while the machine is quiet,
// and a one-off comparison does not pay for it. Kernels tuned on one core
// lose on another (Zen 4 has one 512-bit multiply-add unit, Intel's Xeons
// two), so this is measured rather than read from the CPU's flags. The
// assembly sets give the same bits (TestAssemblySetsAgree), so a model
// does not depend on which wins.
func ChooseKernels() string {
	chosen.timing.Do(func() { chosen.ks.Store(bestKernels()) })
	return Kernels()
}

// defaultKernels is the set the environment names, if this CPU runs it
// (see kernelsEnv), or else the last of kernelSets, the widest tiles.
func defaultKernels() *kernelSet {
	sets := kernelSets()
	if ks := namedKernels(sets, os.Getenv(kernelsEnv)); ks != nil {
		return ks
	}
	return sets[len(sets)-1]
}

// bestKernels is the set the environment names, if this CPU runs it, or
// else the fastest on this machine (see fastestKernels).
func bestKernels() *kernelSet {
	sets := kernelSets()
	if ks := namedKernels(sets, os.Getenv(kernelsEnv)); ks != nil {
		return ks
	}
	return fastestKernels(sets, timeKernels)
}

// kernelsEnv names the environment variable that picks a kernel set by
// name, "avx512x12", "avx512", "avx2" or "generic", to measure one set or
// to see here how the program runs on a CPU without AVX-512 (or without
// AVX2): avx2 and generic also keep the Winograd transforms and the
// pooling off AVX-512 (namesNarrowKernels), as the process starts. A name
// the CPU cannot run, or any other value, is ignored. Speed
// is all it changes: the assembly sets give the same bits
// (TestAssemblySetsAgree), while generic, without fused multiply-adds,
// changes the last bits of results.
const kernelsEnv = "SIAMESE_KERNELS"

// namesNarrowKernels reports whether name, the value of SIAMESE_KERNELS,
// picks a set without AVX-512: the passes beside the product then keep to
// AVX2 as well, so the program runs as on a CPU without AVX-512.
func namesNarrowKernels(name string) bool {
	return name == "avx2" || name == "generic"
}

// namedKernels returns the set called name among sets, or nil.
func namedKernels(sets []*kernelSet, name string) *kernelSet {
	for _, s := range sets {
		if s.name == name {
			return s
		}
	}
	return nil
}

// fastestKernels returns the set among sets (generic first) that time
// scores lowest. The pure-Go set is timed only when it is the only one:
// it rounds differently, and every model would then depend on a timing.
// The assembly sets all give the same bits, so which one wins a close
// race changes only speed.
func fastestKernels(sets []*kernelSet, time func([]*kernelSet) []float64) *kernelSet {
	if len(sets) > 1 {
		sets = sets[1:]
	}
	if len(sets) == 1 {
		return sets[0]
	}
	scores := time(sets)
	best := 0
	for i, s := range scores {
		if s < scores[best] {
			best = i
		}
	}
	return sets[best]
}

// timeKernels times each set on products shaped like the network's
// (benchShapes in bench_test.go: a Winograd product and its kernel
// gradient, the dense layer forward and its weight gradient, a strided
// convolution of the photos tower) and returns, per set, the sum over the
// shapes of the fastest of timingRuns runs, taken in turns so that a burst
// of other load slows every set alike. About 30 ms on a 2-core Zen 4
// (BenchmarkKernelChoice).
func timeKernels(sets []*kernelSet) []float64 {
	// Two sets can be within 10% of each other (the 8- and 12-row ones on
	// an Intel Xeon), where noise can still pick the slower; more runs
	// make that rarer, and it then costs under 10% of the products.
	const timingRuns = 8
	shapes := []struct {
		transA  bool
		m, n, k int
	}{{false, 98, 64, 32}, {true, 32, 64, 98}, {false, 64, 128, 3136}, {true, 3136, 128, 64}, {false, 256, 32, 288}}
	scores := make([]float64, len(sets))
	for _, sh := range shapes {
		a := make([]float32, sh.m*sh.k)
		b := make([]float32, sh.k*sh.n)
		c := make([]float32, sh.m*sh.n)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		for i := range b {
			b[i] = float32(i%5) - 2
		}
		lda := sh.k
		if sh.transA {
			lda = sh.m
		}
		fastest := make([]time.Duration, len(sets))
		for run := range timingRuns + 1 { // the first warms the caches and is not kept
			for i, ks := range sets {
				start := time.Now()
				gemm(ks, sh.transA, false, sh.m, sh.n, sh.k, 1, a, lda, b, sh.n, 0, c, sh.n)
				if d := time.Since(start); run == 1 || run > 1 && d < fastest[i] {
					fastest[i] = d
				}
			}
		}
		for i, d := range fastest {
			scores[i] += d.Seconds()
		}
	}
	return scores
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
	// warmed is what warmRows last read, kept so that its loads are not
	// dead code.
	warmed float32
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
	kc := ks.pass(k)
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

			if !transB && ncb > nr && kcb*ncb >= warmFloats {
				ws.warmed = warmRows(b[pc*ldb+jc:], kcb, ncb, ldb)
			}
			var bBlock []float32
			if transB {
				bBlock = floats(&ws.b, kcb*roundUp(ncb, nr))
				for jr := 0; jr < ncb; jr += nr {
					cols := min(nr, ncb-jr)
					ks.packBPanel(bBlock[jr*kcb:], transB, b, ldb, pc, kcb, jc+jr, cols, ks.panelWidth(cols))
				}
			}

			for ic := 0; ic < m; ic += ks.mc {
				mcb := min(ks.mc, m-ic)
				var aBlock, aEdge []float32
				if packAllA {
					aBlock = floats(&ws.a, kcb*roundUp(mcb, mr))
					for ir := 0; ir < mcb; ir += mr {
						packAPanel(aBlock[ir*kcb:], transA, a, lda, ic+ir, min(mr, mcb-ir), pc, kcb, mr)
					}
				} else if es, rest := ks.lastTile(mcb); rest < es.mr {
					aEdge = floats(&ws.aEdge, kcb*es.mr)
					packAPanel(aEdge, transA, a, lda, ic+mcb-rest, rest, pc, kcb, es.mr)
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

					for ir := 0; ir < mcb; {
						ts, rows := ks.rowTile(mcb - ir)
						var aPanel []float32
						aStride := ts.mr
						rowMajor := false
						switch {
						case packAllA:
							aPanel = aBlock[ir*kcb:]
						case rows < ts.mr:
							aPanel = aEdge
						case transA:
							aPanel = a[pc*lda+ic+ir:]
							aStride = lda
						default:
							aPanel = a[(ic+ir)*lda+pc:]
							aStride = lda
							rowMajor = true
						}
						cTile := c[(ic+ir)*ldc+jc+jr:]
						if run := ts.run(rowMajor, narrow); run != nil && rows == ts.mr && (ts.partial || cols == w) {
							// Every full tile left in the block, in one call.
							tiles, aStep := (mcb-ir)/ts.mr, ts.mr
							if rowMajor {
								aStep = ts.mr * lda
							}
							run(kcb, aPanel, aStride, aStep, bPanel, bStride, cTile, ldc, alpha, betaPass, tiles, cols)
							ir += tiles * ts.mr
							continue
						}
						tile := ts.tile(rowMajor, narrow)
						if ts.partial || (rows == ts.mr && cols == w) {
							tile(kcb, aPanel, aStride, bPanel, bStride, cTile, ldc, alpha, betaPass, rows, cols)
						} else {
							scratch := floats(&ws.tile, ts.mr*w)
							tile(kcb, aPanel, aStride, bPanel, bStride, scratch, w, 1, 0, ts.mr, w)
							mergeTile(cTile, ldc, scratch, w, rows, cols, alpha, betaPass)
						}
						ir += rows
					}
				}
			}
		}
	}
}

// pass is the length of gemm's passes over a sum of k products: k split
// into equal passes of at most kc rather than kc-sized ones and a
// remainder, so that no pass is short enough to be dominated by loop
// overhead. Each pass is summed on its own and added to C, so a kernel
// that must give gemm's bits (PooledGradProducts) takes the same passes.
func (ks *kernelSet) pass(k int) int { return ceilDiv(k, ceilDiv(k, ks.kc)) }

// warmFloats is the smallest block of B read in place that gemm reads
// through once, row by row, before its kernels read it (warmRows): a
// block of L1's size or less is cheap to miss, or already there.
const warmFloats = 16 << 10

// warmRows reads one float of every cache line of the rows×cols block at
// b, row after row, so that the block is in cache when the kernels read
// it. They read a panel of nr columns at a time, one or two lines of each
// row, rows ldb floats apart: a pattern the CPU's prefetchers follow
// badly, where whole rows in order is the one they follow best. On the
// dense layer's forward product (64×3136 by 3136×128, B read in place)
// from memory, not cache, this took a product from 0.72 ms to 0.36-0.38
// (one core, Zen 5; 0.29 ms from cache), and reading the blocks of A or C
// first did not pay (BenchmarkGemmCold; docs/RESULTS.md, twenty-second
// pass). It returns the sum of what it
// read, for the caller to store, or the compiler would drop the loads.
func warmRows(b []float32, rows, cols, ld int) float32 {
	const lineFloats = 64 / 4
	var sum float32
	for r := range rows {
		row := b[r*ld : r*ld+cols]
		for j := 0; j < len(row); j += lineFloats {
			sum += row[j]
		}
	}
	return sum
}

// rowTile is the set whose kernels compute the next tile of a block with
// left rows still to do, and the tile's height: the set's own, or, for a
// block's last rows, the first of its edge sets (down the chain) that
// they fill. 64 rows in 12-row tiles are five and one of 4, not six; 9
// rows are 8 read in place and 1 packed into a 2-row tile, not 9 packed
// into a tile of 12, since packing the rows of A costs more than the
// products of a tile.
func (ks *kernelSet) rowTile(left int) (*kernelSet, int) {
	if left < ks.mr && ks.edge != nil {
		return ks.edge.rowTile(left)
	}
	return ks, min(ks.mr, left)
}

// lastTile is the set and the height of the last tile of a block of rows
// (from rowTile): only it can be shorter than its set's tile, and then its
// rows of A are packed.
func (ks *kernelSet) lastTile(rows int) (*kernelSet, int) {
	ts, h := ks.rowTile(rows)
	for h < rows {
		rows -= h
		ts, h = ks.rowTile(rows)
	}
	return ts, rows
}

// panelWidth is the width of the B panel holding cols columns: a narrow
// panel when the set has narrow kernels and the columns fit one.
func (ks *kernelSet) panelWidth(cols int) int {
	if ks.narrowKMajor != nil && cols <= ks.nr/2 {
		return ks.nr / 2
	}
	return ks.nr
}

// run is the kernel computing several full tiles at once for an A panel
// layout read in place, or nil: a narrow panel, or a set without them.
func (ks *kernelSet) run(rowMajor, narrow bool) runFunc {
	switch {
	case narrow:
		return nil
	case rowMajor:
		return ks.rowMajorRun
	}
	return ks.kMajorRun
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
