package linalg

// Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016): a 3×3 convolution
// (cross-correlation) of a 4×4 tile d gives a 2×2 output
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
// with
//
//	     ⎡1  0 -1  0⎤        ⎡1   0   0⎤
//	Bᵀ = ⎢0  1  1  0⎥    G = ⎢½   ½   ½⎥    Aᵀ = ⎡1  1  1  0⎤
//	     ⎢0 -1  1  0⎥        ⎢½  -½   ½⎥         ⎣0  1 -1 -1⎦
//	     ⎣0  1  0 -1⎦        ⎣0   0   1⎦
//
// 16 multiplications instead of 36. Over C input and O output channels
// the element-wise product becomes 16 matrix products, one per position
// ξ of the 4×4 transformed tile: M_ξ (tiles×O) = V_ξ (tiles×C) · U_ξ
// (C×O), where V_ξ holds every tile's Bᵀ d B at ξ and U_ξ every filter's
// G g Gᵀ there. The products do 2.25 times fewer flops than the
// convolution's own; the transforms around them are additions only (and
// halvings, in G), so they cost memory passes but no precision to speak
// of.
//
// Training needs the adjoints. The loss gradient dY of the output gives
//
//	dM = A dY Aᵀ,   dV_ξ = dM_ξ · U_ξᵀ,   dd = B dV Bᵀ,   dU_ξ = V_ξᵀ · dM_ξ,   dg = Gᵀ dU G,
//
// and dd, added back over the overlapping tiles, is the input's gradient:
// the exact gradient of the computation above, not an approximation of
// the convolution's.
//
// The kernels here run along one row of tiles of a channels-last image:
// tile t reads (or writes) the 4×4 (or 2×2) pixels starting at column
// 2t, each pixel c contiguous channels, rows stride floats apart; the
// transformed tiles sit in 16 planes, plane floats apart, tile t's c
// channels at t·c within a plane. Where the CPU has AVX2 and FMA and c is
// a multiple of 8, they run in assembly, which does the same additions in
// the same order as the Go forms and so gives the same bits; where it has
// AVX-512 and c is a multiple of 16, in the AVX-512 twins of that assembly
// (wideRows), 16 channels at a time.

import "fmt"

// WinogradInput writes Bᵀ d B for tiles tiles into v: v[ξ·plane + t·c + k]
// is position ξ = 4i+j of the transform of channel k of the 4×4 tile at
// d[r·stride + (2t+s)·c + k], r, s < 4. It panics if a slice is too short
// or the planes overlap.
func WinogradInput(v []float32, plane int, d []float32, stride, c, tiles int) {
	toPlanes("WinogradInput", tileRow{16, 4, 2}, winogradInputAVX2, winogradInputAVX512, winogradInputGo, v, plane, d, stride, c, tiles)
}

// WinogradOutput writes Aᵀ M A for tiles tiles into y: the 2×2 pixels at
// y[r·stride + (2t+s)·c + k], r, s < 2, from m[ξ·plane + t·c + k]. It
// overwrites y there. It panics as WinogradInput does.
func WinogradOutput(y []float32, stride int, m []float32, plane, c, tiles int) {
	fromPlanes("WinogradOutput", tileRow{16, 2, 2}, winogradOutputAVX2, winogradOutputAVX512, winogradOutputGo, y, stride, m, plane, c, tiles)
}

// WinogradOutputGrad is WinogradOutput's adjoint: it writes A g Aᵀ into
// dm[ξ·plane + t·c + k] for the 2×2 gradient tiles at g[r·stride +
// (2t+s)·c + k]. It panics as WinogradInput does.
func WinogradOutputGrad(dm []float32, plane int, g []float32, stride, c, tiles int) {
	toPlanes("WinogradOutputGrad", tileRow{16, 2, 2}, winogradOutputGradAVX2, winogradOutputGradAVX512, winogradOutputGradGo, dm, plane, g, stride, c, tiles)
}

// WinogradInputGrad is WinogradInput's adjoint: it adds B dV Bᵀ, from
// dv[ξ·plane + t·c + k], onto the 4×4 tiles at dd[r·stride + (2t+s)·c +
// k], tile after tile, so the columns two neighbours share get both
// (the first tile's first). It panics as WinogradInput does.
func WinogradInputGrad(dd []float32, stride int, dv []float32, plane, c, tiles int) {
	fromPlanes("WinogradInputGrad", tileRow{16, 4, 2}, winogradInputGradAVX2, winogradInputGradAVX512, winogradInputGradGo, dd, stride, dv, plane, c, tiles)
}

