package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// pooledTilesCase is a row of F(4×4) tiles and the pooled side beside it:
// tail pooled pixels left out of the last tile, rows pooled rows.
type pooledTilesCase struct{ c, tiles, extra, tail, rows int }

func (p pooledTilesCase) plane() int  { return p.tiles*p.c + 16 }
func (p pooledTilesCase) pixels() int { return 2*p.tiles - p.tail }
func (p pooledTilesCase) stride() int { return p.pixels()*p.c + p.extra }
func (p pooledTilesCase) mLen() int   { return 35*p.plane() + p.tiles*p.c }
func (p pooledTilesCase) yLen() int   { return (p.rows-1)*p.stride() + p.pixels()*p.c }

// pooled says whether index i of the pooled side is a pooled pixel's.
func (p pooledTilesCase) pooled(i int) bool {
	return i/p.stride() < p.rows && i%p.stride() < p.pixels()*p.c
}

var pooledTilesCases = []pooledTilesCase{
	{8, 1, 0, 0, 2}, {8, 3, 8, 1, 2}, {8, 2, 0, 1, 1}, {16, 1, 0, 0, 2}, {16, 1, 0, 1, 1},
	{16, 3, 16, 0, 2}, {32, 4, 0, 0, 2}, {48, 2, 48, 1, 2}, {64, 4, 0, 1, 2}, {64, 4, 0, 1, 1}, {64, 4, 64, 0, 1},
}

// pooledTestValues fills x with values in [-1, 1) and, every few, one of
// the values the pooling's order of keys must get right: ±0 and equal
// values for ties. No NaNs: the sign of a sum of two NaNs depends on the
// order of its operands, which the assembly and the compiled Go forms need
// not share (the pooling kernels' own tests cover NaNs).
func pooledTestValues(r *rand.Rand, x []float32) {
	specials := []float32{0, float32(math.Copysign(0, -1)), 0.5, 0.5}
	for i := range x {
		x[i] = float32(r.Float64()*2 - 1)
		if r.IntN(17) == 0 {
			x[i] = specials[r.IntN(len(specials))]
		}
	}
}

// separatePool is Winograd4OutputPool as its two kernels apart, through
// out, 4 rows of 4·tiles pixels.
func separatePool(y []float32, arg []uint8, tc pooledTilesCase, m, out []float32) {
	row, n := 4*tc.tiles*tc.c, tc.pixels()*tc.c
	Winograd4Output(out, row, m, tc.plane(), tc.c, tc.tiles)
	for r := range tc.rows {
		at := r * tc.stride()
		ReLUMaxPool2x2RowsArg(y[at:at+n], arg[at:at+n], out[2*r*row:], out[(2*r+1)*row:], tc.c)
	}
}

// separatePoolGrad is Winograd4OutputGradPool as its two kernels apart,
// through g, as separatePool's out, the pixels that no pooled pixel covers
// +0 from the start.
func separatePoolGrad(dm []float32, dy []float32, arg []uint8, tc pooledTilesCase, g []float32) {
	row, n := 4*tc.tiles*tc.c, tc.pixels()*tc.c
	for r := range tc.rows {
		at := r * tc.stride()
		ReLUMaxPool2x2RowsArgGrad(g[2*r*row:(2*r+1)*row], g[(2*r+1)*row:(2*r+2)*row], arg[at:at+n], dy[at:at+n], tc.c)
	}
	Winograd4OutputGrad(dm, tc.plane(), g, row, tc.c, tc.tiles)
}

