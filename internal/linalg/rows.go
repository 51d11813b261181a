package linalg

// Per-column kernels of a row-major rows×C matrix: the channels-last form
// of the per-channel passes in vector.go, where a row is one pixel's C
// channels and column c is channel c. Each takes the channel parameters as
// C-long slices and walks the matrix row by row, so a channel's values are
// never gathered from strided memory. Float64 sums accumulate per column
// into the caller's slices, which may hold earlier partial sums.

// SumSquaresRows adds Σ_r x[r·C+c] to sum[c] and Σ_r x[r·C+c]² to sq[c],
// in float64, C being len(sum). It panics if sq is shorter than sum or if
// len(x) is not a multiple of C.
func SumSquaresRows(x []float32, sum, sq []float64) {
	c := checkRows("SumSquaresRows", len(x), len(sum))
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

// SumRows adds Σ_r x[r·C+c] to sum[c] in float64, C being len(sum).
func SumRows(x []float32, sum []float64) {
	c := checkRows("SumRows", len(x), len(sum))
	for r := 0; r < len(x); r += c {
		for j, v := range x[r : r+c] {
			sum[j] += float64(v)
		}
	}
}

// DotCentredRows adds Σ_r g[r·C+c]·(x[r·C+c] - mu[c]) to dot[c] in
// float64, x - mu rounded to float32 first, C being len(mu). It panics if
// dot is shorter than mu or g shorter than x.
func DotCentredRows(g, x, mu []float32, dot []float64) {
	c := checkRows("DotCentredRows", len(x), len(mu))
	dot = dot[:c]
	g = g[:len(x)]
	for r := 0; r < len(x); r += c {
		gr, xr := g[r:r+c], x[r:r+c]
		for j, v := range xr {
			dot[j] += float64(gr[j]) * float64(v-mu[j])
		}
	}
}

// AffineCentredRows sets out[r·C+c] = scale[c]·(x[r·C+c] - mu[c]) +
// shift[c] in float32, C being len(mu). It panics if out is shorter than
// x or scale or shift shorter than mu.
func AffineCentredRows(out, x, mu, scale, shift []float32) {
	c := checkRows("AffineCentredRows", len(x), len(mu))
	out, scale, shift = out[:len(x)], scale[:c], shift[:c]
	for r := 0; r < len(x); r += c {
		or, xr := out[r:r+c], x[r:r+c]
		for j, v := range xr {
			or[j] = scale[j]*(v-mu[j]) + shift[j]
		}
	}
}

// CombineCentredRows sets out[r·C+c] = a[c]·y[r·C+c] + k[c]·(x[r·C+c] -
// mu[c]) + b[c] in float32 and in that order, C being len(mu). It panics
// if out or y is shorter than x or a, k or b shorter than mu.
func CombineCentredRows(out, y, x, a, k, mu, b []float32) {
	c := checkRows("CombineCentredRows", len(x), len(mu))
	out, y, a, k, b = out[:len(x)], y[:len(x)], a[:c], k[:c], b[:c]
	for r := 0; r < len(x); r += c {
		or, yr, xr := out[r:r+c], y[r:r+c], x[r:r+c]
		for j, v := range xr {
			or[j] = a[j]*yr[j] + k[j]*(v-mu[j]) + b[j]
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
