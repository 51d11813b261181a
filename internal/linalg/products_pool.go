package linalg

import (
	"fmt"
	"slices"
)

// A convolution with the ReLU and 2×2 max pooling after it, computed
// from its input in place of the matrix product of its unfolding:
// ProductsReLUPool2x2Arg computes each pooling window's four pixels, all
// their output channels, in registers and writes only the pooled pixel and
// its window positions, where the product wrote every pixel for
// ReLUMaxPool2x2RowsArg to read back; PooledGradProducts is its kernel
// gradient, each pixel's gradient routed from the pooled one in registers
// where ReLUMaxPool2x2RowsArgGrad wrote them all for a product to read. The
// products are the GEMM's (each output an FMA chain from zero over the
// taps, or over the GEMM's passes of the pixels) and the pooling and the
// routing are the kernels' apart, so the values are those of the kernels
// apart to the bit.
//
// The input is src with a pixel at src[y·row + x] and its taps: tap t of
// that pixel reads src[y·row + x + taps[t]]. An unfolded image (im2col:
// one row of ld floats per tap, a column per pixel) is taps[t] = t·ld with
// row the output's width; a one-channel image padded by p is taps[ki·row +
// kj] = ki·row + kj with row its padded width, so that nothing is unfolded.

// ProductsPoolFused reports whether ProductsReLUPool2x2Arg runs in
// assembly for o output channels: AVX-512 and o a multiple of 32, or AVX2
// and o a multiple of 16 (one window a tile, 16 channels a call, where
// the AVX-512 kernel takes three windows of 32), while Gemm runs an
// assembly set (asmProducts). Elsewhere it runs its Go
// form, the product and the pooling apart through a scratch, slower than
// calling them apart.
func ProductsPoolFused(o int) bool {
	return o > 0 && asmProducts() && (hasAVX512F && o%32 == 0 || hasAVX2FMA && o%16 == 0)
}

// asmProducts reports whether Gemm runs an assembly kernel set, whose
// sums are FMA chains as the fused kernels' are; the pure-Go set (the
// purego tag, or SIAMESE_KERNELS=generic) rounds every product, so where
// it runs the layer keeps its products.
func asmProducts() bool { return kernels() != &genericKernels }

// ProductsReLUPool2x2Arg writes, for rows rows of windows pooling windows,
// what ReLUMaxPool2x2RowsArg makes of the pixels z[p][j] = Σ_t src[p +
// taps[t]]·w[t·o + j] (j < o): in pooled row r, window s's top pixels are
// p = 2r·row + 2s and 2r·row + 2s + 1, its bottom ones row floats on; its
// pooled pixel goes to y[(r·windows + s)·o + j] and its window position to
// arg[(r·windows + s)·o + j]. One call takes a whole image's pooled rows,
// so that what a call sets up (the checks, the taps' table) is done once
// an image rather than once a row. It panics if a slice is too short, a
// tap is negative, row < 2·windows or o is not positive.
func ProductsReLUPool2x2Arg(y []float32, arg []uint8, src []float32, taps []int, row int, w []float32, o, windows, rows int) {
	k := len(taps)
	if k == 0 || o <= 0 || windows < 0 || rows < 0 || row < 2*windows || slices.Min(taps) < 0 {
		panic(fmt.Sprintf("linalg: ProductsReLUPool2x2Arg: %d rows of %d windows of %d channels, %d taps, rows %d apart", rows, windows, o, k, row))
	}
	if windows == 0 || rows == 0 {
		return
	}
	run := windows * o // a pooled row's floats
	if len(y) < rows*run || len(arg) < rows*run || len(w) < k*o || len(src) < (2*rows-1)*row+2*windows+slices.Max(taps) {
		panic(fmt.Sprintf("linalg: ProductsReLUPool2x2Arg: %d, %d, %d and %d values for %d rows of %d windows of %d channels, %d taps up to %d, rows %d apart",
			len(y), len(arg), len(src), len(w), rows, windows, o, k, slices.Max(taps), row))
	}
	if !ProductsPoolFused(o) {
		for r := range rows {
			productsReLUPool2x2ArgGo(y[r*run:], arg[r*run:], src[2*r*row:], taps, row, w, o, windows)
		}
		return
	}
	// Each tap's offsets for the top and the bottom row, side by side.
	var stack [2 * 64]int
	tab := stack[:]
	if 2*k > len(stack) {
		tab = make([]int, 2*k)
	}
	for t, off := range taps {
		tab[2*t], tab[2*t+1] = off, off+row
	}
	wide := hasAVX512F && o%32 == 0
	for r := range rows {
		at, from := r*run, 2*r*row
		if wide {
			for j := 0; j < o; j += 32 {
				productsReLUPool2x2ArgAVX512(&y[at+j], &arg[at+j], o, &src[from], &tab[0], &w[j], o, k, windows)
			}
			continue
		}
		for j := 0; j < o; j += 16 {
			productsReLUPool2x2ArgAVX2(&y[at+j], &arg[at+j], o, &src[from], &tab[0], &w[j], o, k, windows)
		}
	}
}

