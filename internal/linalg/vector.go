package linalg

// Vector kernels for per-channel statistics and element-wise maps (affine,
// ReLU, addition): the memory-bound passes of batch normalisation, of
// activations and of folding unfolded columns back. The sums accumulate in
// float64: a channel of a batch holds up to millions of values, and
// float32 sums of that many lose the digits a variance needs. Where the
// CPU has AVX2 and FMA, the bulk runs in assembly with sixteen float64
// partial sums; the Go forms use four. The two orders round differently in
// the last bits of a sum, so a result depends on the CPU's features, never
// on anything else.

import (
	"fmt"
	"math"
)

// vectorBulk is how many of n elements the assembly kernels take, a
// multiple of their step: none without AVX2 and FMA.
func vectorBulk(n, step int) int {
	if !hasAVX2FMA {
		return 0
	}
	return n - n%step
}

// Add adds src to dst element by element: dst[i] += src[i] for every i of
// src. It panics if dst is shorter than src. Folding unfolded columns back
// onto an image (the adjoint of im2col) is this on runs of a few hundred
// floats, where the compiler's scalar loop leaves most of a vector unit
// idle.
func Add(dst, src []float32) {
	d := dst[:len(src)]
	AddInto(d, d, src)
}

// AddInto writes a + b into out element by element: out[i] = a[i] + b[i]
// for every i of a. out may be a or b itself. It panics unless b and out
// are at least as long as a. It is the sum by which a training step adds
// up the gradients a tensor gets from its several consumers (see
// internal/network's engine), a scalar loop in gorgonia.
func AddInto(out, a, b []float32) {
	if len(a) == 0 {
		return
	}
	_, _ = out[len(a)-1], b[len(a)-1]
	bulk := vectorBulk(len(a), 8)
	if bulk > 0 {
		addIntoAVX2(&out[0], &a[0], &b[0], bulk)
	}
	addIntoGo(out[bulk:], a[bulk:], b[bulk:])
}

func addIntoGo(out, a, b []float32) {
	out, b = out[:len(a)], b[:len(a)]
	for i, v := range a {
		out[i] = v + b[i]
	}
}

// CopyRuns copies count runs of run floats, the i-th from src[i·lds] to
// dst[i·ldd]. Runs of src may overlap (lds < run), as a strided
// convolution's windows do; runs of dst may not. It panics if a slice is
// too short or ldd < run. Unfolding an image for a convolution is this on
// runs of one to three pixels, each a cache miss or two: one memmove call
// per run waits for its misses before the next starts, where this loop
// has loads of several runs in flight.
func CopyRuns(dst []float32, ldd int, src []float32, lds, run, count int) {
	if run < 0 || count < 0 || lds < 0 || ldd < run {
		panic(fmt.Sprintf("linalg: CopyRuns: %d runs of %d, strides %d and %d", count, run, ldd, lds))
	}
	if count == 0 || run == 0 {
		return
	}
	_, _ = dst[(count-1)*ldd+run-1], src[(count-1)*lds+run-1]
	if hasAVX2FMA && run%8 == 0 {
		copyRunsAVX2(&dst[0], ldd, &src[0], lds, run, count)
		return
	}
	for i := range count {
		copy(dst[i*ldd:i*ldd+run], src[i*lds:i*lds+run])
	}
}

// AddRuns adds count runs of run floats, the i-th from src[i·lds] onto
// dst[i·ldd], run after run, so that where runs of dst overlap (ldd <
// run, as a strided convolution's windows fold back onto its input) each
// element gets its terms in run order, as from count calls of Add. It
// panics if a slice is too short.
func AddRuns(dst []float32, ldd int, src []float32, lds, run, count int) {
	if run < 0 || count < 0 || lds < run || ldd < 0 {
		panic(fmt.Sprintf("linalg: AddRuns: %d runs of %d, strides %d and %d", count, run, ldd, lds))
	}
	if count == 0 || run == 0 {
		return
	}
	_, _ = dst[(count-1)*ldd+run-1], src[(count-1)*lds+run-1]
	if hasAVX2FMA && run%8 == 0 {
		addRunsAVX2(&dst[0], ldd, &src[0], lds, run, count)
		return
	}
	for i := range count {
		d := dst[i*ldd : i*ldd+run]
		addIntoGo(d, d, src[i*lds:i*lds+run])
	}
}

