package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refGemm is the reference: a plain triple loop over op(A) and op(B),
// accumulated in float64. It also returns, per element of C, the sum of
// the magnitudes of the terms, which scales the rounding error allowed.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			w := float64(alpha) * s
			g := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				w += float64(beta) * float64(c[i*ldc+j])
				g += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], mag[i*n+j] = w, g
		}
	}
	return want, mag
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra elements per row beyond the width of A, B and C
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%t tB=%t m=%d n=%d k=%d alpha=%g beta=%g pad=%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad)
}

// sentinel marks C elements outside the m×n matrix; they must survive.
const sentinel = float32(-12345.5)

// checkGemmCase runs one case through ks and compares with refGemm. The
// slices are exactly as long as the matrices need, so a kernel that reads
// or writes past the last element panics or is caught by the race-free
// sentinel check on the padding of C.
func checkGemmCase(t *testing.T, ks *kernelSet, tc gemmCase, rng *rand.Rand) {
	t.Helper()
	checkGemmCaseIn(t, ks, tc, rng, func(n int) []float32 { return make([]float32, n) })
}

// checkGemmCaseIn is checkGemmCase with the matrices in memory from alloc.
func checkGemmCaseIn(t *testing.T, ks *kernelSet, tc gemmCase, rng *rand.Rand, alloc func(n int) []float32) {
	t.Helper()
	rowsA, colsA := tc.m, tc.k
	if tc.transA {
		rowsA, colsA = tc.k, tc.m
	}
	rowsB, colsB := tc.k, tc.n
	if tc.transB {
		rowsB, colsB = tc.n, tc.k
	}
	lda, ldb, ldc := colsA+tc.pad, colsB+tc.pad, tc.n+tc.pad
	a := randomMatrix(alloc, rng, rowsA, colsA, lda)
	b := randomMatrix(alloc, rng, rowsB, colsB, ldb)
	c := alloc(max(0, (tc.m-1)*ldc+tc.n))
	for i := range c {
		c[i] = sentinel
	}
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			if tc.beta == 0 {
				c[i*ldc+j] = float32(math.NaN()) // must never be read
			} else {
				c[i*ldc+j] = rng.Float32()*2 - 1
			}
		}
	}
	want, mag := refGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)

	gemm(ks, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)

	const eps32 = 0x1p-23
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			got := float64(c[i*ldc+j])
			w := want[i*tc.n+j]
			tol := 2*float64(tc.k+2)*eps32*mag[i*tc.n+j] + 1e-30
			if !(math.Abs(got-w) <= tol) {
				t.Fatalf("%s %v: C[%d,%d] = %g, want %g (tol %g)", ks.name, tc, i, j, got, w, tol)
			}
		}
		for j := tc.n; j < ldc && i*ldc+j < len(c); j++ {
			if c[i*ldc+j] != sentinel {
				t.Fatalf("%s %v: padding C[%d,%d] overwritten with %g", ks.name, tc, i, j, c[i*ldc+j])
			}
		}
	}
}

// randomMatrix fills a rows×cols matrix with stride ld, the padding
// between rows set to NaN so that a kernel reading it poisons C.
func randomMatrix(alloc func(int) []float32, rng *rand.Rand, rows, cols, ld int) []float32 {
	s := alloc(max(0, (rows-1)*ld+cols))
	for i := range s {
		s[i] = float32(math.NaN())
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			s[i*ld+j] = rng.Float32()*2 - 1
		}
	}
	return s
}

var (
	testDims   = []int{1, 2, 3, 5, 7, 13, 17, 31, 33, 64, 65, 100}
	testAlphas = []float32{1, -0.5}
	testBetas  = []float32{0, 1, 0.3}
)

// combos enumerates transposes × alpha × beta.
func combos() []gemmCase {
	var cs []gemmCase
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, al := range testAlphas {
				for _, be := range testBetas {
					cs = append(cs, gemmCase{transA: tA, transB: tB, alpha: al, beta: be})
				}
			}
		}
	}
	return cs
}

// smallBlocks returns ks with tiny cache blocks, so that small shapes
// already take several passes over k, m and n and hit every block edge.
func smallBlocks(ks *kernelSet) *kernelSet {
	s := *ks
	s.name += "/small-blocks"
	s.kc, s.mc, s.nc = 7, 2*ks.mr, 2*ks.nr
	return &s
}

