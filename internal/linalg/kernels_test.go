package linalg

import (
	"math/rand/v2"
	"os"
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
	scores := timeKernels(sets)
	for i, ks := range sets {
		t.Logf("%s: %.2f ms on the timing shapes", ks.name, 1e3*scores[i])
	}
	before := Kernels()
	t.Logf("GOARCH=%s: Gemm tests ran the kernel sets %s; Gemm uses %s here before ChooseKernels, %s after", runtime.GOARCH, strings.Join(names, ", "), before, ChooseKernels())
	if missing := slices.DeleteFunc([]string{"generic", "avx2", "avx512", "avx512x12"}, func(n string) bool { return slices.Contains(names, n) }); len(missing) > 0 {
		t.Logf("not tested on this machine (the CPU or build lacks them): %s", strings.Join(missing, ", "))
	}
	if len(sets) == 0 || sets[0] != &genericKernels {
		t.Errorf("kernel sets %v: the pure-Go fallback must come first, on every machine", names)
	}
	if !slices.Contains(sets, kernels()) {
		t.Errorf("Gemm uses %s, which the tests do not run (they run %v)", Kernels(), names)
	}
	if len(sets) > 1 && kernels() == &genericKernels && os.Getenv(kernelsEnv) != "generic" {
		t.Errorf("Gemm uses the pure-Go kernels on a CPU that runs %v", names[1:])
	}
	if env := os.Getenv(kernelsEnv); env == "" && defaultKernels() != sets[len(sets)-1] {
		t.Errorf("until ChooseKernels Gemm uses %s, want the widest set, %s", defaultKernels().name, sets[len(sets)-1].name)
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
	sets := append([]*kernelSet{&genericKernels, &small}, testedSets()[1:]...)
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

// TestAssemblySetsAgree: the assembly sets add each element's products in
// the same order (k in passes of the same kc, each pass fused
// multiply-adds in k order, then added to C), whatever their tile, so with
// alpha 1 and beta 0 or 1, as the network calls them, they agree to the
// bit on any floats: SIAMESE_KERNELS=avx2 on an AVX-512 machine trains the
// same model, and which set wins the timing at start-up does not change a
// model. Only run where the CPU has two or more.
func TestAssemblySetsAgree(t *testing.T) {
	sets := testedSets()[1:]
	if len(sets) < 2 {
		t.Skip("this CPU runs fewer than two assembly kernel sets")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	floats := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	for _, shape := range [][3]int{{1, 1, 1}, {7, 9, 13}, {98, 64, 32}, {32, 64, 98}, {130, 70, 600}, {784, 32, 9}, {37, 33, 300}, {9, 32, 784}, {27, 16, 40}, {63, 47, 70}} {
		m, n, k := shape[0], shape[1], shape[2]
		for _, transA := range []bool{false, true} {
			for _, transB := range []bool{false, true} {
				for _, beta := range []float32{0, 1} {
					lda, ldb := denseStrides(transA, transB, m, n, k)
					a, b, c0 := floats(m*k), floats(k*n), floats(m*n)
					want := slices.Clone(c0)
					gemm(sets[0], transA, transB, m, n, k, 1, a, lda, b, ldb, beta, want, n)
					for _, ks := range sets[1:] {
						got := slices.Clone(c0)
						gemm(ks, transA, transB, m, n, k, 1, a, lda, b, ldb, beta, got, n)
						for i := range got {
							if got[i] != want[i] {
								t.Errorf("m=%d n=%d k=%d tA=%t tB=%t beta=%g: C[%d] = %g (%s) and %g (%s)", m, n, k, transA, transB, beta, i, got[i], ks.name, want[i], sets[0].name)
								break
							}
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

// TestNamedKernels: the environment picks a kernel set the CPU runs by
// its exact name; anything else picks none (and leaves it to timing).
func TestNamedKernels(t *testing.T) {
	generic, avx2, avx512 := &kernelSet{name: "generic"}, &kernelSet{name: "avx2"}, &kernelSet{name: "avx512"}
	all := []*kernelSet{generic, avx2, avx512}
	for _, tc := range []struct {
		sets []*kernelSet
		env  string
		want *kernelSet
	}{
		{all, "", nil},
		{all, "avx2", avx2},
		{all, "generic", generic},
		{all, "avx512", avx512},
		{all, "AVX2", nil},
		{all, "sse", nil},
		{[]*kernelSet{generic, avx2}, "avx512", nil},
	} {
		if got := namedKernels(tc.sets, tc.env); got != tc.want {
			t.Errorf("%s=%q over %v: got %v, want %v", kernelsEnv, tc.env, kernelNames(tc.sets), got, tc.want)
		}
	}
}

// TestNamesNarrowKernels: only the sets without AVX-512 turn the wide
// passes beside the product off; no value, or an AVX-512 set, leaves them.
func TestNamesNarrowKernels(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{
		{"", false},
		{"avx2", true},
		{"generic", true},
		{"avx512", false},
		{"avx512x12", false},
		{"AVX2", false},
	} {
		if got := namesNarrowKernels(tc.env); got != tc.want {
			t.Errorf("namesNarrowKernels(%q) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

// TestFastestKernels: the lowest score wins among the assembly sets; the
// pure-Go set is neither timed nor chosen unless it is the only one.
func TestFastestKernels(t *testing.T) {
	generic, avx2, avx512, x12 := &kernelSet{name: "generic"}, &kernelSet{name: "avx2"}, &kernelSet{name: "avx512"}, &kernelSet{name: "avx512x12"}
	for _, tc := range []struct {
		sets   []*kernelSet
		scores []float64 // of sets[1:], or nil when no timing should happen
		want   *kernelSet
	}{
		{[]*kernelSet{generic}, nil, generic},
		{[]*kernelSet{generic, avx2}, nil, avx2},
		{[]*kernelSet{generic, avx2, avx512, x12}, []float64{3, 2, 1}, x12},
		{[]*kernelSet{generic, avx2, avx512, x12}, []float64{3, 1, 2}, avx512},
		{[]*kernelSet{generic, avx2, avx512, x12}, []float64{1, 2, 2}, avx2},
		{[]*kernelSet{generic, avx2, avx512}, []float64{2, 2}, avx2},
	} {
		timed := false
		got := fastestKernels(tc.sets, func(sets []*kernelSet) []float64 {
			timed = true
			if !slices.Equal(sets, tc.sets[1:]) {
				t.Errorf("timed %v, want %v", kernelNames(sets), kernelNames(tc.sets[1:]))
			}
			return tc.scores
		})
		if got != tc.want || timed != (tc.scores != nil) {
			t.Errorf("%v scored %v: got %s (timed %t), want %s", kernelNames(tc.sets), tc.scores, got.name, timed, tc.want.name)
		}
	}
}

// testedSets is kernelSets and the edge sets they reach, each once: the
// tests run an edge set on whole products too, so that its kernels meet
// every shape and layout, not just a block's last rows.
func testedSets() []*kernelSet {
	var sets []*kernelSet
	seen := map[*kernelSet]bool{}
	for _, ks := range kernelSets() {
		for ; ks != nil && !seen[ks]; ks = ks.edge {
			seen[ks] = true
			sets = append(sets, ks)
		}
	}
	return sets
}
