//go:build !amd64 || purego

package linalg

const (
	hasAVX2FMA = false
	hasAVX512F = false
)

func sumSquaresAVX2(v *float32, n int) (sum, sq float64)                 { panic("no assembly") }
func sumAVX2(v *float32, n int) float64                                  { panic("no assembly") }
func dotCentredAVX2(g, x *float32, n int, mu float32) float64            { panic("no assembly") }
func affineCentredAVX2(out, x *float32, n int, mu, scale, shift float32) { panic("no assembly") }
func combineCentredAVX2(out, y, x *float32, n int, a, k, mu, b float32)  { panic("no assembly") }
func reluAVX2(out, x *float32, n int)                                    { panic("no assembly") }
func passPositiveAVX2(out, y, grad *float32, n int)                      { panic("no assembly") }
func addReLUAVX2(out, a, b *float32, n int)                              { panic("no assembly") }
func maxPairsAVX2(h, x *float32, n int)                                  { panic("no assembly") }
func routePairsAVX2(dx, x, h, gh *float32, n int)                        { panic("no assembly") }
func addIntoAVX2(out, a, b *float32, n int)                              { panic("no assembly") }

func copyRunsAVX2(dst *float32, ldd int, src *float32, lds, run, count int) {
	panic("no assembly")
}

func addRunsAVX2(dst *float32, ldd int, src *float32, lds, run, count int) {
	panic("no assembly")
}

func evensRowsAVX2(dst *float32, ldd int, src *float32, lds, n, rows int) {
	panic("no assembly")
}