func TestGemmAllShapes(t *testing.T) {
	cs := combos()
	for _, ks := range testedSets() {
		t.Run(ks.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			idx := 0
			// Every (m, n, k) of testDims, cycling through the 24
			// transpose/alpha/beta combinations and two paddings.
			for _, m := range testDims {
				for _, n := range testDims {
					for _, k := range testDims {
						tc := cs[idx%len(cs)]
						tc.m, tc.n, tc.k, tc.pad = m, n, k, (idx/len(cs))%2*3
						idx++
						checkGemmCase(t, ks, tc, rng)
					}
				}
			}
		})
	}
}

func TestGemmAllCombos(t *testing.T) {
	dims := []int{1, 3, 17, 33, 65}
	for _, ks := range testedSets() {
		for _, set := range []*kernelSet{ks, smallBlocks(ks)} {
			t.Run(set.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(3, 4))
				for _, tc := range combos() {
					for _, m := range dims {
						for _, n := range dims {
							for _, k := range dims {
								tc.m, tc.n, tc.k, tc.pad = m, n, k, (m+n+k)%4
								checkGemmCase(t, set, tc, rng)
							}
						}
					}
				}
			})
		}
	}
}

// TestGemmHotShapes runs the network's shapes (conv via im2col, dense)
// and larger ones that take several cache blocks.
func TestGemmHotShapes(t *testing.T) {
	shapes := []gemmCase{
		{m: 64, n: 196, k: 288, alpha: 1},
		{transA: true, m: 288, n: 196, k: 64, alpha: 1},
		{transB: true, m: 64, n: 288, k: 196, alpha: 1, beta: 1},
		{m: 32, n: 784, k: 9, alpha: 1},
		{transB: true, m: 32, n: 9, k: 784, alpha: 1, beta: 1},
		{m: 64, n: 128, k: 3136, alpha: 1},
		{transA: true, m: 3136, n: 128, k: 64, alpha: 1},
		{transB: true, m: 64, n: 3136, k: 128, alpha: 1},
		{m: 64, n: 196 * 8, k: 288, alpha: 1},
		{transA: true, transB: true, m: 131, n: 1041, k: 517, alpha: -0.5, beta: 0.3, pad: 5},
		// B read in place, warmed a block at a time (warmRows), rows padded.
		{m: 70, n: 300, k: 600, alpha: 1, beta: 0.5, pad: 3},
	}
	for _, ks := range testedSets() {
		t.Run(ks.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			for _, tc := range shapes {
				checkGemmCase(t, ks, tc, rng)
			}
		})
	}
}

// TestGemmScaleOnly covers the cases with no product: k = 0 and alpha = 0
// give C = beta*C, and beta = 0 clears even NaN.
func TestGemmScaleOnly(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		k           int
		alpha, beta float32
		c, want     []float32
	}{
		{k: 0, alpha: 1, beta: 0, c: []float32{nan, 2, 3, 4}, want: []float32{0, 0, 0, 0}},
		{k: 0, alpha: 1, beta: 0.5, c: []float32{1, 2, 3, 4}, want: []float32{0.5, 1, 1.5, 2}},
		{k: 2, alpha: 0, beta: 1, c: []float32{1, 2, 3, 4}, want: []float32{1, 2, 3, 4}},
		{k: 2, alpha: 0, beta: 0, c: []float32{nan, nan, nan, nan}, want: []float32{0, 0, 0, 0}},
	}
	a := []float32{1, 2, 3, 4}
	b := []float32{5, 6, 7, 8}
	for _, ks := range testedSets() {
		for _, tt := range tests {
			c := append([]float32(nil), tt.c...)
			gemm(ks, false, false, 2, 2, tt.k, tt.alpha, a, max(tt.k, 1), b, 2, tt.beta, c, 2)
			for i := range c {
				if c[i] != tt.want[i] {
					t.Errorf("%s k=%d alpha=%g beta=%g: C = %v, want %v", ks.name, tt.k, tt.alpha, tt.beta, c, tt.want)
					break
				}
			}
		}
	}
}

