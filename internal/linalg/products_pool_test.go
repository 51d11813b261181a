package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestProductsReLUPool2x2Arg checks the fused kernel against its Go form
// (the product and ReLUMaxPool2x2RowsArg apart) to the bit, y and arg, on
// unfolded rows with ties (repeated pixels), zero pixels, pixels whose
// products are all negative and a padded row stride, for the taps of a
// gray and a colour 3×3 layer, 32 and 64 channels, and window counts that
// take the three-window tiles, the one-window tail or both. A guard past
// each output must stay as it was.
func TestProductsReLUPool2x2Arg(t *testing.T) {
	for _, c := range []struct{ k, o, windows, below, ld int }{
		{9, 32, 14, 28, 28 * 28},
		{9, 32, 1, 2, 4},
		{9, 32, 2, 5, 16},
		{9, 32, 3, 6, 12},
		{27, 32, 24, 48, 48*48 + 16},
		{27, 64, 5, 11, 40},
		{1, 96, 7, 14, 30},
	} {
		t.Run(fmt.Sprintf("k=%d/o=%d/windows=%d/fused=%v", c.k, c.o, c.windows, ProductsPoolFused(c.o)), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(c.k), uint64(c.windows)))
			col := make([]float32, (c.k-1)*c.ld+c.below+2*c.windows)
			for i := range col {
				col[i] = r.Float32()*2 - 1
			}
			// Pixel 1 repeats pixel 0 (a tie in every channel), pixel 2 is
			// zero, and pixel 3 is minus pixel 0, in every row.
			for tap := range c.k {
				row := col[tap*c.ld:]
				if c.windows > 1 {
					row[1] = row[0]
					row[2] = 0
					row[3] = -row[0]
				}
			}
			w := make([]float32, c.k*c.o)
			for i := range w {
				w[i] = r.Float32()*2 - 1
			}
			n := c.windows * c.o
			wantY, wantArg := make([]float32, n), make([]uint8, n)
			productsReLUPool2x2ArgGo(wantY, wantArg, col, c.ld, c.below, w, c.k, c.o, c.windows)
			y, arg := filled(n), make([]uint8, n+1)
			for i := range arg {
				arg[i] = 99
			}
			ProductsReLUPool2x2Arg(y[:n], arg[:n], col, c.ld, c.below, w, c.k, c.o, c.windows)
			for i := range n {
				if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) || arg[i] != wantArg[i] {
					t.Fatalf("window %d channel %d: y %v (%#x) arg %d, want %v (%#x) arg %d",
						i/c.o, i%c.o, y[i], math.Float32bits(y[i]), arg[i], wantY[i], math.Float32bits(wantY[i]), wantArg[i])
				}
			}
			if y[n] != guard || arg[n] != 99 {
				t.Error("wrote past the end of y or arg")
			}
		})
	}
}

// TestProductsReLUPool2x2ArgHand checks one window of one tap by hand:
// pixels 0.5, -2 (top) and 1.5, 0.25 (bottom) times weights 2 and -1
// pool to max(1, -4, 3, 0.5) = 3 at position 2 and max(-0.5, 2, -1.5,
// -0.25) = 2 at position 1; weight 0 makes four zeros, y +0, position 4.
func TestProductsReLUPool2x2ArgHand(t *testing.T) {
	const o = 32
	col := []float32{0.5, -2, 1.5, 0.25}
	w := make([]float32, o)
	w[0], w[1] = 2, -1
	y, arg := make([]float32, o), make([]uint8, o)
	ProductsReLUPool2x2Arg(y, arg, col, 4, 2, w, 1, o, 1)
	if y[0] != 3 || arg[0] != 2 || y[1] != 2 || arg[1] != 1 || math.Float32bits(y[2]) != 0 || arg[2] != 4 {
		t.Fatalf("y %v, arg %v; want 3 at 2, 2 at 1, +0 at 4", y[:3], arg[:3])
	}
}

// TestProductsReLUPool2x2ArgPanics checks the size checks.
func TestProductsReLUPool2x2ArgPanics(t *testing.T) {
	for _, c := range []struct {
		name                           string
		ny, ncol, k, o, win, below, ld int
	}{
		{"short y", 31, 8, 1, 32, 1, 2, 4},
		{"short col", 32, 3, 1, 32, 1, 2, 4},
		{"bottom row inside the top", 32, 8, 1, 32, 2, 3, 8},
		{"no taps", 32, 8, 0, 32, 1, 2, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			ProductsReLUPool2x2Arg(make([]float32, c.ny), make([]uint8, c.ny), make([]float32, c.ncol), c.ld, c.below, make([]float32, max(1, c.k)*c.o), c.k, c.o, c.win)
		})
	}
}

// TestPooledGradProducts checks the fused kernel gradient against its Go
// form (the routing into a scratch, then Gemm) to the bit, with beta 0
// (sum starts as garbage) and 1, on the default tower's 28 px gray plane
// (whose pixels take 4 of gemm's passes) and a 48 px one (9 passes, and
// 27 taps, the Go form), odd sides (a row and column no window covers), 64
// channels, and window positions 0-4 drawn at random (4 routes nothing).
func TestPooledGradProducts(t *testing.T) {
	for _, c := range []struct{ k, o, oh, ow, pad int }{
		{9, 32, 28, 28, 0},
		{27, 32, 48, 48, 16},
		{9, 32, 48, 48, 16},
		{9, 32, 9, 11, 5},
		{9, 64, 10, 10, 0},
		{9, 32, 1, 7, 0}, // no pooled row
	} {
		for _, beta := range []float32{0, 1} {
			t.Run(fmt.Sprintf("k=%d/o=%d/%dx%d/beta=%v/fused=%v", c.k, c.o, c.oh, c.ow, beta, PooledGradFused(c.k, c.o)), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(c.k*c.oh), uint64(c.ow)))
				ld, pooled := c.oh*c.ow+c.pad, (c.oh/2)*(c.ow/2)*c.o
				col := make([]float32, (c.k-1)*ld+c.oh*c.ow)
				for i := range col {
					col[i] = r.Float32()*2 - 1
				}
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
				pooledGradProductsGo(want, beta, col, ld, dy, arg, c.oh, c.ow, c.k, c.o)
				got := append(append([]float32(nil), start...), guard)
				PooledGradProducts(got[:len(start)], beta, col, ld, dy, arg, c.oh, c.ow, c.k, c.o)
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

// TestPooledGradProductsHand checks a 2×2 plane, one window, one tap, by
// hand: pixels 1, 2, 3, 4, the pooled gradient 0.5 routed to position 2
// (pixel 3) in channel 0 and to none (4) in channel 1: sums 1.5 and 0,
// added to 10 with beta 1.
func TestPooledGradProductsHand(t *testing.T) {
	const o = 32
	for _, k := range []int{1, 9} {
		col := make([]float32, k*4)
		for tap := range k {
			copy(col[tap*4:], []float32{1, 2, 3, 4})
		}
		dy, arg := make([]float32, o), make([]uint8, o)
		dy[0], arg[0] = 0.5, 2
		dy[1], arg[1] = 7, 4
		sum := make([]float32, k*o)
		for i := range sum {
			sum[i] = 10
		}
		PooledGradProducts(sum, 1, col, 4, dy, arg, 2, 2, k, o)
		for tap := range k {
			if sum[tap*o] != 11.5 || sum[tap*o+1] != 10 {
				t.Fatalf("k=%d tap %d: %v, %v; want 11.5, 10", k, tap, sum[tap*o], sum[tap*o+1])
			}
		}
	}
}
