package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// winogradShapes are (channels, tiles) for the kernels: multiples of 8
// the assembly takes (the network's 32 to 128), and counts the Go form
// keeps, on one tile and on a row of them.
var winogradShapes = [][2]int{{8, 1}, {8, 5}, {16, 2}, {32, 7}, {32, 12}, {64, 3}, {128, 2}, {256, 12}, {3, 4}, {12, 3}, {1, 1}}

// winogradForm is one implementation of the four tile kernels.
type winogradForm struct {
	name              string
	input, outputGrad func(t []float32, plane int, img []float32, stride, c, tiles int)
	output, inputGrad func(img []float32, stride int, t []float32, plane, c, tiles int)
}

// winogradAlg is one of the forms with its implementations of the tile
// kernels, the exported first, then the Go forms.
type winogradAlg struct {
	name string
	Winograd
	forms []winogradForm
}

var winogradAlgs = []winogradAlg{
	{"F2", WinogradF2, []winogradForm{
		{"exported", WinogradF2.Input, WinogradF2.OutputGrad, WinogradF2.Output, WinogradF2.InputGrad},
		{"go", winogradInputGo, winogradOutputGradGo, winogradOutputGo, winogradInputGradGo},
		asmForms("avx2", rowsAsm, winogradInputAVX2, winogradOutputGradAVX2, winogradOutputAVX2, winogradInputGradAVX2,
			winogradInputGo, winogradOutputGradGo, winogradOutputGo, winogradInputGradGo),
		asmForms("avx512", wideRows, winogradInputAVX512, winogradOutputGradAVX512, winogradOutputAVX512, winogradInputGradAVX512,
			winogradInputGo, winogradOutputGradGo, winogradOutputGo, winogradInputGradGo),
	}},
	{"F4", WinogradF4, []winogradForm{
		{"exported", WinogradF4.Input, WinogradF4.OutputGrad, WinogradF4.Output, WinogradF4.InputGrad},
		{"go", winograd4InputGo, winograd4OutputGradGo, winograd4OutputGo, winograd4InputGradGo},
		asmForms("avx2", rowsAsm, winograd4InputAVX2, winograd4OutputGradAVX2, winograd4OutputAVX2, winograd4InputGradAVX2,
			winograd4InputGo, winograd4OutputGradGo, winograd4OutputGo, winograd4InputGradGo),
		asmForms("avx512", wideRows, winograd4InputAVX512, winograd4OutputGradAVX512, winograd4OutputAVX512, winograd4InputGradAVX512,
			winograd4InputGo, winograd4OutputGradGo, winograd4OutputGo, winograd4InputGradGo),
	}},
	{"S2", WinogradS2, []winogradForm{
		{"exported", WinogradS2.Input, WinogradS2.OutputGrad, WinogradS2.Output, WinogradS2.InputGrad},
		{"go", winogradS2InputGo, winogradS2OutputGradGo, winogradS2OutputGo, winogradS2InputGradGo},
		asmForms("avx2", rowsAsm, winogradS2InputAVX2, winogradS2OutputGradAVX2, winogradS2OutputAVX2, winogradS2InputGradAVX2,
			winogradS2InputGo, winogradS2OutputGradGo, winogradS2OutputGo, winogradS2InputGradGo),
		asmForms("avx512", wideRows, winogradS2InputAVX512, winogradS2OutputGradAVX512, winogradS2OutputAVX512, winogradS2InputGradAVX512,
			winogradS2InputGo, winogradS2OutputGradGo, winogradS2OutputGo, winogradS2InputGradGo),
	}},
}

type (
	toPlanesAsm   = func(t *float32, plane int, img *float32, stride, c, tiles int)
	fromPlanesAsm = func(img *float32, stride int, t *float32, plane, c, tiles int)
	toPlanesGo    = func(t []float32, plane int, img []float32, stride, c, tiles int)
	fromPlanesGo  = func(img []float32, stride int, t []float32, plane, c, tiles int)
)

