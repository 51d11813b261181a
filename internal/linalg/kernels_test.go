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
					lda, ldb := k, n
					if transA {
						lda = m
					}
					if transB {
						ldb = k
					}
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
