package linalg

// ReLU and 2×2 max pooling of channels-last rows in one pass: a pair of
// input rows, W pixels of C channels each, makes one output row of W/2
// pixels. Every input element is read once and every output written once.
// For training, ReLUMaxPool2x2RowsArg also writes a byte per output, the
// window position of its maximum, and the gradient
// (ReLUMaxPool2x2RowsArgGrad) needs only those bytes and dL/dy, not x and
// y, nor the pair maxima that the separate pooling passes this replaced
// kept for the whole batch.
//
// The maximum is the one MaxPairs takes, of the float32 bits as int32
// keys, which has no rounding and does not depend on the order in which
// the four values of a window are taken. The key of a float whose sign
// bit is set is negative, so max(key, 0) is ReLU's sign mask: -0 and NaNs
// with the sign bit set become +0, as in ReLU. Where the CPU has AVX2 and
// FMA and C is a multiple of 8 the kernels run in assembly
// (pool_amd64.s), to the bits of their Go forms; the two that keep the
// window positions run in AVX-512 where the CPU has it and C is a
// multiple of 16 (wideRows).

import "math"

// ReLUMaxPool2x2Rows sets, for ox < OW = len(y)/c and k < c,
//
//	y[ox·c+k] = ReLU(max(top[2ox·c+k], top[(2ox+1)·c+k],
//	                     bottom[2ox·c+k], bottom[(2ox+1)·c+k])),
//
// the maximum taken of the float32 bits as int32 keys, as in MaxPairs, and
// the ReLU that of ReLU (-0 and NaNs whose sign bit is set become +0). On
// a window without a NaN the result is max(0, the largest value), +0
// where that is 0. It panics if len(y) is not a multiple of c or top or
// bottom is shorter than 2·len(y).
func ReLUMaxPool2x2Rows(y, top, bottom []float32, c int) {
	checkRows("ReLUMaxPool2x2Rows", len(y), c)
	if len(y) == 0 {
		return
	}
	_, _ = top[2*len(y)-1], bottom[2*len(y)-1]
	if rowsAsm(c) {
		reluMaxPool2x2RowsAVX2(&y[0], &top[0], &bottom[0], len(y)/c, c)
		return
	}
	reluMaxPool2x2RowsGo(y, top, bottom, c)
}

// poolKey is the int32 key of v's bits: keys order as MaxPairs orders
// floats.
func poolKey(v float32) int32 { return int32(math.Float32bits(v)) }

// reluMaxPool2x2RowsGo, reluMaxPool2x2RowsArgGo and
// reluMaxPool2x2RowsArgGradGo are the Go forms, for any c; they take
// slices their exported kernels have checked.
func reluMaxPool2x2RowsGo(y, top, bottom []float32, c int) {
	for o := 0; o < len(y); o += c {
		tl, tr := top[2*o:2*o+c], top[2*o+c:2*o+2*c]
		bl, br := bottom[2*o:2*o+c], bottom[2*o+c:2*o+2*c]
		yo := y[o : o+c]
		for k := range yo {
			// The 0 is the ReLU: it wins over every key with the sign bit
			// set and loses to every other.
			m := max(poolKey(tl[k]), poolKey(tr[k]), poolKey(bl[k]), poolKey(br[k]), 0)
			yo[k] = math.Float32frombits(uint32(m))
		}
	}
}

// ReLUMaxPool2x2RowsArg is ReLUMaxPool2x2Rows that also writes, for every
// y[ox·c+k], arg[ox·c+k]: the window position, 0 to 3 in row-major order
// (top left, top right, bottom left, bottom right), of the first of the
// four values whose key is the maximum, or 4 where y[ox·c+k] > 0 fails
// (NaN included), which gets no gradient. All the gradient needs of a
// window is then a byte, not the four floats and y. It panics as
// ReLUMaxPool2x2Rows does, and if arg is shorter than y.
func ReLUMaxPool2x2RowsArg(y []float32, arg []uint8, top, bottom []float32, c int) {
	checkRows("ReLUMaxPool2x2RowsArg", len(y), c)
	if len(y) == 0 {
		return
	}
	_, _, _ = top[2*len(y)-1], bottom[2*len(y)-1], arg[len(y)-1]
	if wideRows(c) {
		reluMaxPool2x2RowsArgAVX512(&y[0], &arg[0], &top[0], &bottom[0], len(y)/c, c)
		return
	}
	if rowsAsm(c) {
		reluMaxPool2x2RowsArgAVX2(&y[0], &arg[0], &top[0], &bottom[0], len(y)/c, c)
		return
	}
	reluMaxPool2x2RowsArgGo(y, arg, top, bottom, c)
}

