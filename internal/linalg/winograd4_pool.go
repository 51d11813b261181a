package linalg

import "fmt"

// F(4×4, 3×3) with the ReLU and 2×2 max pooling that follow a pooled
// convolution (internal/network's conv2D with pool), in one pass over a
// tile: a 4×4 output tile holds exactly four pooling windows. Forward,
// Winograd4OutputPool takes the tile's Aᵀ M A into registers and writes only
// the four pooled pixels and their window positions, where Winograd4Output
// then ReLUMaxPool2x2RowsArg wrote sixteen pixels to a scratch plane and
// read them back. Backward, Winograd4OutputGradPool builds the 4×4 gradient
// tile from the four pooled gradients and their positions in registers,
// where ReLUMaxPool2x2RowsArgGrad wrote it out (three zeros for every value)
// for Winograd4OutputGrad to read. The values are the separate kernels', to
// the bit: the same transforms in the same order, the same integer-key
// maximum and the same routing of bit patterns.
//
// The pooled side of a row of tiles is one or two pooled rows, stride
// apart, of 2·tiles or 2·tiles-1 pixels of c channels: tile t's pixels at
// (2t+s)·c, s < 2, in y (or dy) and arg alike. The pooled rows and pixels
// that a plane of whole tiles has past the pooled output (a 14×14 plane
// in 4×4 tiles pools to 7×7, not 8×8) are left out: rows = 1 for the last
// row of tiles of such a plane, pixels = 2·tiles-1 on every row of it.
// Forward, they are not written; backward, they get no gradient.

// Winograd4PoolFused reports whether Winograd4OutputPool and
// Winograd4OutputGradPool run in assembly on rows of c channels (AVX-512,
// c a multiple of 16). Elsewhere they run their Go forms, slower than
// Winograd4Output and the pooling kernels apart.
func Winograd4PoolFused(c int) bool { return wideRows(c) }

// Winograd4OutputPool writes, for tiles tiles of c channels, what
// ReLUMaxPool2x2RowsArg makes of each tile's 4×4 output Aᵀ M A (from
// m[ξ·plane + t·c + k], as Winograd4Output reads it): tile t's pooled
// pixel (r, s), r, s < 2, at y[r·stride + (2t+s)·c + k] and its window
// position at arg[r·stride + (2t+s)·c + k], for r < rows and 2t+s <
// pixels. It panics if a slice is too short, the planes or pooled rows
// overlap, c is not positive, or rows or pixels are not as above.
func Winograd4OutputPool(y []float32, arg []uint8, stride int, m []float32, plane, c, tiles, pixels, rows int) {
	if !checkPooledTiles("Winograd4OutputPool", len(y), len(arg), stride, len(m), plane, c, tiles, pixels, rows) {
		return
	}
	if wideRows(c) {
		winograd4OutputPoolAVX512(&y[0], &arg[0], stride, &m[0], plane, c, tiles, 2*tiles-pixels, rows)
		return
	}
	winograd4OutputPoolGo(y, arg, stride, m, plane, c, tiles, pixels, rows)
}

// Winograd4OutputGradPool is Winograd4OutputPool's adjoint through y: it
// writes into dm[ξ·plane + t·c + k] what Winograd4OutputGrad makes of the
// 4×4 gradient tiles that ReLUMaxPool2x2RowsArgGrad routes from the pooled
// gradient dy and the window positions arg, laid out as
// Winograd4OutputPool's y and arg (+0 for the pooled pixels left out). It
// panics as Winograd4OutputPool does.
func Winograd4OutputGradPool(dm []float32, plane int, dy []float32, arg []uint8, stride, c, tiles, pixels, rows int) {
	if !checkPooledTiles("Winograd4OutputGradPool", len(dy), len(arg), stride, len(dm), plane, c, tiles, pixels, rows) {
		return
	}
	if wideRows(c) {
		winograd4OutputGradPoolAVX512(&dm[0], plane, &dy[0], &arg[0], stride, c, tiles, 2*tiles-pixels, rows)
		return
	}
	winograd4OutputGradPoolGo(dm, plane, dy, arg, stride, c, tiles, pixels, rows)
}

// checkPooledTiles panics unless the pooled side (ny floats, na window
// positions) holds rows pooled rows of pixels pixels, stride apart, and
// the 36 planes (nm floats) tiles tiles of c channels; it reports whether
// there is any work.
func checkPooledTiles(name string, ny, na, stride, nm, plane, c, tiles, pixels, rows int) bool {
	if c <= 0 || tiles < 0 || plane < tiles*c || rows < 1 || rows > 2 || (pixels != 2*tiles && pixels != 2*tiles-1) || (rows == 2 && stride < pixels*c) {
		panic(fmt.Sprintf("linalg: %s: %d tiles of %d channels, %d pooled rows of %d pixels, plane %d, stride %d", name, tiles, c, rows, pixels, plane, stride))
	}
	if tiles == 0 {
		return false
	}
	pooled := (rows-1)*stride + pixels*c
	if ny < pooled || na < pooled || nm < 35*plane+tiles*c {
		panic(fmt.Sprintf("linalg: %s: %d, %d and %d values for %d tiles of %d channels, %d pooled rows of %d pixels, plane %d, stride %d", name, ny, na, nm, tiles, c, rows, pixels, plane, stride))
	}
	return true
}

// winograd4OutputPoolGo and winograd4OutputGradPoolGo are the separate
// kernels' Go forms one tile at a time, through a tile-sized scratch and,
// for a tile's pooled pixels, a scratch pair of them.
func winograd4OutputPoolGo(y []float32, arg []uint8, stride int, m []float32, plane, c, tiles, pixels, rows int) {
	tile, py, pa := make([]float32, 16*c), make([]float32, 2*c), make([]uint8, 2*c)
	for t := range tiles {
		winograd4OutputGo(tile, 4*c, m[t*c:], plane, c, 1)
		n := min(2, pixels-2*t) * c
		for r := range rows {
			at := r*stride + 2*t*c
			reluMaxPool2x2RowsArgGo(py, pa, tile[2*r*4*c:], tile[(2*r+1)*4*c:], c)
			copy(y[at:at+n], py)
			copy(arg[at:at+n], pa)
		}
	}
}

func winograd4OutputGradPoolGo(dm []float32, plane int, dy []float32, arg []uint8, stride, c, tiles, pixels, rows int) {
	tile, pdy, pa := make([]float32, 16*c), make([]float32, 2*c), make([]uint8, 2*c)
	for t := range tiles {
		n := min(2, pixels-2*t) * c
		for r := range 2 {
			// The pixels left out route +0.
			clear(pdy)
			if r < rows {
				at := r*stride + 2*t*c
				copy(pdy, dy[at:at+n])
				copy(pa, arg[at:at+n])
			}
			reluMaxPool2x2RowsArgGradGo(tile[2*r*4*c:], tile[(2*r+1)*4*c:], pa, pdy, c)
		}
		winograd4OutputGradGo(dm[t*c:], plane, tile, 4*c, c, 1)
	}
}
