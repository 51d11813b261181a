//go:build amd64 && !purego

package linalg

// The per-column kernels of rows_amd64.s, on rows×c matrices with c a
// positive multiple of 8 and rows > 0.

//go:noescape
func sumSquaresRowsAVX2(x *float32, rows, c int, sum, sq *float64)

//go:noescape
func sumRowsAVX2(x *float32, rows, c int, sum *float64)

// scale and shift are nil for a g taken as it is.
//
//go:noescape
func sumDotCentredRowsAVX2(grad, x, mu, scale, shift *float32, rows, c int, sum, dot *float64)

//go:noescape
func affineCentredRowsAVX2(out, x, mu, scale, shift *float32, rows, c int)

// scale and shift are nil for a y taken as it is.
//
//go:noescape
func combineCentredRowsAVX2(out, y, x, a, k, mu, b, scale, shift *float32, rows, c int)
