package linalg

// Winograd's F(2×2, 3×3) at stride 2: a 3×3 convolution moving two
// pixels at a time, split by the parity of the input (Lavin and Gray's
// algorithms are for stride 1). Along one axis, the two outputs of a
// 5-pixel window d are
//
//	y0 = w0·d0 + w1·d1 + w2·d2,   y1 = w0·d2 + w1·d3 + w2·d4:
//
// the even pixels d0, d2, d4 meet the taps w0 and w2, a 2-tap filter
// whose two outputs F(2,2) makes with 3 multiplications, (d0-d2)·w0,
// d2·(w0+w2) and (d4-d2)·w2; the odd pixels d1, d3 meet w1 alone, 2
// more. So
//
//	Bᵀ d = (d0-d2, d2, d4-d2, d1, d3),   G w = (w0, w0+w2, w2, w1, w1),
//	Aᵀ m = (m0+m1+m3, m1+m2+m4),
//
// 5 multiplications for 2 outputs where the convolution needs 6, and in
// two dimensions 25 for a 2×2 output where it needs 36: the products over
// channels (one per position ξ = 5i+j of the 5×5 transformed tile) do
// 1.44 times fewer flops. The transforms are additions and subtractions
// only, so they round no more than the products' own sums. The adjoints
// for training are those of winograd.go:
//
//	dM = A dY Aᵀ,   dV_ξ = dM_ξ · U_ξᵀ,   dd = B dV Bᵀ,   dU_ξ = V_ξᵀ · dM_ξ,   dg = Gᵀ dU G,
//
// with B dv = (dv0, dv3, dv1-dv0-dv2, dv4, dv2) and A g = (g0, g0+g1, g1,
// g0, g1).
//
// The layout is winograd.go's with 5×5 input tiles four pixels apart (the
// windows of a 2×2 output at stride 2; neighbours share a column), 2×2
// output tiles two pixels apart, and 25 planes. The assembly repeats the
// Go forms' operations in their order and gives the same bits.

// WinogradS2Input writes Bᵀ d B for tiles tiles into v: v[ξ·plane + t·c
// + k] is position ξ = 5i+j of the transform of channel k of the 5×5 tile
// at d[r·stride + (4t+s)·c + k], r, s < 5. It panics if a slice is too
// short or the planes overlap.
func WinogradS2Input(v []float32, plane int, d []float32, stride, c, tiles int) {
	toPlanes("WinogradS2Input", tileRow{25, 5, 4}, winogradS2InputAVX2, winogradS2InputAVX512, winogradS2InputGo, v, plane, d, stride, c, tiles)
}

// WinogradS2Output writes Aᵀ M A for tiles tiles into y: the 2×2 pixels
// at y[r·stride + (2t+s)·c + k], r, s < 2, from m[ξ·plane + t·c + k]. It
// overwrites y there. It panics as WinogradS2Input does.
func WinogradS2Output(y []float32, stride int, m []float32, plane, c, tiles int) {
	fromPlanes("WinogradS2Output", tileRow{25, 2, 2}, winogradS2OutputAVX2, winogradS2OutputAVX512, winogradS2OutputGo, y, stride, m, plane, c, tiles)
}

// WinogradS2OutputGrad is WinogradS2Output's adjoint: it writes A g Aᵀ
// into dm[ξ·plane + t·c + k] for the 2×2 gradient tiles at g[r·stride +
// (2t+s)·c + k]. It panics as WinogradS2Input does.
func WinogradS2OutputGrad(dm []float32, plane int, g []float32, stride, c, tiles int) {
	toPlanes("WinogradS2OutputGrad", tileRow{25, 2, 2}, winogradS2OutputGradAVX2, winogradS2OutputGradAVX512, winogradS2OutputGradGo, dm, plane, g, stride, c, tiles)
}

// WinogradS2InputGrad is WinogradS2Input's adjoint: it adds B dV Bᵀ, from
// dv[ξ·plane + t·c + k], onto the 5×5 tiles at dd[r·stride + (4t+s)·c +
// k], tile after tile, so the column neighbours share gets both (the
// first tile's first). It panics as WinogradS2Input does.
func WinogradS2InputGrad(dd []float32, stride int, dv []float32, plane, c, tiles int) {
	fromPlanes("WinogradS2InputGrad", tileRow{25, 5, 4}, winogradS2InputGradAVX2, winogradS2InputGradAVX512, winogradS2InputGradGo, dd, stride, dv, plane, c, tiles)
}

// The 1-D transforms.

