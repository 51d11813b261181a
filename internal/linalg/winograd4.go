package linalg

// Winograd's F(4×4, 3×3) (Lavin and Gray 2016, with the points 0, ±1, ±2
// and ∞): a 3×3 convolution of a 6×6 tile d gives a 4×4 output
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
// with
//
//	     ⎡4  0 -5  0  1  0⎤        ⎡ ¼     0    0⎤
//	     ⎢0 -4 -4  1  1  0⎥        ⎢-⅙    -⅙   -⅙⎥         ⎡1  1  1  1  1  0⎤
//	Bᵀ = ⎢0  4 -4 -1  1  0⎥    G = ⎢-⅙     ⅙   -⅙⎥    Aᵀ = ⎢0  1 -1  2 -2  0⎥
//	     ⎢0 -2 -1  2  1  0⎥        ⎢1/24  1/12  ⅙⎥         ⎢0  1  1  4  4  0⎥
//	     ⎢0  2 -1 -2  1  0⎥        ⎢1/24 -1/12  ⅙⎥         ⎣0  1 -1  8 -8  1⎦
//	     ⎣0  4  0 -5  0  1⎦        ⎣ 0     0    1⎦
//
// 36 multiplications for 16 outputs where F(2×2, 3×3) (winograd.go) needs
// 64 and the convolution 144: the products over channels do 4 times fewer
// flops than the convolution's own, and the transformed tiles, 36 values
// for 16 pixels, are half the size of F(2×2)'s 16 for 4. The price is
// precision: the transforms scale by up to 8 (Aᵀ) and 5 (Bᵀ), so a result
// carries a few float32 roundings of the largest terms, about 1e-6 of the
// output's magnitude, where F(2×2) and the direct product carry about
// 1e-7. Training, which adds far larger noise on purpose, does not notice
// (docs/RESULTS.md).
//
// The adjoints for training are as for F(2×2):
//
//	dM = A dY Aᵀ,   dV_ξ = dM_ξ · U_ξᵀ,   dd = B dV Bᵀ,   dU_ξ = V_ξᵀ · dM_ξ,   dg = Gᵀ dU G.
//
// The layout is winograd.go's with 6×6 input tiles and 4×4 output tiles,
// tile t's at column 4t, in 36 planes, ξ = 6i+j. Every multiplier in the
// transforms of the tiles is a power of two, so a product is exact and a
// fused multiply-add would round as the separate operations do; the
// assembly repeats the Go forms' order of operations and gives the same
// bits.

// Winograd4Input writes Bᵀ d B for tiles tiles into v: v[ξ·plane + t·c + k]
// is position ξ = 6i+j of the transform of channel k of the 6×6 tile at
// d[r·stride + (4t+s)·c + k], r, s < 6. It panics if a slice is too short
// or the planes overlap.
func Winograd4Input(v []float32, plane int, d []float32, stride, c, tiles int) {
	toPlanes("Winograd4Input", tileRow{36, 6, 4}, winograd4InputAVX2, winograd4InputAVX512, winograd4InputGo, v, plane, d, stride, c, tiles)
}

// Winograd4Output writes Aᵀ M A for tiles tiles into y: the 4×4 pixels at
// y[r·stride + (4t+s)·c + k], r, s < 4, from m[ξ·plane + t·c + k]. It
// overwrites y there. It panics as Winograd4Input does.
func Winograd4Output(y []float32, stride int, m []float32, plane, c, tiles int) {
	fromPlanes("Winograd4Output", tileRow{36, 4, 4}, winograd4OutputAVX2, winograd4OutputAVX512, winograd4OutputGo, y, stride, m, plane, c, tiles)
}

// Winograd4OutputGrad is Winograd4Output's adjoint: it writes A g Aᵀ into
// dm[ξ·plane + t·c + k] for the 4×4 gradient tiles at g[r·stride +
// (4t+s)·c + k]. It panics as Winograd4Input does.
func Winograd4OutputGrad(dm []float32, plane int, g []float32, stride, c, tiles int) {
	toPlanes("Winograd4OutputGrad", tileRow{36, 4, 4}, winograd4OutputGradAVX2, winograd4OutputGradAVX512, winograd4OutputGradGo, dm, plane, g, stride, c, tiles)
}

// Winograd4InputGrad is Winograd4Input's adjoint: it adds B dV Bᵀ, from
// dv[ξ·plane + t·c + k], onto the 6×6 tiles at dd[r·stride + (4t+s)·c +
// k], tile after tile, so the two columns neighbours share get both (the
// first tile's first). It panics as Winograd4Input does.
func Winograd4InputGrad(dd []float32, stride int, dv []float32, plane, c, tiles int) {
	fromPlanes("Winograd4InputGrad", tileRow{36, 6, 4}, winograd4InputGradAVX2, winograd4InputGradAVX512, winograd4InputGradGo, dd, stride, dv, plane, c, tiles)
}

// The 1-D transforms, each a fixed sequence of roundings that the
// assembly's macros of the same names repeat.

// winograd4In is Bᵀ d.
func winograd4In(d [6]float32) [6]float32 {
	a, b := d[4]-d[2], d[3]-d[1]
	b2 := b + b
	return [6]float32{
		(d[0]-d[2])*4 + a,
		(d[4] + d[3]) - (d[2]+d[1])*4,
		(d[4] - d[3]) + (d[1]-d[2])*4,
		a + b2,
		a - b2,
		(d[5] - d[3]) + (d[1]-d[3])*4,
	}
}