// tileRow is what a row-of-tiles kernel is checked against: the planes of
// the transform, and the side of the image-side tiles and the pixels
// between them.
type tileRow struct{ planes, side, step int }

// toPlanes runs a kernel that reads a row of image-side tiles and writes
// planes (an input transform, or an output transform's adjoint) after
// checking the slices: in AVX-512 assembly (wide) where the CPU has it and
// c is a multiple of 16, in AVX2 assembly where the CPU has that and c is
// a multiple of 8, else its Go form.
func toPlanes(name string, r tileRow, asm, wide func(t *float32, plane int, img *float32, stride, c, tiles int),
	goForm func(t []float32, plane int, img []float32, stride, c, tiles int), t []float32, plane int, img []float32, stride, c, tiles int) {
	if !r.check(name, t, plane, img, stride, c, tiles) {
		return
	}
	if wideRows(c) {
		wide(&t[0], plane, &img[0], stride, c, tiles)
		return
	}
	if rowsAsm(c) {
		asm(&t[0], plane, &img[0], stride, c, tiles)
		return
	}
	goForm(t, plane, img, stride, c, tiles)
}

// fromPlanes is toPlanes the other way: a kernel that reads planes and
// writes (or adds onto) a row of image-side tiles.
func fromPlanes(name string, r tileRow, asm, wide func(img *float32, stride int, t *float32, plane, c, tiles int),
	goForm func(img []float32, stride int, t []float32, plane, c, tiles int), img []float32, stride int, t []float32, plane, c, tiles int) {
	if !r.check(name, t, plane, img, stride, c, tiles) {
		return
	}
	if wideRows(c) {
		wide(&img[0], stride, &t[0], plane, c, tiles)
		return
	}
	if rowsAsm(c) {
		asm(&img[0], stride, &t[0], plane, c, tiles)
		return
	}
	goForm(img, stride, t, plane, c, tiles)
}

// check panics unless the planes of tiles·c floats fit in t without
// overlapping and the side×side tiles, step pixels apart, fit in img; it
// reports whether there is any work.
func (r tileRow) check(name string, t []float32, plane int, img []float32, stride, c, tiles int) bool {
	if c < 0 || tiles < 0 || plane < tiles*c || stride < (r.step*tiles+r.side-r.step)*c {
		panic(fmt.Sprintf("linalg: %s: %d tiles of %d channels with plane %d and stride %d", name, tiles, c, plane, stride))
	}
	if tiles == 0 || c == 0 {
		return false
	}
	if len(t) < (r.planes-1)*plane+tiles*c || len(img) < (r.side-1)*stride+(r.step*tiles+r.side-r.step)*c {
		panic(fmt.Sprintf("linalg: %s: %d and %d floats for %d tiles of %d channels, plane %d, stride %d", name, len(t), len(img), tiles, c, plane, stride))
	}
	return true
}

// The Go forms. Each output is written by one expression whose order of
// operations the assembly repeats; Go never reassociates or fuses float
// additions, so the two agree to the bit.

func winogradInputGo(v []float32, plane int, d []float32, stride, c, tiles int) {
	for t := range tiles {
		base, o := 2*t*c, t*c
		for k := range c {
			p := base + k
			var x [4][4]float32
			for r := range 4 {
				for s := range 4 {
					x[r][s] = d[p+r*stride+s*c]
				}
			}
			// Bᵀ x, row by row.
			var u [4][4]float32
			for s := range 4 {
				u[0][s] = x[0][s] - x[2][s]
				u[1][s] = x[1][s] + x[2][s]
				u[2][s] = x[2][s] - x[1][s]
				u[3][s] = x[1][s] - x[3][s]
			}
			// (Bᵀ x) B, column by column.
			for i := range 4 {
				v[(4*i+0)*plane+o+k] = u[i][0] - u[i][2]
				v[(4*i+1)*plane+o+k] = u[i][1] + u[i][2]
				v[(4*i+2)*plane+o+k] = u[i][2] - u[i][1]
				v[(4*i+3)*plane+o+k] = u[i][1] - u[i][3]
			}
		}
	}
}

