package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tapLayout is one way of laying out a convolution's input for the pooled
// products: taps and the row of the output plane, for a source of n floats.
type tapLayout struct {
	name string
	make func(k, oh, ow int) (taps []int, row, n int)
}

var tapLayouts = []tapLayout{
	// Unfolded: one row per tap, padded past the plane as im2col's are.
	{"unfolded", func(k, oh, ow int) ([]int, int, int) {
		ld := oh*ow + 16
		taps := make([]int, k)
		for t := range taps {
			taps[t] = t * ld
		}
		return taps, ow, k * ld
	}},
	// An image padded by 1 for a 3×3 kernel, read in place: nine taps a
	// channel (the first k of them on the last channel when k < 9).
	{"padded", func(k, oh, ow int) ([]int, int, int) {
		row := ow + 2
		plane := (oh + 2) * row
		taps := make([]int, k)
		for t := range taps {
			taps[t] = t/9*plane + (t%9/3)*row + t%3
		}
		return taps, row, (k + 8) / 9 * plane
	}},
}

// TestProductsReLUPool2x2Arg checks the fused kernel against its Go form
// (the product and ReLUMaxPool2x2RowsArg apart) to the bit, y and arg, on
// every pooled row of a plane (one call an image), on inputs with ties
// (repeated pixels), zero pixels and pixels whose
// products are all negative, unfolded and padded, for the taps of a gray
// and a colour 3×3 layer, 16 to 96 channels, and window counts that
// take the three-window tiles, the one-window tail or both; 16 and 48
// channels take the AVX2 kernel on any CPU that has it. A guard past each
// output must stay as it was.
func TestProductsReLUPool2x2Arg(t *testing.T) {
	for _, l := range tapLayouts {
		for _, c := range []struct{ k, o, windows, oh int }{
			{9, 32, 14, 28},
			{9, 32, 1, 2},
			{9, 32, 2, 5},
			{9, 32, 3, 6},
			{27, 32, 24, 48},
			{27, 64, 5, 11},
			{1, 96, 7, 14},
			{9, 16, 14, 28}, // AVX2 where there is AVX-512 too
			{27, 48, 4, 9},
		} {
			t.Run(fmt.Sprintf("%s/k=%d/o=%d/windows=%d/fused=%v", l.name, c.k, c.o, c.windows, ProductsPoolFused(c.o)), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(c.k), uint64(c.windows)))
				ow := 2*c.windows + 1
				taps, row, n := l.make(c.k, c.oh, ow)
				src := make([]float32, n)
				for i := range src {
					src[i] = r.Float32()*2 - 1
				}
				// The first pixels repeat (a tie in every channel), then a
				// zero, then the first negated, for the first tap.
				if c.windows > 1 {
					src[taps[0]+1] = src[taps[0]]
					src[taps[0]+2] = 0
					src[taps[0]+3] = -src[taps[0]]
				}
				w := make([]float32, c.k*c.o)
				for i := range w {
					w[i] = r.Float32()*2 - 1
				}
				rows, run := c.oh/2, c.windows*c.o
				m := rows * run
				wantY, wantArg := make([]float32, m), make([]uint8, m)
				for r := range rows {
					productsReLUPool2x2ArgGo(wantY[r*run:], wantArg[r*run:], src[2*r*row:], taps, row, w, c.o, c.windows)
				}
				y, arg := filled(m), make([]uint8, m+1)
				for i := range arg {
					arg[i] = 99
				}
				ProductsReLUPool2x2Arg(y[:m], arg[:m], src, taps, row, w, c.o, c.windows, rows)
				for i := range m {
					if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) || arg[i] != wantArg[i] {
						t.Fatalf("row %d window %d channel %d: y %v (%#x) arg %d, want %v (%#x) arg %d",
							i/run, i%run/c.o, i%c.o, y[i], math.Float32bits(y[i]), arg[i], wantY[i], math.Float32bits(wantY[i]), wantArg[i])
					}
				}
				if y[m] != guard || arg[m] != 99 {
					t.Error("wrote past the end of y or arg")
				}
			})
		}
	}
}

// TestProductsReLUPool2x2ArgHand checks one window of one tap by hand:
// pixels 0.5, -2 (top) and 1.5, 0.25 (bottom) times weights 2 and -1
// pool to max(1, -4, 3, 0.5) = 3 at position 2 and max(-0.5, 2, -1.5,
// -0.25) = 2 at position 1; weight 0 makes four zeros, y +0, position 4.
func TestProductsReLUPool2x2ArgHand(t *testing.T) {
	const o = 32
	src := []float32{0.5, -2, 1.5, 0.25}
	w := make([]float32, o)
	w[0], w[1] = 2, -1
	y, arg := make([]float32, o), make([]uint8, o)
	ProductsReLUPool2x2Arg(y, arg, src, []int{0}, 2, w, o, 1, 1)
	if y[0] != 3 || arg[0] != 2 || y[1] != 2 || arg[1] != 1 || math.Float32bits(y[2]) != 0 || arg[2] != 4 {
		t.Fatalf("y %v, arg %v; want 3 at 2, 2 at 1, +0 at 4", y[:3], arg[:3])
	}
}