// SumSquares returns Σv and Σv² in float64.
func SumSquares(v []float32) (sum, sq float64) {
	bulk := vectorBulk(len(v), 16)
	if bulk > 0 {
		sum, sq = sumSquaresAVX2(&v[0], bulk)
	}
	s, q := sumSquaresGo(v[bulk:])
	return sum + s, sq + q
}

// Sum returns Σv in float64.
func Sum(v []float32) float64 {
	var sum float64
	bulk := vectorBulk(len(v), 16)
	if bulk > 0 {
		sum = sumAVX2(&v[0], bulk)
	}
	return sum + sumGo(v[bulk:])
}

// DotCentred returns Σ g[i]·(x[i] - mu) in float64, x[i] - mu rounded to
// float32 first. It panics if g is shorter than x.
func DotCentred(g, x []float32, mu float32) float64 {
	if len(x) == 0 {
		return 0
	}
	_ = g[len(x)-1]
	var sum float64
	bulk := vectorBulk(len(x), 16)
	if bulk > 0 {
		sum = dotCentredAVX2(&g[0], &x[0], bulk, mu)
	}
	return sum + dotCentredGo(g[bulk:len(x)], x[bulk:], mu)
}

// AffineCentred sets out[i] = scale·(x[i] - mu) + shift, in float32. It
// panics if out is shorter than x.
func AffineCentred(out, x []float32, mu, scale, shift float32) {
	if len(x) == 0 {
		return
	}
	_ = out[len(x)-1]
	bulk := vectorBulk(len(x), 8)
	if bulk > 0 {
		affineCentredAVX2(&out[0], &x[0], bulk, mu, scale, shift)
	}
	out = out[bulk:len(x)]
	for j, v := range x[bulk:] {
		out[j] = scale*(v-mu) + shift
	}
}

// CombineCentred sets out[i] = a·y[i] + k·(x[i] - mu) + b, in float32 and
// in that order. It panics if out or y is shorter than x.
func CombineCentred(out, y, x []float32, a, k, mu, b float32) {
	if len(x) == 0 {
		return
	}
	_, _ = out[len(x)-1], y[len(x)-1]
	bulk := vectorBulk(len(x), 8)
	if bulk > 0 {
		combineCentredAVX2(&out[0], &y[0], &x[0], bulk, a, k, mu, b)
	}
	out, y = out[bulk:len(x)], y[bulk:len(x)]
	for j, v := range x[bulk:] {
		out[j] = a*y[j] + k*(v-mu) + b
	}
}

// sumSquaresGo is Σv and Σv² with four accumulators each, so the
// additions do not wait on one another.
func sumSquaresGo(v []float32) (sum, sq float64) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		a, b, c, d := float64(v[i]), float64(v[i+1]), float64(v[i+2]), float64(v[i+3])
		s0, s1, s2, s3 = s0+a, s1+b, s2+c, s3+d
		q0, q1, q2, q3 = q0+a*a, q1+b*b, q2+c*c, q3+d*d
	}
	for ; i < len(v); i++ {
		a := float64(v[i])
		s0 += a
		q0 += a * a
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
}