func winogradOutputGo(y []float32, stride int, m []float32, plane, c, tiles int) {
	for t := range tiles {
		base, o := 2*t*c, t*c
		for k := range c {
			var x [4][4]float32
			for xi := range 16 {
				x[xi/4][xi%4] = m[xi*plane+o+k]
			}
			var u [2][4]float32
			for s := range 4 {
				u[0][s] = x[0][s] + x[1][s] + x[2][s]
				u[1][s] = x[1][s] - x[2][s] - x[3][s]
			}
			p := base + k
			for r := range 2 {
				y[p+r*stride] = u[r][0] + u[r][1] + u[r][2]
				y[p+r*stride+c] = u[r][1] - u[r][2] - u[r][3]
			}
		}
	}
}

func winogradOutputGradGo(dm []float32, plane int, g []float32, stride, c, tiles int) {
	for t := range tiles {
		base, o := 2*t*c, t*c
		for k := range c {
			p := base + k
			var x [2][2]float32
			for r := range 2 {
				for s := range 2 {
					x[r][s] = g[p+r*stride+s*c]
				}
			}
			var u [4][2]float32
			for s := range 2 {
				u[0][s] = x[0][s]
				u[1][s] = x[0][s] + x[1][s]
				u[2][s] = x[0][s] - x[1][s]
				u[3][s] = -x[1][s]
			}
			for i := range 4 {
				dm[(4*i+0)*plane+o+k] = u[i][0]
				dm[(4*i+1)*plane+o+k] = u[i][0] + u[i][1]
				dm[(4*i+2)*plane+o+k] = u[i][0] - u[i][1]
				dm[(4*i+3)*plane+o+k] = -u[i][1]
			}
		}
	}
}

func winogradInputGradGo(dd []float32, stride int, dv []float32, plane, c, tiles int) {
	for t := range tiles {
		base, o := 2*t*c, t*c
		for k := range c {
			var x [4][4]float32
			for xi := range 16 {
				x[xi/4][xi%4] = dv[xi*plane+o+k]
			}
			var u [4][4]float32
			for s := range 4 {
				u[0][s] = x[0][s]
				u[1][s] = x[1][s] - x[2][s] + x[3][s]
				u[2][s] = x[1][s] + x[2][s] - x[0][s]
				u[3][s] = -x[3][s]
			}
			p := base + k
			for r := range 4 {
				q := p + r*stride
				dd[q] += u[r][0]
				dd[q+c] += u[r][1] - u[r][2] + u[r][3]
				dd[q+2*c] += u[r][1] + u[r][2] - u[r][0]
				dd[q+3*c] -= u[r][3]
			}
		}
	}
}

// WinogradKernel writes the 16 transformed filters G g Gᵀ of a 3×3
// kernel g (O×C×3×3, as a convolution stores it) into u, 16 planes of
// O×C: u[ξ·O·C + o·C + k] for output channel o and input channel k. It
// panics if a slice is too short. See winogradKernel.
func WinogradKernel(u, g []float32, o, c int) {
	winogradKernel("WinogradKernel", winograd2Kernel, u, g, o, c)
}

// WinogradKernelGrad is WinogradKernel's adjoint: it writes Gᵀ dU G, the
// gradient of a 3×3 kernel (O×C×3×3), from the gradient du (16 planes of
// O×C) of its transform. It panics if a slice is too short.
func WinogradKernelGrad(dg, du []float32, o, c int) {
	winogradKernelGrad("WinogradKernelGrad", winograd2Kernel, dg, du, o, c)
}

// The kernel transforms as matrices: G g Gᵀ at position ξ = (i, j) is
// Σ_{a,b} G[i][a]·G[j][b]·g[a][b], so the transforms of all O·C filters
// at once are one product, U (planes × O·C) = T · gᵀ, g seen as (O·C)×9
// and T[ξ][3a+b] = G[i][a]·G[j][b] (planes×9), and the adjoint is dg =
// dUᵀ · T. One product does in a pass what a filter-by-filter loop does
// with scattered stores across planes O·C floats apart, which on the
// network's power-of-two channel counts fall on one cache set.

