//go:build !amd64 || purego

package linalg

func sumSquaresRowsAVX2(x *float32, rows, c int, sum, sq *float64)         { panic("no assembly") }
func sumRowsAVX2(x *float32, rows, c int, sum *float64)                    { panic("no assembly") }
func affineCentredRowsAVX2(out, x, mu, scale, shift *float32, rows, c int) { panic("no assembly") }
func sumDotCentredRowsAVX2(grad, x, mu, scale, shift *float32, rows, c int, sum, dot *float64) {
	panic("no assembly")
}
func combineCentredRowsAVX2(out, y, x, a, k, mu, b, scale, shift *float32, rows, c int) {
	panic("no assembly")
}
