//go:build !amd64 || purego

package linalg

func reluMaxPool2x2RowsAVX2(y, top, bottom *float32, pixels, c int) { panic("no assembly") }
func reluMaxPool2x2RowsArgAVX2(y *float32, arg *uint8, top, bottom *float32, pixels, c int) {
	panic("no assembly")
}
func reluMaxPool2x2RowsArgGradAVX2(dtop, dbottom *float32, arg *uint8, dy *float32, pixels, c int) {
	panic("no assembly")
}
func reluMaxPool2x2RowsArgAVX512(y *float32, arg *uint8, top, bottom *float32, pixels, c int) {
	panic("no assembly")
}
func reluMaxPool2x2RowsArgGradAVX512(dtop, dbottom *float32, arg *uint8, dy *float32, pixels, c int) {
	panic("no assembly")
}
func productsReLUPool2x2ArgAVX512(y *float32, arg *uint8, ldy int, src *float32, taps *int, w *float32, ldw, k, windows int) {
	panic("no assembly")
}
func productsPooledGradAVX512(sum *float32, ldsum int, add bool, src *float32, taps *int, row int, dy *float32, arg *uint8, o, x, y, pixels, ow, pw, ph int) {
	panic("no assembly")
}
func productsReLUPool2x2ArgAVX2(y *float32, arg *uint8, ldy int, src *float32, taps *int, w *float32, ldw, k, windows int) {
	panic("no assembly")
}
