package linalg

// Per-column kernels of a row-major rows×C matrix: the channels-last form
// of the per-channel passes in vector.go, where a row is one pixel's C
// channels and column c is channel c. Each takes the channel parameters as
// C-long slices and walks the matrix row by row, so a channel's values are
// never gathered from strided memory. Float64 sums accumulate per column
// into the caller's slices, which may hold earlier partial sums.
//
// Where the CPU has AVX2 and FMA and C is a multiple of 8 (the network's
// channel counts are 32 to 256), the whole matrix runs in assembly
// (rows_amd64.s); any other C, or CPU, runs the Go forms below. Unlike the
// whole-vector sums of vector.go, a column's float64 sum here has one
// order in both forms, row after row into the caller's accumulator, and
// every product added to it (x², g·(x-mu), of float32 values) is exact in
// float64, so an FMA rounds it as the Go form's multiply-then-add does:
// both forms give the same bits. The float32 maps round after every
// operation in both forms, as the explicit conversions in the Go forms
// insist even where the compiler would fuse a multiply and an add
// (GOAMD64=v3), so they too agree to the bit.

// rowsAsm reports whether the assembly kernels take a matrix of c columns:
// they step 8 columns at a time and have no tail.
func rowsAsm(c int) bool {
	return hasAVX2FMA && c%8 == 0
}

// wideRows reports whether the AVX-512 kernels (Winograd's tile
// transforms, the pooling that keeps its window positions) take rows of c
// channels: they step 16 at a time and have no tail. Where their work
// stays in L1 it is bound by the instructions issued, and these issue
// half as many as their AVX2 twins.
func wideRows(c int) bool {
	return hasAVX512F && c%16 == 0
}

// SumSquaresRows adds Σ_r x[r·C+c] to sum[c] and Σ_r x[r·C+c]² to sq[c],
// in float64, C being len(sum). It panics if sq is shorter than sum or if
// len(x) is not a multiple of C.
func SumSquaresRows(x []float32, sum, sq []float64) {
	c := checkRows("SumSquaresRows", len(x), len(sum))
	if len(x) == 0 {
		return
	}
	_ = sq[c-1] // an index, not a reslice, which would pass on capacity
	if rowsAsm(c) {
		columnBlocks(len(x), c, func(at, end int) {
			sumSquaresRowsAVX2(&x[at], (end-at)/c, c, &sum[0], &sq[0])
		})
		return
	}
	sumSquaresRowsGo(x, sum, sq)
}

// sumSquaresRowsGo and the other *RowsGo functions are the Go forms, for
// any column count; they take slices their exported kernels have checked.
func sumSquaresRowsGo(x []float32, sum, sq []float64) {
	c := len(sum)
	sq = sq[:c]
	for r := 0; r < len(x); r += c {
		row := x[r : r+c]
		for j, v := range row {
			f := float64(v)
			sum[j] += f
			sq[j] += f * f
		}
	}
}

// SumRows adds Σ_r x[r·C+c] to sum[c] in float64, C being len(sum). It
// panics if len(x) is not a multiple of C.
func SumRows(x []float32, sum []float64) {
	c := checkRows("SumRows", len(x), len(sum))
	if len(x) == 0 {
		return
	}
	if rowsAsm(c) {
		sumRowsAVX2(&x[0], len(x)/c, c, &sum[0])
		return
	}
	sumRowsGo(x, sum)
}

func sumRowsGo(x []float32, sum []float64) {
	c := len(sum)
	for r := 0; r < len(x); r += c {
		for j, v := range x[r : r+c] {
			sum[j] += float64(v)
		}
	}
}

// SumDotCentredRows adds Σ_r g'[r·C+c] to sum[c] and Σ_r g'[r·C+c]·(x[r·C+c]
// - mu[c]) to dot[c], in float64 with x - mu rounded to float32 first, C
// being len(mu), where g' = g, or, when scale is not nil, g where
// scale[c]·(x - mu[c]) + shift[c] > 0 and +0 elsewhere (NaN included):
// the gradient of a ReLU that followed that affine map, its mask computed
// from x as AffineCentredRows computes the map, so that the ReLU's output
// need not be read. The sums take each column's rows in order, as SumRows
// does; in assembly the accumulators stay in registers over a block of
// rows, where SumRows loads and stores its own for every row. It panics if sum or dot is shorter than mu, g shorter than x,
// scale or shift (when scale is not nil) shorter than mu, or len(x) is not
// a multiple of C.
func SumDotCentredRows(g, x, mu, scale, shift []float32, sum, dot []float64) {
	c := checkRows("SumDotCentredRows", len(x), len(mu))
	if len(x) == 0 {
		return
	}
	_, _, _ = sum[c-1], dot[c-1], g[len(x)-1]
	if scale != nil {
		_, _ = scale[c-1], shift[c-1]
	}
	if !rowsAsm(c) {
		sumDotCentredRowsGo(g, x, mu, scale, shift, sum, dot)
		return
	}
	var sp, hp *float32
	if scale != nil {
		sp, hp = &scale[0], &shift[0]
	}
	columnBlocks(len(x), c, func(at, end int) {
		sumDotCentredRowsAVX2(&g[at], &x[at], &mu[0], sp, hp, (end-at)/c, c, &sum[0], &dot[0])
	})
}

// columnBlocks runs fn on the blocks [at, end) of n values, whole rows of
// c, that the assembly of SumSquaresRows and SumDotCentredRows takes a
// call at a time: those loop over 8 columns at a time outside the rows,
// so a block must stay in L1 between its column passes. At most
// columnBlock values, or one row.
func columnBlocks(n, c int, fn func(at, end int)) {
	block := max(1, columnBlock/c) * c
	for at := 0; at < n; at += block {
		fn(at, min(n, at+block))
	}
}

