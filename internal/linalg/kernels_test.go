package linalg

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func kernelNames(sets []*kernelSet) []string {
	names := make([]string, len(sets))
	for i, ks := range sets {
		names[i] = ks.name
	}
	return names
}

// Which kernels the Gemm tests ran depends on the CPU (and the purego
// tag); the log says which, so a green run on a machine without AVX-512 is
// not mistaken for a test of the AVX-512 kernels. The pure-Go fallback is
// in every list: it is what Gemm uses on any CPU without the assembly.
func TestKernelSetsOnThisMachine(t *testing.T) {
	sets := kernelSets()
	names := kernelNames(sets)
	best := bestKernels()
	t.Logf("GOARCH=%s: Gemm tests ran the kernel sets %s; Gemm uses %s here", runtime.GOARCH, strings.Join(names, ", "), best.name)
	if missing := slices.DeleteFunc([]string{"generic", "avx2", "avx512"}, func(n string) bool { return slices.Contains(names, n) }); len(missing) > 0 {
		t.Logf("not tested on this machine (the CPU or build lacks them): %s", strings.Join(missing, ", "))
	}
	if len(sets) == 0 || sets[0] != &genericKernels {
		t.Errorf("kernel sets %v: the pure-Go fallback must come first, on every machine", names)
	}
	if !slices.Contains(sets, best) {
		t.Errorf("Gemm uses %s, which the tests do not run (they run %v)", best.name, names)
	}
	if defaultKernels != best {
		t.Errorf("Gemm's kernels are %s, want the fastest this CPU runs, %s", defaultKernels.name, best.name)
	}
}

// The pure-Go fallback, tested by name on every machine: on integer
// matrices small enough that every partial sum is exact in float32, the
// order of the additions cannot matter, so the fallback and every kernel
// set this CPU has must agree with the triple loop to the last bit, in all
// eight transpose and beta combinations and across cache-block edges.
func TestGenericFallbackExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ints := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.IntN(7) - 3)
		}
		return s
	}
	small := genericKernels
	small.name, small.kc, small.mc, small.nc = "generic/small-blocks", 5, 8, 8
	sets := append([]*kernelSet{&genericKernels, &small}, kernelSets()[1:]...)
	for _, shape := range [][3]int{{1, 1, 1}, {4, 4, 4}, {7, 9, 13}, {33, 17, 300}, {130, 70, 20}} {
		m, n, k := shape[0], shape[1], shape[2]
		for _, transA := range []bool{false, true} {
			for _, transB := range []bool{false, true} {
				for _, beta := range []float32{0, 1} {
					lda, ldb := denseStrides(transA, transB, m, n, k)
					a, b, c0 := ints(m*k), ints(k*n), ints(m*n)
					want, _ := refGemm(transA, transB, m, n, k, 2, a, lda, b, ldb, beta, c0, n)
					for _, ks := range sets {
						c := slices.Clone(c0)
						gemm(ks, transA, transB, m, n, k, 2, a, lda, b, ldb, beta, c, n)
						for i := range c {
							if float64(c[i]) != want[i] {
								t.Errorf("%s m=%d n=%d k=%d tA=%t tB=%t beta=%g: C[%d] = %g, want exactly %g",
									ks.name, m, n, k, transA, transB, beta, i, c[i], want[i])
								break
							}
						}
					}
				}
			}
		}
	}
}

// TestAVX2MatchesAVX512: the two assembly sets add each element's
// products in the same order (k in passes of the same kc, each pass fused
// multiply-adds in k order, then added to C), so with alpha 1 and beta 0
// or 1, as the network calls them, they agree to the bit on any floats:
// SIAMESE_KERNELS=avx2 on an AVX-512 machine trains the same model. Only
// run where the CPU has both.
func TestAVX2MatchesAVX512(t *testing.T) {
	var avx2, avx512 *kernelSet
	for _, ks := range kernelSets() {
		switch ks.name {
		case "avx2":
			avx2 = ks
		case "avx512":
			avx512 = ks
		}
	}
	if avx2 == nil || avx512 == nil {
		t.Skip("this CPU lacks AVX2 or AVX-512")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	floats := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	for _, shape := range [][3]int{{1, 1, 1}, {7, 9, 13}, {98, 64, 32}, {32, 64, 98}, {130, 70, 600}, {784, 32, 9}, {37, 33, 300}} {
		m, n, k := shape[0], shape[1], shape[2]
		for _, transA := range []bool{false, true} {
			for _, transB := range []bool{false, true} {
				for _, beta := range []float32{0, 1} {
					lda, ldb := denseStrides(transA, transB, m, n, k)
					a, b, c0 := floats(m*k), floats(k*n), floats(m*n)
					c1, c2 := slices.Clone(c0), slices.Clone(c0)
					gemm(avx2, transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c1, n)
					gemm(avx512, transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c2, n)
					for i := range c1 {
						if c1[i] != c2[i] {
							t.Errorf("m=%d n=%d k=%d tA=%t tB=%t beta=%g: C[%d] = %g (avx2) and %g (avx512)", m, n, k, transA, transB, beta, i, c1[i], c2[i])
							break
						}
					}
				}
			}
		}
	}
}

// denseStrides are lda and ldb of op(A) m×k and op(B) k×n stored with no
// padding between rows.
func denseStrides(transA, transB bool, m, n, k int) (lda, ldb int) {
	lda, ldb = k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	return lda, ldb
}

// TestCapKernels: the environment can pick a slower kernel set the CPU
// runs, by name; anything else leaves the fastest.
func TestCapKernels(t *testing.T) {
	generic, avx2, avx512 := &kernelSet{name: "generic"}, &kernelSet{name: "avx2"}, &kernelSet{name: "avx512"}
	all := []*kernelSet{generic, avx2, avx512}
	for _, tc := range []struct {
		sets []*kernelSet
		env  string
		want *kernelSet
	}{
		{all, "", avx512},
		{all, "avx2", avx2},
		{all, "generic", generic},
		{all, "AVX2", avx512},
		{all, "sse", avx512},
		{[]*kernelSet{generic, avx2}, "avx512", avx2},
		{[]*kernelSet{generic}, "avx2", generic},
	} {
		if got := capKernels(tc.sets, tc.env); got != tc.want {
			t.Errorf("%s=%q over %v: got %s, want %s", kernelsEnv, tc.env, kernelNames(tc.sets), got.name, tc.want.name)
		}
	}
}