// TestWinograd4PoolMatchesSeparate checks the fused kernels, in assembly
// where this CPU runs them and in their Go forms, against the separate
// kernels to the bit, and that they write nothing past their outputs.
func TestWinograd4PoolMatchesSeparate(t *testing.T) {
	const guard = 16
	type form struct {
		name string
		pool func(y []float32, arg []uint8, stride int, m []float32, plane, c, tiles, pixels, rows int)
		grad func(dm []float32, plane int, dy []float32, arg []uint8, stride, c, tiles, pixels, rows int)
	}
	forms := []form{
		{"exported", Winograd4OutputPool, Winograd4OutputGradPool},
		{"go", winograd4OutputPoolGo, winograd4OutputGradPoolGo},
	}
	for _, tc := range pooledTilesCases {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.c), uint64(tc.tiles*4+tc.tail*2+tc.rows)))
			m := make([]float32, tc.mLen())
			pooledTestValues(r, m)
			// The first tile all zero: ties in every window.
			for xi := range 36 {
				clear(m[xi*tc.plane() : xi*tc.plane()+tc.c])
			}
			dy := make([]float32, tc.yLen())
			pooledTestValues(r, dy)
			arg := make([]uint8, tc.yLen())
			for i := range arg {
				arg[i] = uint8(r.IntN(5))
			}
			wantY, wantArg := make([]float32, tc.yLen()), make([]uint8, tc.yLen())
			separatePool(wantY, wantArg, tc, m, make([]float32, 16*tc.tiles*tc.c))
			wantDM := make([]float32, tc.mLen())
			separatePoolGrad(wantDM, dy, arg, tc, make([]float32, 16*tc.tiles*tc.c))
			for _, f := range forms {
				y, gotArg := make([]float32, tc.yLen()+guard), make([]uint8, tc.yLen()+guard)
				for i := range y {
					y[i], gotArg[i] = 7, 9
				}
				f.pool(y[:tc.yLen()], gotArg[:tc.yLen()], tc.stride(), m, tc.plane(), tc.c, tc.tiles, tc.pixels(), tc.rows)
				for i := range y {
					switch {
					case i < tc.yLen() && tc.pooled(i):
						if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) || gotArg[i] != wantArg[i] {
							t.Fatalf("%s: pooled %d: %v at %d, want %v at %d", f.name, i, y[i], gotArg[i], wantY[i], wantArg[i])
						}
					case y[i] != 7 || gotArg[i] != 9:
						t.Fatalf("%s: wrote %v at %d (%d), outside the pooled pixels", f.name, y[i], gotArg[i], i)
					}
				}
				dm := make([]float32, tc.mLen()+guard)
				for i := range dm {
					dm[i] = 7
				}
				f.grad(dm[:tc.mLen()], tc.plane(), dy, arg, tc.stride(), tc.c, tc.tiles, tc.pixels(), tc.rows)
				for xi := range 36 {
					for i := xi * tc.plane(); i < xi*tc.plane()+tc.tiles*tc.c; i++ {
						if math.Float32bits(dm[i]) != math.Float32bits(wantDM[i]) {
							t.Fatalf("%s: plane %d, %d: %v, want %v", f.name, xi, i-xi*tc.plane(), dm[i], wantDM[i])
						}
					}
				}
				for i := tc.mLen(); i < len(dm); i++ {
					if dm[i] != 7 {
						t.Fatalf("%s: wrote past the planes at %d", f.name, i)
					}
				}
			}
		})
	}
}

func TestWinograd4PoolPanics(t *testing.T) {
	tc := pooledTilesCase{16, 2, 0, 1, 2}
	p, y, a, m := tc.pixels(), make([]float32, tc.yLen()), make([]uint8, tc.yLen()), make([]float32, tc.mLen())
	cases := []struct {
		name string
		fn   func()
	}{
		{"short pooled rows", func() { Winograd4OutputPool(y[1:], a, tc.stride(), m, tc.plane(), tc.c, tc.tiles, p, 2) }},
		{"short positions", func() { Winograd4OutputGradPool(m, tc.plane(), y, a[1:], tc.stride(), tc.c, tc.tiles, p, 2) }},
		{"short planes", func() { Winograd4OutputGradPool(m[1:], tc.plane(), y, a, tc.stride(), tc.c, tc.tiles, p, 2) }},
		{"overlapping rows", func() { Winograd4OutputPool(y, a, tc.stride()-1, m, tc.plane(), tc.c, tc.tiles, p, 2) }},
		{"two pixels left out", func() { Winograd4OutputPool(y, a, tc.stride(), m, tc.plane(), tc.c, tc.tiles, p-1, 2) }},
		{"three rows", func() { Winograd4OutputPool(y, a, tc.stride(), m, tc.plane(), tc.c, tc.tiles, p, 3) }},
		{"no channels", func() { Winograd4OutputPool(nil, nil, 0, nil, 0, 0, 1, 2, 1) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.fn()
		})
	}
}

// BenchmarkWinograd4Pool times the fused kernels against the separate
// ones on the default tower's pooled Winograd layer at 28 px: a row of
// four tiles of a 14×14×64 output, pooled to two rows of 7 pixels.
func BenchmarkWinograd4Pool(b *testing.B) {
	tc := pooledTilesCase{64, 4, 0, 1, 2}
	m, dm := make([]float32, tc.mLen()), make([]float32, tc.mLen())
	y, dy, arg := make([]float32, tc.yLen()), make([]float32, tc.yLen()), make([]uint8, tc.yLen())
	pooledTestValues(rand.New(rand.NewPCG(1, 2)), m)
	out, g := make([]float32, 16*tc.tiles*tc.c), make([]float32, 16*tc.tiles*tc.c)
	b.Run("output/fused", func(b *testing.B) {
		for b.Loop() {
			Winograd4OutputPool(y, arg, tc.stride(), m, tc.plane(), tc.c, tc.tiles, tc.pixels(), tc.rows)
		}
	})
	b.Run("output/separate", func(b *testing.B) {
		for b.Loop() {
			separatePool(y, arg, tc, m, out)
		}
	})
	b.Run("outputGrad/fused", func(b *testing.B) {
		for b.Loop() {
			Winograd4OutputGradPool(dm, tc.plane(), dy, arg, tc.stride(), tc.c, tc.tiles, tc.pixels(), tc.rows)
		}
	})
	b.Run("outputGrad/separate", func(b *testing.B) {
		for b.Loop() {
			separatePoolGrad(dm, dy, arg, tc, g)
		}
	})
}