// TestGemmHandComputed checks a product worked out by hand, for every
// transpose combination (the transposed operands hold the same matrices).
func TestGemmHandComputed(t *testing.T) {
	// op(A) = [1 2 3; 4 5 6], op(B) = [7 8; 9 10; 11 12],
	// op(A)·op(B) = [58 64; 139 154].
	a, aT := []float32{1, 2, 3, 4, 5, 6}, []float32{1, 4, 2, 5, 3, 6}
	b, bT := []float32{7, 8, 9, 10, 11, 12}, []float32{7, 9, 11, 8, 10, 12}
	want := []float32{2*58 + 0.5*1, 2*64 + 0.5*2, 2*139 + 0.5*3, 2*154 + 0.5*4}
	for _, ks := range testedSets() {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				aa, lda := a, 3
				if tA {
					aa, lda = aT, 2
				}
				bb, ldb := b, 2
				if tB {
					bb, ldb = bT, 3
				}
				c := []float32{1, 2, 3, 4}
				gemm(ks, tA, tB, 2, 2, 3, 2, aa, lda, bb, ldb, 0.5, c, 2)
				for i := range c {
					if c[i] != want[i] {
						t.Errorf("%s tA=%t tB=%t: C = %v, want %v", ks.name, tA, tB, c, want)
						break
					}
				}
			}
		}
	}
}

func TestGemmPanics(t *testing.T) {
	buf := make([]float32, 16)
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"negative m", func() { Gemm(false, false, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }, "negative dimension"},
		{"short lda", func() { Gemm(false, false, 2, 2, 3, 1, buf, 2, buf, 2, 0, buf, 2) }, "lda=2"},
		{"short ldb transposed", func() { Gemm(false, true, 2, 2, 3, 1, buf, 3, buf, 2, 0, buf, 2) }, "ldb=2"},
		{"short c", func() { Gemm(false, false, 4, 4, 2, 1, buf, 2, buf, 4, 0, buf[:15], 4) }, "len(c)=15"},
		{"short a", func() { Gemm(true, false, 4, 2, 4, 1, buf[:10], 4, buf, 2, 0, buf, 2) }, "len(a)=10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("panic %v, want one containing %q", r, tt.want)
				}
			}()
			tt.call()
		})
	}
}

// TestGemmConcurrent runs products on many goroutines at once, as the
// trainer does, each checking its own result: the pooled workspaces must
// never be shared by two calls.
func TestGemmConcurrent(t *testing.T) {
	const workers = 8
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			// Different shapes per worker, so a shared buffer would be
			// resized under another call's feet.
			m, n, k := 9+w*7, 40+w*13, 30+w*11
			a := randomMatrix(func(n int) []float32 { return make([]float32, n) }, rng, k, m, m)
			b := randomMatrix(func(n int) []float32 { return make([]float32, n) }, rng, n, k, k)
			for iter := 0; iter < 20; iter++ {
				c := make([]float32, m*n)
				Gemm(true, true, m, n, k, 1, a, m, b, k, 0, c, n)
				want, mag := refGemm(true, true, m, n, k, 1, a, m, b, k, 0, c, n)
				for i := range c {
					if d := math.Abs(float64(c[i]) - want[i]); d > 2*float64(k+2)*0x1p-23*mag[i] {
						errs <- fmt.Errorf("worker %d iteration %d: C[%d] = %g, want %g", w, iter, i, c[i], want[i])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestWarmRows checks that warmRows reads the first float of every cache
// line of each row of the block and nothing past its columns.
func TestWarmRows(t *testing.T) {
	for _, tc := range []struct {
		rows, cols, ld int
		want           float32
	}{
		{1, 1, 1, 1},                            // b[0]
		{1, 16, 16, 1},                          // one line
		{1, 17, 17, 1 + 17},                     // b[0], b[16]
		{2, 33, 40, 1 + 17 + 33 + 41 + 57 + 73}, // row 0: 0, 16, 32; row 1: 40, 56, 72
		{3, 2, 5, 1 + 6 + 11},
	} {
		b := make([]float32, (tc.rows-1)*tc.ld+tc.cols)
		for i := range b {
			b[i] = float32(i + 1)
		}
		if got := warmRows(b, tc.rows, tc.cols, tc.ld); got != tc.want {
			t.Errorf("warmRows(%d×%d, ld %d) = %v, want %v", tc.rows, tc.cols, tc.ld, got, tc.want)
		}
	}
}