// ReLUMaxPool2x2RowsArgGrad is the adjoint of ReLUMaxPool2x2RowsArg
// through y, for a gradient dy of y (len(arg) values, c a row): dy[ox·c+k]
// goes to the window position that arg[ox·c+k] names, at its index of
// dtop or dbottom, and every other element of the first 2·len(arg) of
// dtop and dbottom is +0 (all four where arg is above 3). For arg from
// ReLUMaxPool2x2RowsArg, dy reaches the first maximum of each window where
// y > 0, as MaxPool2D routes after a ReLU. It panics if len(arg) is not a
// multiple of c, dy is shorter than arg, or dtop or dbottom shorter than
// 2·len(arg).
func ReLUMaxPool2x2RowsArgGrad(dtop, dbottom []float32, arg []uint8, dy []float32, c int) {
	checkRows("ReLUMaxPool2x2RowsArgGrad", len(arg), c)
	if len(arg) == 0 {
		return
	}
	n := 2 * len(arg)
	_, _, _ = dtop[n-1], dbottom[n-1], dy[len(arg)-1]
	if wideRows(c) {
		reluMaxPool2x2RowsArgGradAVX512(&dtop[0], &dbottom[0], &arg[0], &dy[0], len(arg)/c, c)
		return
	}
	if rowsAsm(c) {
		reluMaxPool2x2RowsArgGradAVX2(&dtop[0], &dbottom[0], &arg[0], &dy[0], len(arg)/c, c)
		return
	}
	reluMaxPool2x2RowsArgGradGo(dtop, dbottom, arg, dy, c)
}

func reluMaxPool2x2RowsArgGo(y []float32, arg []uint8, top, bottom []float32, c int) {
	for o := 0; o < len(y); o += c {
		tl, tr := top[2*o:2*o+c], top[2*o+c:2*o+2*c]
		bl, br := bottom[2*o:2*o+c], bottom[2*o+c:2*o+2*c]
		yo, ao := y[o:o+c], arg[o:o+c]
		for k := range yo {
			a, b, d, e := poolKey(tl[k]), poolKey(tr[k]), poolKey(bl[k]), poolKey(br[k])
			m := max(a, b, d, e)
			v := math.Float32frombits(uint32(max(m, 0)))
			yo[k] = v
			switch {
			case !(v > 0):
				ao[k] = 4
			case m == a:
				ao[k] = 0
			case m == b:
				ao[k] = 1
			case m == d:
				ao[k] = 2
			default:
				ao[k] = 3
			}
		}
	}
}

func reluMaxPool2x2RowsArgGradGo(dtop, dbottom []float32, arg []uint8, dy []float32, c int) {
	for o := 0; o < len(arg); o += c {
		dtl, dtr := dtop[2*o:2*o+c], dtop[2*o+c:2*o+2*c]
		dbl, dbr := dbottom[2*o:2*o+c], dbottom[2*o+c:2*o+2*c]
		ao, dyo := arg[o:o+c], dy[o:o+c]
		for k, at := range ao {
			// Bit patterns, as in the assembly: what gets nothing is
			// +0, never a -0 from a float product.
			var w [4]uint32
			if at < 4 {
				w[at] = math.Float32bits(dyo[k])
			}
			dtl[k], dtr[k] = math.Float32frombits(w[0]), math.Float32frombits(w[1])
			dbl[k], dbr[k] = math.Float32frombits(w[2]), math.Float32frombits(w[3])
		}
	}
}
