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

// PooledGradFused reports whether PooledGradProducts runs in assembly for
// k taps and o channels: AVX-512, nine taps (a 3×3 kernel on one channel)
// and o a multiple of 32. Elsewhere it runs its Go form, the routing and
// the product apart through a scratch. The kernel takes nine taps a pass
// over the pixels and routes each pixel's gradient again in every pass: on
// a colour image's 27 taps that made the default tower's kernel gradient
// at 48 px slower, 3.1-3.8 ms against 2.8-3.0 for the routing and the GEMM
// apart (BenchmarkConvPoolCL, one core), where on 9 it is 30% faster.
func PooledGradFused(k, o int) bool {
	return hasAVX512F && k == 9 && o > 0 && o%32 == 0
}

// PooledGradProducts is the kernel gradient of the layer that
// ProductsReLUPool2x2Arg computes, for one image: it sets sum (k×o, rows o
// apart) to beta·sum + col·dz, beta 0 or 1, where col holds k rows of the
// plane's oh·ow pixels, ld floats apart, and dz (oh·ow×o) is the gradient
// that ReLUMaxPool2x2RowsArgGrad routes from the pooled gradient dy through
// the window positions arg ((oh/2)·(ow/2) pooled pixels of o channels), zero
// at pixels no window covers. dz is never written: each pixel's is routed in
// registers as the products reach it. The sums are those of Gemm(false,
// false, k, o, oh·ow, 1, col, ld, dz, o, beta, sum, o) to the bit: the same
// passes over the pixels, each an FMA chain from zero added to sum. It
// panics if a slice is too short, a size is not positive, or beta is
// neither 0 nor 1.
func PooledGradProducts(sum []float32, beta float32, col []float32, ld int, dy []float32, arg []uint8, oh, ow, k, o int) {
	ph, pw, plane := oh/2, ow/2, oh*ow
	if k <= 0 || o <= 0 || oh <= 0 || ow <= 0 || ld < plane || (beta != 0 && beta != 1) {
		panic(fmt.Sprintf("linalg: PooledGradProducts: %d taps, %d channels, %d×%d plane, rows %d apart, beta %v", k, o, oh, ow, ld, beta))
	}
	if len(sum) < k*o || len(col) < (k-1)*ld+plane || len(dy) < ph*pw*o || len(arg) < ph*pw*o {
		panic(fmt.Sprintf("linalg: PooledGradProducts: %d, %d, %d and %d values for %d taps, %d channels, a %d×%d plane, rows %d apart",
			len(sum), len(col), len(dy), len(arg), k, o, oh, ow, ld))
	}
	if !PooledGradFused(k, o) || ph == 0 || pw == 0 {
		pooledGradProductsGo(sum, beta, col, ld, dy, arg, oh, ow, k, o)
		return
	}
	// gemm's passes over K: equal ones of at most the kernels' kc.
	passes := ceilDiv(plane, kernels().kc)
	kc := ceilDiv(plane, passes)
	for j := 0; j < o; j += 32 {
		for p := 0; p < plane; p += kc {
			productsPooledGradAVX512(&sum[j], o, beta != 0 || p > 0, &col[p], ld, &dy[j], &arg[j], o, p%ow, p/ow, min(kc, plane-p), ow, pw, ph)
		}
	}
}

// pooledGradProductsGo routes dy into a scratch dz, then multiplies.
func pooledGradProductsGo(sum []float32, beta float32, col []float32, ld int, dy []float32, arg []uint8, oh, ow, k, o int) {
	ph, pw := oh/2, ow/2
	dz := make([]float32, oh*ow*o)
	row, run := ow*o, pw*o
	for py := range ph {
		top, bottom := dz[2*py*row:], dz[(2*py+1)*row:]
		ReLUMaxPool2x2RowsArgGrad(top[:2*run], bottom[:2*run], arg[py*run:(py+1)*run], dy[py*run:(py+1)*run], o)
	}
	Gemm(false, false, k, o, oh*ow, 1, col, ld, dz, o, beta, sum, o)
}
