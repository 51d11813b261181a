package linalg

import "fmt"

// A convolution unfolded channel-first (one row of col per kernel tap,
// one column per output pixel) with the ReLU and 2×2 max pooling after
// it, in one pass: ProductsReLUPool2x2Arg computes each pooling window's
// four pixels, all their output channels, in registers and writes only the
// pooled pixel and its window positions, where the matrix product wrote
// every pixel for ReLUMaxPool2x2RowsArg to read back. The products are the
// GEMM's (an FMA chain over the taps from zero, as in every kernel) and
// the pooling is ReLUMaxPool2x2RowsArg's, so the values are the two
// apart's to the bit.

// ProductsPoolFused reports whether ProductsReLUPool2x2Arg runs in
// assembly for o output channels (AVX-512, o a multiple of 32). Elsewhere
// it runs its Go form, the product and the pooling apart through a
// scratch, slower than calling them apart.
func ProductsPoolFused(o int) bool { return hasAVX512F && o > 0 && o%32 == 0 }

// ProductsReLUPool2x2Arg writes, for windows pooling windows along a row,
// what ReLUMaxPool2x2RowsArg makes of the pixels z[p][j] = Σ_t col[t·ld +
// p]·w[t·o + j] (t < k, j < o): window s's top pixels are p = 2s and 2s+1,
// its bottom ones below + 2s and below + 2s + 1; its pooled pixel goes to
// y[s·o + j] and its window position to arg[s·o + j]. It panics if a slice
// is too short or a size is not positive (windows may be 0).
func ProductsReLUPool2x2Arg(y []float32, arg []uint8, col []float32, ld, below int, w []float32, k, o, windows int) {
	if k <= 0 || o <= 0 || windows < 0 || below < 2*windows || ld < below+2*windows {
		panic(fmt.Sprintf("linalg: ProductsReLUPool2x2Arg: %d windows of %d channels, %d taps, rows %d apart, bottom row %d on", windows, o, k, ld, below))
	}
	if windows == 0 {
		return
	}
	if len(y) < windows*o || len(arg) < windows*o || len(w) < k*o || len(col) < (k-1)*ld+below+2*windows {
		panic(fmt.Sprintf("linalg: ProductsReLUPool2x2Arg: %d, %d, %d and %d values for %d windows of %d channels, %d taps, rows %d apart",
			len(y), len(arg), len(col), len(w), windows, o, k, ld))
	}
	if ProductsPoolFused(o) {
		for j := 0; j < o; j += 32 {
			productsReLUPool2x2ArgAVX512(&y[j], &arg[j], o, &col[0], ld, below, &w[j], o, k, windows)
		}
		return
	}
	productsReLUPool2x2ArgGo(y, arg, col, ld, below, w, k, o, windows)
}

// productsReLUPool2x2ArgGo is the product of each row's pixels into a
// scratch, then ReLUMaxPool2x2RowsArg.
func productsReLUPool2x2ArgGo(y []float32, arg []uint8, col []float32, ld, below int, w []float32, k, o, windows int) {
	n := 2 * windows
	z := make([]float32, 2*n*o)
	top, bottom := z[:n*o], z[n*o:]
	Gemm(true, false, n, o, k, 1, col, ld, w, o, 0, top, o)
	Gemm(true, false, n, o, k, 1, col[below:], ld, w, o, 0, bottom, o)
	ReLUMaxPool2x2RowsArg(y[:windows*o], arg[:windows*o], top, bottom, o)
}