// winograd4Out is Aᵀ m.
func winograd4Out(m [6]float32) [4]float32 {
	s12, d12, s34, d34 := m[1]+m[2], m[1]-m[2], m[3]+m[4], m[3]-m[4]
	return [4]float32{(m[0] + s12) + s34, d12 + d34*2, s12 + s34*4, (d12 + d34*8) + m[5]}
}

// winograd4OutGrad is A g, Aᵀ's adjoint.
func winograd4OutGrad(g [4]float32) [6]float32 {
	e, f := g[0]+g[2], g[1]+g[3]
	p, q := g[0]+g[2]*4, (g[1]+g[3]*4)*2
	return [6]float32{g[0], e + f, e - f, p + q, p - q, g[3]}
}

// winograd4InGrad is B v, Bᵀ's adjoint.
func winograd4InGrad(v [6]float32) [6]float32 {
	s01 := v[0] + v[1]
	return [6]float32{
		v[0] * 4,
		((v[2]-v[1])+v[5])*4 + (v[4]-v[3])*2,
		-((s01+v[2])*4 + ((v[0] + v[3]) + v[4])),
		((v[1] - v[2]) + (v[3]-v[4])*2) - (v[5]*4 + v[5]),
		((s01 + v[2]) + v[3]) + v[4],
		v[5],
	}
}

// The Go forms: down the columns first, then along the rows, as the
// assembly does.

func winograd4InputGo(v []float32, plane int, d []float32, stride, c, tiles int) {
	for t := range tiles {
		base, o := 4*t*c, t*c
		for k := range c {
			p := base + k
			var u [6][6]float32 // u[i][s]: row i of Bᵀ d
			for s := range 6 {
				var x [6]float32
				for r := range 6 {
					x[r] = d[p+r*stride+s*c]
				}
				col := winograd4In(x)
				for i := range 6 {
					u[i][s] = col[i]
				}
			}
			for i := range 6 {
				row := winograd4In(u[i])
				for j := range 6 {
					v[(6*i+j)*plane+o+k] = row[j]
				}
			}
		}
	}
}

func winograd4OutputGo(y []float32, stride int, m []float32, plane, c, tiles int) {
	for t := range tiles {
		base, o := 4*t*c, t*c
		for k := range c {
			var u [4][6]float32 // u[r][j]: row r of Aᵀ m
			for j := range 6 {
				var x [6]float32
				for i := range 6 {
					x[i] = m[(6*i+j)*plane+o+k]
				}
				col := winograd4Out(x)
				for r := range 4 {
					u[r][j] = col[r]
				}
			}
			p := base + k
			for r := range 4 {
				row := winograd4Out(u[r])
				for s := range 4 {
					y[p+r*stride+s*c] = row[s]
				}
			}
		}
	}
}

func winograd4OutputGradGo(dm []float32, plane int, g []float32, stride, c, tiles int) {
	for t := range tiles {
		base, o := 4*t*c, t*c
		for k := range c {
			p := base + k
			var u [6][4]float32 // u[i][s]: row i of A g
			for s := range 4 {
				var x [4]float32
				for r := range 4 {
					x[r] = g[p+r*stride+s*c]
				}
				col := winograd4OutGrad(x)
				for i := range 6 {
					u[i][s] = col[i]
				}
			}
			for i := range 6 {
				row := winograd4OutGrad(u[i])
				for j := range 6 {
					dm[(6*i+j)*plane+o+k] = row[j]
				}
			}
		}
	}
}

func winograd4InputGradGo(dd []float32, stride int, dv []float32, plane, c, tiles int) {
	for t := range tiles {
		base, o := 4*t*c, t*c
		for k := range c {
			var u [6][6]float32 // u[r][j]: row r of B dV
			for j := range 6 {
				var x [6]float32
				for i := range 6 {
					x[i] = dv[(6*i+j)*plane+o+k]
				}
				col := winograd4InGrad(x)
				for r := range 6 {
					u[r][j] = col[r]
				}
			}
			p := base + k
			for r := range 6 {
				row := winograd4InGrad(u[r])
				for s := range 6 {
					dd[p+r*stride+s*c] += row[s]
				}
			}
		}
	}
}

// Winograd4Kernel writes the 36 transformed filters G g Gᵀ of a 3×3
// kernel g (O×C×3×3) into u, 36 planes of O×C: u[ξ·O·C + o·C + k] for
// output channel o and input channel k. It panics if a slice is too
// short. See winogradKernel.
func Winograd4Kernel(u, g []float32, o, c int) {
	winogradKernel("Winograd4Kernel", winograd4Kernel, u, g, o, c)
}

// Winograd4KernelGrad is Winograd4Kernel's adjoint: it writes Gᵀ dU G,
// the gradient of a 3×3 kernel (O×C×3×3), from the gradient du (36
// planes of O×C) of its transform. It panics if a slice is too short.
func Winograd4KernelGrad(dg, du []float32, o, c int) {
	winogradKernelGrad("Winograd4KernelGrad", winograd4Kernel, dg, du, o, c)
}

// winograd4Kernel is T of F(4×4, 3×3), 36×9 (see winograd.go).
var winograd4Kernel = winogradKernelMatrix([][3]float64{
	{0.25, 0, 0},
	{-1.0 / 6, -1.0 / 6, -1.0 / 6},
	{-1.0 / 6, 1.0 / 6, -1.0 / 6},
	{1.0 / 24, 1.0 / 12, 1.0 / 6},
	{1.0 / 24, -1.0 / 12, 1.0 / 6},
	{0, 0, 1},
})