// asmForms is one set of assembly kernels called directly, whichever set
// the exported functions would choose, so that on a CPU with AVX-512 the
// AVX2 kernels are checked too. Where ok says the set does not take c
// channels, or the CPU lacks it, the Go forms stand in.
func asmForms(name string, ok func(c int) bool, in, og toPlanesAsm, out, ig fromPlanesAsm,
	inGo, ogGo toPlanesGo, outGo, igGo fromPlanesGo) winogradForm {
	to := func(k toPlanesAsm, g toPlanesGo) toPlanesGo {
		return func(t []float32, plane int, img []float32, stride, c, tiles int) {
			if !ok(c) || tiles == 0 {
				g(t, plane, img, stride, c, tiles)
				return
			}
			k(&t[0], plane, &img[0], stride, c, tiles)
		}
	}
	from := func(k fromPlanesAsm, g fromPlanesGo) fromPlanesGo {
		return func(img []float32, stride int, t []float32, plane, c, tiles int) {
			if !ok(c) || tiles == 0 {
				g(img, stride, t, plane, c, tiles)
				return
			}
			k(&img[0], stride, &t[0], plane, c, tiles)
		}
	}
	return winogradForm{name, to(in, inGo), to(og, ogGo), from(out, outGo), from(ig, igGo)}
}

// winogradLayout is a row of tiles with gaps: a stride longer than the
// row and planes longer than the tiles, so an index mixed up between
// them reads or writes the wrong place.
type winogradLayout struct {
	a                       winogradAlg
	c, tiles, stride, plane int
}

func newWinogradLayout(a winogradAlg, c, tiles int) winogradLayout {
	return winogradLayout{a: a, c: c, tiles: tiles, stride: (a.Step()*tiles+a.Side())*c + 5, plane: tiles*c + 3}
}

// imgLen is the length of a row of side×side tiles step pixels apart.
func (l winogradLayout) imgLen(side, step int) int {
	return (side-1)*l.stride + (step*(l.tiles-1)+side)*l.c
}
func (l winogradLayout) inLen() int  { return l.imgLen(l.a.Side(), l.a.Step()) }
func (l winogradLayout) outLen() int { return l.imgLen(l.a.M, l.a.M) }
func (l winogradLayout) tLen() int   { return (l.a.Planes()-1)*l.plane + l.tiles*l.c }

// in and out are the indices of channel k of pixel (r, s) of input and
// output tile t.
func (l winogradLayout) in(t, r, s, k int) int  { return r*l.stride + (l.a.Step()*t+s)*l.c + k }
func (l winogradLayout) out(t, r, s, k int) int { return r*l.stride + (l.a.M*t+s)*l.c + k }

// at is the index of channel k of tile t at position ξ.
func (l winogradLayout) at(t, xi, k int) int { return xi*l.plane + t*l.c + k }

