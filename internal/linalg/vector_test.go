package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// vectorLengths cover an empty vector, tails only, one and several
// 16-element blocks, and blocks plus every tail length class.
var vectorLengths = []int{0, 1, 3, 7, 8, 15, 16, 17, 24, 31, 32, 100, 196, 1023}

func randomVector(r *rand.Rand, n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float32()
	}
	return v
}

func closeRel(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*(1+math.Abs(a)+math.Abs(b))
}

// TestVectorSums checks the float64 sums against plain sums in the order
// of the definition: the kernels reorder additions, which may move only the
// last bits.
func TestVectorSums(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range vectorLengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			v, g := randomVector(r, n, -3, 5), randomVector(r, n, -1, 1)
			const mu = 0.75
			var sum, sq, dot float64
			for i, x := range v {
				sum += float64(x)
				sq += float64(x) * float64(x)
				dot += float64(g[i]) * float64(x-mu)
			}
			s, q := SumSquares(v)
			if !closeRel(s, sum) || !closeRel(q, sq) {
				t.Errorf("SumSquares = %v, %v; want %v, %v", s, q, sum, sq)
			}
			if got := Sum(v); !closeRel(got, sum) {
				t.Errorf("Sum = %v, want %v", got, sum)
			}
			if got := DotCentred(g, v, mu); !closeRel(got, dot) {
				t.Errorf("DotCentred = %v, want %v", got, dot)
			}
		})
	}
}

// TestVectorMaps checks the element-wise maps bit for bit against their
// formulas, and that nothing past len(x) is written.
func TestVectorMaps(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const mu, scale, shift, a, k, b = 0.3, 1.7, -0.2, 0.9, -0.05, 0.01
	for _, n := range vectorLengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x, y := randomVector(r, n, -2, 2), randomVector(r, n, -1, 1)
			out := make([]float32, n+2)
			out[n], out[n+1] = 42, 42
			AffineCentred(out, x, mu, scale, shift)
			for i, v := range x {
				if want := float32(scale)*(v-mu) + shift; out[i] != want {
					t.Fatalf("AffineCentred[%d] = %v, want %v", i, out[i], want)
				}
			}
			CombineCentred(out, y, x, a, k, mu, b)
			for i, v := range x {
				if want := float32(a)*y[i] + float32(k)*(v-mu) + b; out[i] != want {
					t.Fatalf("CombineCentred[%d] = %v, want %v", i, out[i], want)
				}
			}
			if out[n] != 42 || out[n+1] != 42 {
				t.Fatal("written past the end of x")
			}
		})
	}
}

func BenchmarkVector(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	x, y, out := randomVector(r, 4096, -1, 1), randomVector(r, 4096, -1, 1), make([]float32, 4096)
	for name, f := range map[string]func(){
		"SumSquares":     func() { SumSquares(x) },
		"sumSquaresGo":   func() { sumSquaresGo(x) },
		"DotCentred":     func() { DotCentred(y, x, 0.1) },
		"AffineCentred":  func() { AffineCentred(out, x, 0.1, 2, 3) },
		"CombineCentred": func() { CombineCentred(out, y, x, 1, 2, 3, 4) },
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f()
			}
			b.ReportMetric(float64(len(x)*b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
		})
	}
}

// TestReLUMaps checks the ReLU maps bit for bit against their Go loops on
// values that tell the forms apart: ±0, ±Inf, NaNs of both signs, and
// numbers on both sides of zero, in every position of a vector block. A
// NaN must stay a NaN; its payload may differ.
func TestReLUMaps(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0xFFC00000), 1.5, -1.5, 1e-40, -1e-40}
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range vectorLengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a, b := randomVector(r, n, -1, 1), randomVector(r, n, -1, 1)
			for i := range a {
				if i%3 == 0 {
					a[i] = special[(i/3)%len(special)]
				}
				if i%5 == 0 {
					b[i] = special[(i/5)%len(special)]
				}
			}
			got, want := make([]float32, n), make([]float32, n)
			same := func(name string) {
				t.Helper()
				for i := range want {
					bothNaN := got[i] != got[i] && want[i] != want[i] // payloads may differ
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !bothNaN {
						t.Fatalf("%s[%d] = %v (%#x), want %v (%#x)", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
			ReLU(got, a)
			for i, v := range a {
				bits := math.Float32bits(v)
				want[i] = math.Float32frombits(bits &^ uint32(int32(bits)>>31))
			}
			same("ReLU")
			PassPositive(got, a, b)
			for i, v := range a {
				want[i] = 0
				if v > 0 {
					want[i] = b[i]
				}
			}
			same("PassPositive")
			AddReLU(got, a, b)
			for i, v := range a {
				want[i] = max(v+b[i], 0)
			}
			same("AddReLU")
		})
	}
}

// TestPairs checks MaxPairs and RoutePairs against their definitions on
// values drawn from a small set, so that ties within a pair are common,
// with ±0 and negatives among them.
func TestPairs(t *testing.T) {
	values := []float32{0, float32(math.Copysign(0, -1)), 1, 2, -1, -3, 0.5}
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range vectorLengths {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x := make([]float32, 2*n)
			for i := range x {
				x[i] = values[r.IntN(len(values))]
			}
			gh := randomVector(r, n, -1, 1)
			h := make([]float32, n)
			MaxPairs(h, x)
			bits := func(v float32) int32 { return int32(math.Float32bits(v)) }
			for i := range h {
				if want := max(bits(x[2*i]), bits(x[2*i+1])); bits(h[i]) != want {
					t.Fatalf("MaxPairs[%d] of %v, %v = %v", i, x[2*i], x[2*i+1], h[i])
				}
			}
			dx := randomVector(r, 2*n, 5, 6) // stale values must all be overwritten
			RoutePairs(dx, x, h, gh)
			for i := range h {
				want0, want1 := float32(0), float32(0)
				if bits(x[2*i]) == bits(h[i]) {
					want0 = gh[i]
				} else if bits(x[2*i+1]) == bits(h[i]) {
					want1 = gh[i]
				}
				if math.Float32bits(dx[2*i]) != math.Float32bits(want0) || math.Float32bits(dx[2*i+1]) != math.Float32bits(want1) {
					t.Fatalf("RoutePairs pair %d (%v, %v; max %v): got %v, %v, want %v, %v",
						i, x[2*i], x[2*i+1], h[i], dx[2*i], dx[2*i+1], want0, want1)
				}
			}
		})
	}
}

// TestEvensRowsLengths checks EvensRows on one row of every length
// class, with src exactly 2·n-1 long so that a read past it would panic.
func TestEvensRowsLengths(t *testing.T) {
	for _, n := range vectorLengths {
		src := make([]float32, max(2*n-1, 0))
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, n)
		EvensRows(dst, n, src, 2*n, n, 1)
		for i, v := range dst {
			if v != float32(2*i) {
				t.Fatalf("n=%d: dst[%d] = %v, want %d", n, i, v, 2*i)
			}
		}
	}
}