// columnBlock is the most values columnBlocks hands on: fewer ran faster,
// as far down as 256 (1 KiB of each stream), on the photos preset's 32
// and 128 channels.
const columnBlock = 256

func sumDotCentredRowsGo(g, x, mu, scale, shift []float32, sum, dot []float64) {
	c := len(mu)
	sum, dot, g = sum[:c], dot[:c], g[:len(x)]
	for r := 0; r < len(x); r += c {
		gr, xr := g[r:r+c], x[r:r+c]
		for j, v := range xr {
			gv, centred := gr[j], v-mu[j]
			// The rounded product, as in affineCentredRowsGo.
			if scale != nil && !(float32(scale[j]*centred)+shift[j] > 0) {
				gv = 0
			}
			sum[j] += float64(gv)
			dot[j] += float64(gv) * float64(centred)
		}
	}
}

// AffineCentredRows sets out[r·C+c] = scale[c]·(x[r·C+c] - mu[c]) +
// shift[c] in float32, each operation rounded (no fused multiply-add), C
// being len(mu). It panics if out is shorter than x, scale or shift
// shorter than mu, or len(x) is not a multiple of C.
func AffineCentredRows(out, x, mu, scale, shift []float32) {
	c := checkRows("AffineCentredRows", len(x), len(mu))
	if len(x) == 0 {
		return
	}
	_, _, _ = out[len(x)-1], scale[c-1], shift[c-1]
	if rowsAsm(c) {
		affineCentredRowsAVX2(&out[0], &x[0], &mu[0], &scale[0], &shift[0], len(x)/c, c)
		return
	}
	affineCentredRowsGo(out, x, mu, scale, shift)
}

func affineCentredRowsGo(out, x, mu, scale, shift []float32) {
	c := len(mu)
	out, scale, shift = out[:len(x)], scale[:c], shift[:c]
	for r := 0; r < len(x); r += c {
		or, xr := out[r:r+c], x[r:r+c]
		for j, v := range xr {
			// The conversion rounds the product, as the assembly's VMULPS
			// does, where GOAMD64=v3 would otherwise fuse it into the add.
			or[j] = float32(scale[j]*(v-mu[j])) + shift[j]
		}
	}
}

// CombineCentredRows sets out[r·C+c] = a[c]·y[r·C+c] + k[c]·(x[r·C+c] -
// mu[c]) + b[c] in float32 and in that order, each operation rounded (no
// fused multiply-add), C being len(mu). It panics if out or y is shorter
// than x, a, k or b shorter than mu, or len(x) is not a multiple of C.
func CombineCentredRows(out, y, x, a, k, mu, b []float32) {
	c := checkRows("CombineCentredRows", len(x), len(mu))
	if len(x) == 0 {
		return
	}
	_, _, _, _, _ = out[len(x)-1], y[len(x)-1], a[c-1], k[c-1], b[c-1]
	if rowsAsm(c) {
		combineCentredRowsAVX2(&out[0], &y[0], &x[0], &a[0], &k[0], &mu[0], &b[0], nil, nil, len(x)/c, c)
		return
	}
	combineCentredRowsGo(out, y, x, a, k, mu, b)
}

func combineCentredRowsGo(out, y, x, a, k, mu, b []float32) {
	c := len(mu)
	out, y, a, k, b = out[:len(x)], y[:len(x)], a[:c], k[:c], b[:c]
	for r := 0; r < len(x); r += c {
		or, yr, xr := out[r:r+c], y[r:r+c], x[r:r+c]
		for j, v := range xr {
			// Rounded products, as in affineCentredRowsGo.
			or[j] = float32(a[j]*yr[j]) + float32(k[j]*(v-mu[j])) + b[j]
		}
	}
}

// CombineCentredReLURows is CombineCentredRows with y masked as in
// SumDotCentredRows: y[r·C+c] where scale[c]·(x[r·C+c] - mu[c]) + shift[c]
// > 0 and +0 elsewhere. It panics as CombineCentredRows does, and if scale
// or shift is shorter than mu.
func CombineCentredReLURows(out, y, x, a, k, mu, b, scale, shift []float32) {
	c := checkRows("CombineCentredReLURows", len(x), len(mu))
	if len(x) == 0 {
		return
	}
	_, _, _, _, _, _, _ = out[len(x)-1], y[len(x)-1], a[c-1], k[c-1], b[c-1], scale[c-1], shift[c-1]
	if rowsAsm(c) {
		combineCentredRowsAVX2(&out[0], &y[0], &x[0], &a[0], &k[0], &mu[0], &b[0], &scale[0], &shift[0], len(x)/c, c)
		return
	}
	combineCentredReLURowsGo(out, y, x, a, k, mu, b, scale, shift)
}

func combineCentredReLURowsGo(out, y, x, a, k, mu, b, scale, shift []float32) {
	c := len(mu)
	out, y, a, k, b, scale, shift = out[:len(x)], y[:len(x)], a[:c], k[:c], b[:c], scale[:c], shift[:c]
	for r := 0; r < len(x); r += c {
		or, yr, xr := out[r:r+c], y[r:r+c], x[r:r+c]
		for j, v := range xr {
			gv, centred := yr[j], v-mu[j]
			if !(float32(scale[j]*centred)+shift[j] > 0) {
				gv = 0
			}
			// Rounded products, as in combineCentredRowsGo.
			or[j] = float32(a[j]*gv) + float32(k[j]*centred) + b[j]
		}
	}
}

// checkRows returns the column count c after checking that n values make
// whole rows of it.
func checkRows(name string, n, c int) int {
	if c <= 0 || n%c != 0 {
		panic("linalg." + name + ": length is not a multiple of the column count")
	}
	return c
}