// winogradKernelMatrix is T for G (m+2 rows of 3), rounded to float32
// from float64 products.
func winogradKernelMatrix(g [][3]float64) []float32 {
	n := len(g)
	t := make([]float32, n*n*9)
	for i := range n {
		for j := range n {
			for a := range 3 {
				for b := range 3 {
					t[(i*n+j)*9+3*a+b] = float32(g[i][a] * g[j][b])
				}
			}
		}
	}
	return t
}

// winograd2Kernel is T of F(2×2, 3×3), 16×9.
var winograd2Kernel = winogradKernelMatrix([][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}})

func winogradKernel(name string, t, u, g []float32, o, c int) {
	planes := len(t) / 9
	if len(g) < o*c*9 || len(u) < planes*o*c {
		panic(fmt.Sprintf("linalg: %s: %d and %d floats for %d×%d×3×3", name, len(u), len(g), o, c))
	}
	Gemm(false, true, planes, o*c, 9, 1, t, 9, g, 9, 0, u, o*c)
}

func winogradKernelGrad(name string, t, dg, du []float32, o, c int) {
	planes := len(t) / 9
	if len(dg) < o*c*9 || len(du) < planes*o*c {
		panic(fmt.Sprintf("linalg: %s: %d and %d floats for %d×%d×3×3", name, len(dg), len(du), o, c))
	}
	Gemm(true, false, o*c, 9, planes, 1, du, o*c, t, 9, 0, dg, 9)
}

// Winograd is one of the Winograd forms of a 3×3 convolution with padding
// 1, F(m×m, 3×3) at a stride: the geometry of its tiles and its kernels,
// so that a caller picks a form once and runs it through one value.
type Winograd struct {
	M, Stride int // the output tile's side, the convolution's stride
	// Input and OutputGrad read a row of image-side tiles and write
	// planes, Output and InputGrad the other way round: WinogradInput and
	// the others, or their F(4×4) and stride-2 counterparts.
	Input, OutputGrad func(t []float32, plane int, img []float32, stride, c, tiles int)
	Output, InputGrad func(img []float32, stride int, t []float32, plane, c, tiles int)
	// Kernel writes a 3×3 kernel's transform as planes of O×C; KernelGrad
	// is its adjoint.
	Kernel     func(u, g []float32, o, c int)
	KernelGrad func(dg, du []float32, o, c int)
}

// Side is the side of an input tile and Step the pixels between two
// neighbouring tiles' inputs.
func (w Winograd) Side() int { return w.Stride*(w.M-1) + 3 }
func (w Winograd) Step() int { return w.Stride * w.M }

// Planes is the number of positions of a transformed tile, Side².
func (w Winograd) Planes() int { return w.Side() * w.Side() }

// Products is the multiplications the form makes per input and output
// channel on an OH×OW output plane: Planes for every tile, those that
// reach past the plane's edge included. The unfolded product makes 9 per
// pixel.
func (w Winograd) Products(oh, ow int) int {
	return ((oh + w.M - 1) / w.M) * ((ow + w.M - 1) / w.M) * w.Planes()
}

// The forms: F(2×2, 3×3) and F(4×4, 3×3) at stride 1 (winograd.go,
// winograd4.go) and F(2×2, 3×3) at stride 2 (winograd_s2.go).
var (
	WinogradF2 = Winograd{M: 2, Stride: 1, Input: WinogradInput, OutputGrad: WinogradOutputGrad,
		Output: WinogradOutput, InputGrad: WinogradInputGrad, Kernel: WinogradKernel, KernelGrad: WinogradKernelGrad}
	WinogradF4 = Winograd{M: 4, Stride: 1, Input: Winograd4Input, OutputGrad: Winograd4OutputGrad,
		Output: Winograd4Output, InputGrad: Winograd4InputGrad, Kernel: Winograd4Kernel, KernelGrad: Winograd4KernelGrad}
	WinogradS2 = Winograd{M: 2, Stride: 2, Input: WinogradS2Input, OutputGrad: WinogradS2OutputGrad,
		Output: WinogradS2Output, InputGrad: WinogradS2InputGrad, Kernel: WinogradS2Kernel, KernelGrad: WinogradS2KernelGrad}
)