func sumGo(v []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += float64(v[i])
		s1 += float64(v[i+1])
		s2 += float64(v[i+2])
		s3 += float64(v[i+3])
	}
	for ; i < len(v); i++ {
		s0 += float64(v[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func dotCentredGo(g, x []float32, mu float32) float64 {
	g = g[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(g[i]) * float64(x[i]-mu)
		s1 += float64(g[i+1]) * float64(x[i+1]-mu)
		s2 += float64(g[i+2]) * float64(x[i+2]-mu)
		s3 += float64(g[i+3]) * float64(x[i+3]-mu)
	}
	for ; i < len(x); i++ {
		s0 += float64(g[i]) * float64(x[i]-mu)
	}
	return (s0 + s1) + (s2 + s3)
}

// ReLU sets out[i] = max(x[i], 0), with -0 and NaNs whose sign bit is set
// becoming +0 (a mask of the sign bit, with no data-dependent branch). It
// panics if out is shorter than x.
func ReLU(out, x []float32) {
	if len(x) == 0 {
		return
	}
	_ = out[len(x)-1]
	bulk := vectorBulk(len(x), 8)
	if bulk > 0 {
		reluAVX2(&out[0], &x[0], bulk)
	}
	out = out[bulk:len(x)]
	for i, v := range x[bulk:] {
		b := math.Float32bits(v)
		out[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// PassPositive sets out[i] = g[i] where y[i] > 0 and +0 elsewhere (NaN
// included): the gradient of a ReLU through its output y. It panics if out
// or g is shorter than y.
func PassPositive(out, y, g []float32) {
	if len(y) == 0 {
		return
	}
	_, _ = out[len(y)-1], g[len(y)-1]
	bulk := vectorBulk(len(y), 8)
	if bulk > 0 {
		passPositiveAVX2(&out[0], &y[0], &g[0], bulk)
	}
	out, g = out[bulk:len(y)], g[bulk:len(y)]
	for i, v := range y[bulk:] {
		// A select on the bit pattern compiles to a conditional move; a
		// float select would be a branch that mispredicts on half of all
		// activations.
		d := math.Float32bits(g[i])
		if !(v > 0) {
			d = 0
		}
		out[i] = math.Float32frombits(d)
	}
}

// AddReLU sets out[i] = max(a[i]+b[i], 0) with Go's max: NaN stays NaN and
// -0 becomes +0. It panics if out or b is shorter than a.
func AddReLU(out, a, b []float32) {
	if len(a) == 0 {
		return
	}
	_, _ = out[len(a)-1], b[len(a)-1]
	bulk := vectorBulk(len(a), 8)
	if bulk > 0 {
		addReLUAVX2(&out[0], &a[0], &b[0], bulk)
	}
	out, b = out[bulk:len(a)], b[bulk:len(a)]
	for i, v := range a[bulk:] {
		out[i] = max(v+b[i], 0)
	}
}

// MaxPairs sets h[t] to the larger of x[2t] and x[2t+1] compared as int32
// bit patterns, for t < len(h). Non-negative floats order like their bit
// patterns and negative ones fall below every non-negative one, so the
// result is the true maximum whenever that is >= 0, and negative
// otherwise: exact for a maximum that a ReLU follows (max pooling of ReLU
// outputs). It panics if x is shorter than 2·len(h).
func MaxPairs(h, x []float32) {
	n := len(h)
	if n == 0 {
		return
	}
	_ = x[2*n-1]
	bulk := vectorBulk(n, 8)
	if bulk > 0 {
		maxPairsAVX2(&h[0], &x[0], bulk)
	}
	for t := bulk; t < n; t++ {
		a, b := int32(math.Float32bits(x[2*t])), int32(math.Float32bits(x[2*t+1]))
		h[t] = math.Float32frombits(uint32(max(a, b)))
	}
}

// RoutePairs is the adjoint of MaxPairs for a gradient gh of h: for
// t < len(h), dx[2t] = gh[t] where x[2t] has h[t]'s bits, and dx[2t+1] =
// gh[t] where x[2t+1] has them and x[2t] does not; every other element of
// dx is +0. It panics if dx or x is shorter than 2·len(h) or gh than h.
func RoutePairs(dx, x, h, gh []float32) {
	n := len(h)
	if n == 0 {
		return
	}
	_, _, _ = dx[2*n-1], x[2*n-1], gh[n-1]
	bulk := vectorBulk(n, 8)
	if bulk > 0 {
		routePairsAVX2(&dx[0], &x[0], &h[0], &gh[0], bulk)
	}
	for t := bulk; t < n; t++ {
		m, g := math.Float32bits(h[t]), gh[t]
		dx[2*t], dx[2*t+1] = 0, 0
		switch {
		case math.Float32bits(x[2*t]) == m:
			dx[2*t] = g
		case math.Float32bits(x[2*t+1]) == m:
			dx[2*t+1] = g
		}
	}
}

// EvensRows takes every other element of rows rows, as a stride-2
// convolution samples its input: dst[r·ldd + t] = src[r·lds + 2t] for
// r < rows and t < n. It panics if a slice is too short or ldd < n.
// Unfolding an input layer at stride 2 takes every other pixel of every
// other image row, 32 pixels a row on a 64-pixel image: one call per row
// costs more than the row's copy.
func EvensRows(dst []float32, ldd int, src []float32, lds, n, rows int) {
	if n < 0 || rows < 0 || lds < 0 || ldd < n {
		panic(fmt.Sprintf("linalg: EvensRows: %d rows of %d, strides %d and %d", rows, n, ldd, lds))
	}
	if n == 0 || rows == 0 {
		return
	}
	_, _ = dst[(rows-1)*ldd+n-1], src[(rows-1)*lds+2*n-2]
	if hasAVX2FMA {
		evensRowsAVX2(&dst[0], ldd, &src[0], lds, n, rows)
		return
	}
	for r := range rows {
		d, s := dst[r*ldd:r*ldd+n], src[r*lds:r*lds+2*n-1]
		for t := range d {
			d[t] = s[2*t]
		}
	}
}
