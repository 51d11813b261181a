//go:build amd64 && !purego

package linalg

// The pooling kernels of pool_amd64.s, on pixels > 0 output pixels of c
// channels, c a positive multiple of 8.

//go:noescape
func reluMaxPool2x2RowsAVX2(y, top, bottom *float32, pixels, c int)

//go:noescape
func reluMaxPool2x2RowsArgAVX2(y *float32, arg *uint8, top, bottom *float32, pixels, c int)

//go:noescape
func reluMaxPool2x2RowsArgGradAVX2(dtop, dbottom *float32, arg *uint8, dy *float32, pixels, c int)

// The AVX-512 forms of the two above, on c a positive multiple of 16.

//go:noescape
func reluMaxPool2x2RowsArgAVX512(y *float32, arg *uint8, top, bottom *float32, pixels, c int)

//go:noescape
func reluMaxPool2x2RowsArgGradAVX512(dtop, dbottom *float32, arg *uint8, dy *float32, pixels, c int)

// productsReLUPool2x2ArgAVX512 is ProductsReLUPool2x2Arg on 32 channels
// (products_pool_amd64.s): y and arg at the first channel, ldy their
// pooled pixels' stride, w at the first channel, ldw its rows' stride, k
// taps.
//
//go:noescape
func productsReLUPool2x2ArgAVX512(y *float32, arg *uint8, ldy int, src *float32, taps *int, w *float32, ldw, k, windows int)

// productsPooledGradAVX512 is PooledGradProducts' pass over pixels pixels
// from (x, y) for nine taps and 32 channels (products_pool_amd64.s).
//
//go:noescape
func productsPooledGradAVX512(sum *float32, ldsum int, add bool, src *float32, taps *int, row int, dy *float32, arg *uint8, o, x, y, pixels, ow, pw, ph int)

// productsReLUPool2x2ArgAVX2 is productsReLUPool2x2ArgAVX512 on 16
// channels in AVX2.
//
//go:noescape
func productsReLUPool2x2ArgAVX2(y *float32, arg *uint8, ldy int, src *float32, taps *int, w *float32, ldw, k, windows int)
