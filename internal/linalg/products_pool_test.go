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