// productsReLUPool2x2ArgGo is one pooled row: it unfolds the row's two
// pixel rows, multiplies them into a scratch, then pools it with
// ReLUMaxPool2x2RowsArg.
func productsReLUPool2x2ArgGo(y []float32, arg []uint8, src []float32, taps []int, row int, w []float32, o, windows int) {
	k, n := len(taps), 2*windows
	col := unfold(src, taps, row, 2, n) // k × 2n: the top row's pixels, then the bottom's
	z := make([]float32, 2*n*o)
	top, bottom := z[:n*o], z[n*o:]
	Gemm(true, false, n, o, k, 1, col, 2*n, w, o, 0, top, o)
	Gemm(true, false, n, o, k, 1, col[n:], 2*n, w, o, 0, bottom, o)
	ReLUMaxPool2x2RowsArg(y[:windows*o], arg[:windows*o], top, bottom, o)
}

// unfold is the k × rows·n matrix of the taps of rows rows of n pixels
// (row floats apart) of src.
func unfold(src []float32, taps []int, row, rows, n int) []float32 {
	col := make([]float32, len(taps)*rows*n)
	for t, off := range taps {
		for r := range rows {
			copy(col[(t*rows+r)*n:(t*rows+r+1)*n], src[r*row+off:])
		}
	}
	return col
}

// PooledGradFused reports whether PooledGradProducts runs in assembly for
// k taps and o channels: AVX-512, k a multiple of 9 (3×3 kernels) and o of
// 32. Elsewhere it runs its Go form, the unfolding, the routing and the
// product apart through scratches. The kernel takes nine taps a pass over
// the pixels and routes each pixel's gradient again in every pass: on a
// colour image's 27 taps, read from its unfolding, that made the default
// tower's 48 px kernel gradient slower (3.1-3.8 ms against 2.8-3.0 for the
// routing and the GEMM apart, BenchmarkConvPoolCL, one core); read from the
// padded image in place it takes 0.79 of the time (10 rounds in turn).
func PooledGradFused(k, o int) bool {
	return hasAVX512F && asmProducts() && k > 0 && k%9 == 0 && o > 0 && o%32 == 0
}

// PooledGradProducts is the kernel gradient of the layer that
// ProductsReLUPool2x2Arg computes, for one image of oh×ow output pixels: it
// sets sum (k×o, rows o apart, k = len(taps)) to beta·sum + col·dz, beta 0
// or 1, where col is the k×oh·ow unfolding of src (col[t][y·ow + x] =
// src[y·row + x + taps[t]]) and dz (oh·ow×o) the gradient that
// ReLUMaxPool2x2RowsArgGrad routes from the pooled gradient dy through the
// window positions arg ((oh/2)·(ow/2) pooled pixels of o channels), zero at
// pixels no window covers. Neither is written: each pixel's gradient is
// routed in registers as the products reach it. The sums are those of
// Gemm(false, false, k, o, oh·ow, 1, col, oh·ow, dz, o, beta, sum, o) to the
// bit: the same passes over the pixels, each an FMA chain from zero added
// to sum. It panics if a slice is too short, a size is not positive, a tap
// is negative, row < ow, or beta is neither 0 nor 1.
func PooledGradProducts(sum []float32, beta float32, src []float32, taps []int, row int, dy []float32, arg []uint8, oh, ow, o int) {
	k, ph, pw, plane := len(taps), oh/2, ow/2, oh*ow
	if k == 0 || o <= 0 || oh <= 0 || ow <= 0 || row < ow || slices.Min(taps) < 0 || (beta != 0 && beta != 1) {
		panic(fmt.Sprintf("linalg: PooledGradProducts: %d taps, %d channels, %d×%d plane, rows %d apart, beta %v", k, o, oh, ow, row, beta))
	}
	if len(sum) < k*o || len(src) < (oh-1)*row+ow+slices.Max(taps) || len(dy) < ph*pw*o || len(arg) < ph*pw*o {
		panic(fmt.Sprintf("linalg: PooledGradProducts: %d, %d, %d and %d values for %d taps up to %d, %d channels, a %d×%d plane, rows %d apart",
			len(sum), len(src), len(dy), len(arg), k, slices.Max(taps), o, oh, ow, row))
	}
	if !PooledGradFused(k, o) || ph == 0 || pw == 0 {
		pooledGradProductsGo(sum, beta, src, taps, row, dy, arg, oh, ow, o)
		return
	}
	kc := kernels().pass(plane) // gemm's passes over the pixels
	for t := 0; t < k; t += 9 {
		for j := 0; j < o; j += 32 {
			for p := 0; p < plane; p += kc {
				y, x := p/ow, p%ow
				productsPooledGradAVX512(&sum[t*o+j], o, beta != 0 || p > 0, &src[y*row+x], &taps[t], row, &dy[j], &arg[j], o, x, y, min(kc, plane-p), ow, pw, ph)
			}
		}
	}
}

// pooledGradProductsGo unfolds src and routes dy into scratches, then
// multiplies them.
func pooledGradProductsGo(sum []float32, beta float32, src []float32, taps []int, row int, dy []float32, arg []uint8, oh, ow, o int) {
	ph, pw := oh/2, ow/2
	col := unfold(src, taps, row, oh, ow)
	dz := make([]float32, oh*ow*o)
	line, run := ow*o, pw*o
	for py := range ph {
		top, bottom := dz[2*py*line:], dz[(2*py+1)*line:]
		ReLUMaxPool2x2RowsArgGrad(top[:2*run], bottom[:2*run], arg[py*run:(py+1)*run], dy[py*run:(py+1)*run], o)
	}
	Gemm(false, false, len(taps), o, oh*ow, 1, col, oh*ow, dz, o, beta, sum, o)
}