// TestWinogradConvolves checks the whole pipeline of each algorithm
// against the definition of the convolution, in float64: transform the
// input tiles and the kernel, multiply position by position summing over
// channels, transform back; each m×m output must be the 3×3
// cross-correlation of its (m+2)×(m+2) tile.
func TestWinogradConvolves(t *testing.T) {
	for _, a := range winogradAlgs {
		for _, f := range a.forms {
			for _, sh := range winogradShapes {
				c, tiles := sh[0], sh[1]
				const o = 3
				t.Run(fmt.Sprintf("%s/%s/c%d_tiles%d", a.name, f.name, c, tiles), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(c), uint64(tiles)))
					l := newWinogradLayout(a, c, tiles)
					d := randomVector(r, l.inLen(), -1, 1)
					g := randomVector(r, o*c*9, -1, 1)
					v := make([]float32, l.tLen())
					f.input(v, l.plane, d, l.stride, c, tiles)
					u := make([]float32, a.Planes()*c*o)
					a.Kernel(u, g, o, c)
					// M at ξ, laid out as a transform of o channels.
					lo := newWinogradLayout(a, o, tiles)
					m := make([]float32, lo.tLen())
					for ti := range tiles {
						for xi := range a.Planes() {
							for oc := range o {
								var s float32
								for k := range c {
									s += v[l.at(ti, xi, k)] * u[xi*c*o+oc*c+k]
								}
								m[lo.at(ti, xi, oc)] = s
							}
						}
					}
					y := make([]float32, lo.outLen())
					f.output(y, lo.stride, m, lo.plane, o, tiles)
					for ti := range tiles {
						for oc := range o {
							for i := range a.M {
								for j := range a.M {
									var want, mag float64
									for k := range c {
										for p := range 3 {
											for q := range 3 {
												x := float64(g[(oc*c+k)*9+3*p+q]) * float64(d[l.in(ti, a.Stride*i+p, a.Stride*j+q, k)])
												want += x
												mag += math.Abs(x)
											}
										}
									}
									got := float64(y[lo.out(ti, i, j, oc)])
									if math.Abs(got-want) > 1e-5*(mag+1) {
										t.Fatalf("tile %d, output channel %d, pixel (%d,%d): %v, want %v", ti, oc, i, j, got, want)
									}
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestWinogradAdjoints checks each gradient kernel against its forward
// kernel by the defining identity of an adjoint, ⟨F x, y⟩ = ⟨x, Fᵀ y⟩,
// in float64 on random x and y. The input gradient adds onto what its
// destination held, which is subtracted first.
func TestWinogradAdjoints(t *testing.T) {
	dot := func(a, b []float32) (s, mag float64) {
		for i := range a {
			p := float64(a[i]) * float64(b[i])
			s += p
			mag += math.Abs(p)
		}
		return s, mag
	}
	check := func(t *testing.T, what string, fx, y, x, fty []float32) {
		t.Helper()
		lhs, m1 := dot(fx, y)
		rhs, m2 := dot(x, fty)
		if math.Abs(lhs-rhs) > 1e-5*(m1+m2+1) {
			t.Errorf("%s: ⟨F x, y⟩ = %v, ⟨x, Fᵀ y⟩ = %v", what, lhs, rhs)
		}
	}
	for _, a := range winogradAlgs {
		for _, f := range a.forms {
			for _, sh := range winogradShapes {
				c, tiles := sh[0], sh[1]
				t.Run(fmt.Sprintf("%s/%s/c%d_tiles%d", a.name, f.name, c, tiles), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(c)+7, uint64(tiles)))
					l := newWinogradLayout(a, c, tiles)
					// The gaps between rows and planes are not part of either
					// space: keep them zero on both sides.
					img := func(side int, at func(t, r, s, k int) int, n int) []float32 {
						x := make([]float32, n)
						for ti := range tiles {
							for i := range side {
								for j := range side {
									for k := range c {
										x[at(ti, i, j, k)] = float32(r.Float64()*2 - 1)
									}
								}
							}
						}
						return x
					}
					inImg := func() []float32 { return img(a.Side(), l.in, l.inLen()) }
					outImg := func() []float32 { return img(a.M, l.out, l.outLen()) }
					tr := func() []float32 {
						x := make([]float32, l.tLen())
						for ti := range tiles {
							for xi := range a.Planes() {
								for k := range c {
									x[l.at(ti, xi, k)] = float32(r.Float64()*2 - 1)
								}
							}
						}
						return x
					}

					d, dv := inImg(), tr()
					v := make([]float32, l.tLen())
					f.input(v, l.plane, d, l.stride, c, tiles)
					// Overlapping tiles add: Fᵀ of a row of tiles sums them.
					base := inImg()
					dd := append([]float32(nil), base...)
					f.inputGrad(dd, l.stride, dv, l.plane, c, tiles)
					for i := range dd {
						dd[i] -= base[i]
					}
					check(t, "input", v, dv, d, dd)

					m, dy := tr(), outImg()
					y := make([]float32, l.outLen())
					f.output(y, l.stride, m, l.plane, c, tiles)
					dm := make([]float32, l.tLen())
					f.outputGrad(dm, l.plane, dy, l.stride, c, tiles)
					check(t, "output", y, dy, m, dm)
				})
			}
		}
		t.Run(a.name+"/kernel", func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			// 37 output channels: two blocks of 16 and a part block.
			const o, c = 37, 3
			g, du := randomVector(r, o*c*9, -1, 1), randomVector(r, a.Planes()*o*c, -1, 1)
			u, dg := make([]float32, a.Planes()*o*c), make([]float32, o*c*9)
			a.Kernel(u, g, o, c)
			a.KernelGrad(dg, du, o, c)
			check(t, "kernel", u, du, g, dg)
		})
	}
}

// TestWinogradFormsAgree checks the exported kernels, which run in
// assembly where the CPU allows, and each set of assembly kernels by
// itself, against the Go forms bit for bit, with a
// guard after every slice that neither may touch.
func TestWinogradFormsAgree(t *testing.T) {
	const guard = 7
	for _, a := range winogradAlgs {
		for _, sh := range winogradShapes {
			c, tiles := sh[0], sh[1]
			t.Run(fmt.Sprintf("%s/c%d_tiles%d", a.name, c, tiles), func(t *testing.T) {
				l := newWinogradLayout(a, c, tiles)
				run := func(f winogradForm) [][]float32 {
					r := rand.New(rand.NewPCG(uint64(c)+11, uint64(tiles))) // the same inputs for every form
					var out [][]float32
					withGuard := func(n int, fill bool) []float32 {
						x := make([]float32, n+guard)
						for i := range x {
							x[i] = 1e9
							if fill && i < n {
								x[i] = float32(r.Float64()*2 - 1)
							}
						}
						return x
					}
					din, dout, tt := withGuard(l.inLen(), true), withGuard(l.outLen(), true), withGuard(l.tLen(), true)
					v := withGuard(l.tLen(), false)
					f.input(v, l.plane, din[:l.inLen()], l.stride, c, tiles)
					y := withGuard(l.outLen(), false)
					f.output(y, l.stride, tt[:l.tLen()], l.plane, c, tiles)
					dm := withGuard(l.tLen(), false)
					f.outputGrad(dm, l.plane, dout[:l.outLen()], l.stride, c, tiles)
					dd := append([]float32(nil), din...)
					f.inputGrad(dd[:l.inLen()], l.stride, tt[:l.tLen()], l.plane, c, tiles)
					return append(out, v, y, dm, dd)
				}
				want := run(a.forms[1])
				for _, f := range a.forms {
					if f.name == "go" {
						continue
					}
					got := run(f)
					for i, name := range []string{"input", "output", "output gradient", "input gradient"} {
						for j := range want[i] {
							if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
								t.Fatalf("%s[%d]: %s %v, Go %v", name, j, f.name, got[i][j], want[i][j])
							}
						}
					}
				}
			})
		}
	}
}

func TestWinogradPanics(t *testing.T) {
	l := newWinogradLayout(winogradAlgs[0], 8, 2)
	cases := []struct {
		name string
		fn   func()
	}{
		{"short image", func() {
			WinogradInput(make([]float32, l.tLen()), l.plane, make([]float32, l.inLen()-1), l.stride, 8, 2)
		}},
		{"short planes", func() {
			WinogradOutput(make([]float32, l.outLen()), l.stride, make([]float32, l.tLen()-1), l.plane, 8, 2)
		}},
		{"overlapping planes", func() {
			WinogradOutputGrad(make([]float32, l.tLen()), 15, make([]float32, l.outLen()), l.stride, 8, 2)
		}},
		{"short stride", func() {
			WinogradInputGrad(make([]float32, l.inLen()), 47, make([]float32, l.tLen()), l.plane, 8, 2)
		}},
		{"short kernel", func() { WinogradKernel(make([]float32, 16*6), make([]float32, 53), 2, 3) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.fn()
		})
	}
}

// BenchmarkWinograd times each tile kernel of F(2×2) and F(4×4) on a
// 24×24 channels-last plane of 32 channels (the default tower's second
// convolution at 48 px): 144 tiles in 12 rows, or 36 in 6.
func BenchmarkWinograd(b *testing.B) {
	const c, side = 32, 24
	type kernels struct {
		input, outputGrad func(t []float32, plane int, img []float32, stride, c, tiles int)
		output, inputGrad func(img []float32, stride int, t []float32, plane, c, tiles int)
	}
	for _, f := range []struct {
		name string
		m    int
		k    kernels
	}{
		{"F2", 2, kernels{WinogradInput, WinogradOutputGrad, WinogradOutput, WinogradInputGrad}},
		{"F4", 4, kernels{Winograd4Input, Winograd4OutputGrad, Winograd4Output, Winograd4InputGrad}},
	} {
		tiles := side / f.m
		stride := (f.m*tiles + 2) * c
		img := make([]float32, (f.m*tiles+2)*stride)
		plane := tiles * tiles * c
		tr := make([]float32, (f.m+2)*(f.m+2)*plane)
		for _, k := range []struct {
			name string
			fn   func(row int)
		}{
			{"input", func(r int) { f.k.input(tr[r*tiles*c:], plane, img[f.m*r*stride:], stride, c, tiles) }},
			{"output", func(r int) { f.k.output(img[f.m*r*stride:], stride, tr[r*tiles*c:], plane, c, tiles) }},
			{"outputGrad", func(r int) { f.k.outputGrad(tr[r*tiles*c:], plane, img[f.m*r*stride:], stride, c, tiles) }},
			{"inputGrad", func(r int) { f.k.inputGrad(img[f.m*r*stride:], stride, tr[r*tiles*c:], plane, c, tiles) }},
		} {
			b.Run(f.name+"/"+k.name, func(b *testing.B) {
				for range b.N {
					for r := range tiles {
						k.fn(r)
					}
				}
			})
		}
	}
}

// BenchmarkWinogradKernel times the kernel transforms and their adjoints
// on a 128×128 layer, a photo tower's last block.
func BenchmarkWinogradKernel(b *testing.B) {
	const o, c = 128, 128
	for _, a := range winogradAlgs {
		g, u := make([]float32, o*c*9), make([]float32, a.Planes()*o*c)
		b.Run(a.name+"/kernel", func(b *testing.B) {
			for range b.N {
				a.Kernel(u, g, o, c)
			}
		})
		b.Run(a.name+"/kernelGrad", func(b *testing.B) {
			for range b.N {
				a.KernelGrad(g, u, o, c)
			}
		})
	}
}

// TestWinogradProducts checks each form's multiplications per channel
// pair, edge tiles counted, against hand counts.
func TestWinogradProducts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		w      Winograd
		oh, ow int
		want   int
	}{
		{"F2 14×14: 7×7 tiles of 16", WinogradF2, 14, 14, 784},
		{"F2 3×5: 2×3 tiles", WinogradF2, 3, 5, 96},
		{"F4 14×14: 4×4 tiles of 36", WinogradF4, 14, 14, 576},
		{"F4 4×4: one tile", WinogradF4, 4, 4, 36},
		{"S2 3×3: 2×2 tiles of 25", WinogradS2, 3, 3, 100},
		{"S2 16×16: 8×8 tiles", WinogradS2, 16, 16, 1600},
	} {
		if got := tc.w.Products(tc.oh, tc.ow); got != tc.want {
			t.Errorf("%s: %d products, want %d", tc.name, got, tc.want)
		}
	}
}