// TestProductsReLUPool2x2ArgPanics checks the size checks.
func TestProductsReLUPool2x2ArgPanics(t *testing.T) {
	for _, c := range []struct {
		name                  string
		ny, nsrc, o, win, row int
		taps                  []int
	}{
		{"short y", 31, 8, 32, 1, 2, []int{0}},
		{"short src", 32, 4, 32, 1, 2, []int{0, 1}},
		{"bottom row inside the top", 32, 8, 32, 2, 3, []int{0}},
		{"no taps", 32, 8, 32, 1, 2, nil},
		{"negative tap", 32, 8, 32, 1, 2, []int{-1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			ProductsReLUPool2x2Arg(make([]float32, c.ny), make([]uint8, c.ny), make([]float32, c.nsrc), c.taps, c.row, make([]float32, max(1, len(c.taps))*c.o), c.o, c.win, 1)
		})
	}
}

// TestPooledGradProducts checks the fused kernel gradient against its Go
// form (the unfolding and routing into scratches, then Gemm) to the bit,
// with beta 0 (sum starts as garbage) and 1, unfolded and padded, on the
// default tower's 28 px gray plane (whose pixels take 4 of gemm's passes)
// and 48 px planes (9 passes; with 27 taps, the Go form), odd sides (a row
// and column no window covers), 64 channels, and window positions 0-4
// drawn at random (4 routes nothing).
func TestPooledGradProducts(t *testing.T) {
	for _, l := range tapLayouts {
		for _, c := range []struct{ k, o, oh, ow int }{
			{9, 32, 28, 28},
			{27, 32, 48, 48},
			{9, 32, 48, 48},
			{9, 32, 9, 11},
			{9, 64, 10, 10},
			{9, 32, 1, 7}, // no pooled row
		} {
			for _, beta := range []float32{0, 1} {
				t.Run(fmt.Sprintf("%s/k=%d/o=%d/%dx%d/beta=%v/fused=%v", l.name, c.k, c.o, c.oh, c.ow, beta, PooledGradFused(c.k, c.o)), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(c.k*c.oh), uint64(c.ow)))
					taps, row, n := l.make(c.k, c.oh, c.ow)
					src := make([]float32, n)
					for i := range src {
						src[i] = r.Float32()*2 - 1
					}
					pooled := (c.oh / 2) * (c.ow / 2) * c.o
					dy, arg := make([]float32, pooled), make([]uint8, pooled)
					for i := range dy {
						dy[i] = r.Float32()*2 - 1
						arg[i] = uint8(r.IntN(5))
					}
					start := make([]float32, c.k*c.o)
					for i := range start {
						start[i] = r.Float32()*2 - 1
						if beta == 0 {
							start[i] = math.Float32frombits(0x7fc00001) // a NaN, to be ignored
						}
					}
					want := append([]float32(nil), start...)
					pooledGradProductsGo(want, beta, src, taps, row, dy, arg, c.oh, c.ow, c.o)
					got := append(append([]float32(nil), start...), guard)
					PooledGradProducts(got[:len(start)], beta, src, taps, row, dy, arg, c.oh, c.ow, c.o)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("tap %d channel %d: %v (%#x), want %v (%#x)", i/c.o, i%c.o, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
					if got[len(start)] != guard {
						t.Error("wrote past the end of sum")
					}
				})
			}
		}
	}
}

// TestPooledGradProductsHand checks a 2×2 plane, one window, by hand, for
// one tap and for nine (all reading the same pixels): pixels 1, 2, 3, 4,
// the pooled gradient 0.5 routed to position 2 (pixel 3) in channel 0 and
// to none (4) in channel 1: sums 1.5 and 0, added to 10 with beta 1.
func TestPooledGradProductsHand(t *testing.T) {
	const o = 32
	for _, k := range []int{1, 9} {
		src := []float32{1, 2, 3, 4}
		taps := make([]int, k)
		dy, arg := make([]float32, o), make([]uint8, o)
		dy[0], arg[0] = 0.5, 2
		dy[1], arg[1] = 7, 4
		sum := make([]float32, k*o)
		for i := range sum {
			sum[i] = 10
		}
		PooledGradProducts(sum, 1, src, taps, 2, dy, arg, 2, 2, o)
		for tap := range k {
			if sum[tap*o] != 11.5 || sum[tap*o+1] != 10 {
				t.Fatalf("k=%d tap %d: %v, %v; want 11.5, 10", k, tap, sum[tap*o], sum[tap*o+1])
			}
		}
	}
}

// TestFusedOnlyBesideAssemblyGemm checks that the fused kernels stand
// down while Gemm runs the pure-Go set, whose products round one by one:
// the layer must then give the GEMM's bits, not the FMA chains'.
func TestFusedOnlyBesideAssemblyGemm(t *testing.T) {
	was := chosen.ks.Swap(&genericKernels)
	defer chosen.ks.Store(was)
	if ProductsPoolFused(32) || ProductsPoolFused(16) || PooledGradFused(9, 32) {
		t.Error("fused kernels on beside the generic GEMM")
	}
}