func winogradS2In(d [5]float32) [5]float32 {
	return [5]float32{d[0] - d[2], d[2], d[4] - d[2], d[1], d[3]}
}

func winogradS2Out(m [5]float32) [2]float32 {
	return [2]float32{(m[0] + m[1]) + m[3], (m[1] + m[2]) + m[4]}
}

func winogradS2OutGrad(g [2]float32) [5]float32 {
	return [5]float32{g[0], g[0] + g[1], g[1], g[0], g[1]}
}

func winogradS2InGrad(v [5]float32) [5]float32 {
	return [5]float32{v[0], v[3], (v[1] - v[0]) - v[2], v[4], v[2]}
}

// The Go forms: down the columns first, then along the rows.

func winogradS2InputGo(v []float32, plane int, d []float32, stride, c, tiles int) {
	for t := range tiles {
		base, o := 4*t*c, t*c
		for k := range c {
			p := base + k
			var u [5][5]float32 // u[i][s]: row i of Bᵀ d
			for s := range 5 {
				var x [5]float32
				for r := range 5 {
					x[r] = d[p+r*stride+s*c]
				}
				col := winogradS2In(x)
				for i := range 5 {
					u[i][s] = col[i]
				}
			}
			for i := range 5 {
				row := winogradS2In(u[i])
				for j := range 5 {
					v[(5*i+j)*plane+o+k] = row[j]
				}
			}
		}
	}
}

func winogradS2OutputGo(y []float32, stride int, m []float32, plane, c, tiles int) {
	for t := range tiles {
		base, o := 2*t*c, t*c
		for k := range c {
			var u [2][5]float32 // u[r][j]: row r of Aᵀ m
			for j := range 5 {
				var x [5]float32
				for i := range 5 {
					x[i] = m[(5*i+j)*plane+o+k]
				}
				col := winogradS2Out(x)
				u[0][j], u[1][j] = col[0], col[1]
			}
			p := base + k
			for r := range 2 {
				row := winogradS2Out(u[r])
				y[p+r*stride], y[p+r*stride+c] = row[0], row[1]
			}
		}
	}
}

func winogradS2OutputGradGo(dm []float32, plane int, g []float32, stride, c, tiles int) {
	for t := range tiles {
		base, o := 2*t*c, t*c
		for k := range c {
			p := base + k
			var u [5][2]float32 // u[i][s]: row i of A g
			for s := range 2 {
				col := winogradS2OutGrad([2]float32{g[p+s*c], g[p+stride+s*c]})
				for i := range 5 {
					u[i][s] = col[i]
				}
			}
			for i := range 5 {
				row := winogradS2OutGrad(u[i])
				for j := range 5 {
					dm[(5*i+j)*plane+o+k] = row[j]
				}
			}
		}
	}
}

func winogradS2InputGradGo(dd []float32, stride int, dv []float32, plane, c, tiles int) {
	for t := range tiles {
		base, o := 4*t*c, t*c
		for k := range c {
			var u [5][5]float32 // u[r][j]: row r of B dV
			for j := range 5 {
				var x [5]float32
				for i := range 5 {
					x[i] = dv[(5*i+j)*plane+o+k]
				}
				col := winogradS2InGrad(x)
				for r := range 5 {
					u[r][j] = col[r]
				}
			}
			p := base + k
			for r := range 5 {
				row := winogradS2InGrad(u[r])
				for s := range 5 {
					dd[p+r*stride+s*c] += row[s]
				}
			}
		}
	}
}

// WinogradS2Kernel writes the 25 transformed filters G g Gᵀ of a 3×3
// kernel g (O×C×3×3) into u, 25 planes of O×C: u[ξ·O·C + o·C + k]. It
// panics if a slice is too short. See winogradKernel.
func WinogradS2Kernel(u, g []float32, o, c int) {
	winogradKernel("WinogradS2Kernel", winogradS2KernelT, u, g, o, c)
}

// WinogradS2KernelGrad is WinogradS2Kernel's adjoint: the gradient of a
// 3×3 kernel (O×C×3×3) from that of its transform (25 planes of O×C).
func WinogradS2KernelGrad(dg, du []float32, o, c int) {
	winogradKernelGrad("WinogradS2KernelGrad", winogradS2KernelT, dg, du, o, c)
}

// winogradS2KernelT is T of F(2×2, 3×3) at stride 2, 25×9.
var winogradS2KernelT = winogradKernelMatrix([][3]float64{{1, 0, 0}, {1, 0, 1}, {0, 0, 1}, {0, 1, 0}, {0, 1, 0}})
