package network

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// naiveIm2row is the definition: row (oy,ox), column (ki,kj,c) holds
// x[c, oy·s+ki-p, ox·s+kj-p], zero outside the image.
func naiveIm2row(img []float32, g convGeometry) []float32 {
	rows := make([]float32, g.colSize())
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			for ki := 0; ki < g.k; ki++ {
				for kj := 0; kj < g.k; kj++ {
					for c := 0; c < g.c; c++ {
						iy, ix := oy*g.stride+ki-g.pad, ox*g.stride+kj-g.pad
						if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
							rows[(oy*g.ow+ox)*g.colRows()+(ki*g.k+kj)*g.c+c] = img[(c*g.h+iy)*g.w+ix]
						}
					}
				}
			}
		}
	}
	return rows
}

// naiveRow2im is the adjoint, straight from the definition.
func naiveRow2im(rows []float32, g convGeometry) []float32 {
	img := make([]float32, g.inSize())
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			for ki := 0; ki < g.k; ki++ {
				for kj := 0; kj < g.k; kj++ {
					for c := 0; c < g.c; c++ {
						iy, ix := oy*g.stride+ki-g.pad, ox*g.stride+kj-g.pad
						if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
							img[(c*g.h+iy)*g.w+ix] += rows[(oy*g.ow+ox)*g.colRows()+(ki*g.k+kj)*g.c+c]
						}
					}
				}
			}
		}
	}
	return img
}

func geom(c, h, w, k, pad, stride int) convGeometry {
	g := convGeometry{n: 1, c: c, h: h, w: w, o: 1, k: k, pad: pad, stride: stride}
	g.oh, g.ow = convOut(h, k, pad, stride), convOut(w, k, pad, stride)
	return g
}

// TestIm2rowMatchesDefinition checks the padded channels-last unfolding
// and its adjoint against the definition on odd shapes: strides that leave
// a remainder, padding wider than the kernel reaches, 1×1 kernels, channel
// counts below, at and past the 8×8 transpose blocks, and scratch and
// outputs that hold stale values beforehand.
func TestIm2rowMatchesDefinition(t *testing.T) {
	cases := []unfoldCase{
		{1, 5, 5, 3, 1, 1},
		{2, 7, 6, 3, 1, 2},
		{3, 8, 8, 3, 1, 2},
		{2, 9, 7, 3, 0, 2},
		{3, 6, 6, 1, 0, 2},
		{2, 5, 5, 1, 0, 1},
		{1, 6, 5, 5, 2, 1},
		{2, 7, 7, 3, 2, 3},
		{1, 3, 3, 3, 1, 3},
		{8, 9, 10, 3, 1, 1},
		{17, 12, 9, 3, 1, 2},
		{8, 10, 12, 3, 1, 2}, // vector runs (linalg.CopyRuns) at stride 2
		{16, 8, 8, 1, 0, 2},  // a 1×1 projection's
		{32, 7, 7, 3, 1, 2},  // odd sides, 96-float runs
	}
	runUnfoldCases(t, cases, func(t *testing.T, g convGeometry, img []float32, r *rand.Rand) {
		rows := uniform(r, g.colSize(), 5, 6) // stale values must all be overwritten
		hwc := uniform(r, g.paddedLen(), 7, 8)
		toPaddedHWC(hwc, img, g)
		im2row(rows, hwc, g)
		checkClose(t, "im2row", rows, to64(naiveIm2row(img, g)), 0)

		drows := uniform(r, g.colSize(), -1, 1)
		out := uniform(r, g.inSize(), 5, 6)
		clear(hwc)
		row2im(hwc, drows, g)
		fromPaddedHWC(out, hwc, g)
		checkClose(t, "row2im", out, to64(naiveRow2im(drows, g)), 1e-6)

		// The channels-last forms, from and to an unpadded H×W×C image.
		imgCL := make([]float32, g.inSize())
		linalg.Transpose(g.c, g.h*g.w, img, g.h*g.w, imgCL, g.c)
		rows = uniform(r, g.colSize(), 5, 6)
		im2rowCL(rows, imgCL, g)
		checkClose(t, "im2rowCL", rows, to64(naiveIm2row(img, g)), 0)
		outCL := uniform(r, g.inSize(), 5, 6)
		clear(outCL)
		row2imCL(outCL, drows, g)
		back := make([]float32, g.inSize())
		linalg.Transpose(g.h*g.w, g.c, outCL, g.c, back, g.h*g.w)
		checkClose(t, "row2imCL", back, to64(naiveRow2im(drows, g)), 1e-6)
	})
}

// unfoldCase is a C×H×W input under a K×K kernel at a padding and stride.
type unfoldCase struct{ c, h, w, k, pad, stride int }

// runUnfoldCases runs check on each case's geometry (one output channel,
// one image) with a random image and the generator that drew it, seeded by
// the case.
func runUnfoldCases(t *testing.T, cases []unfoldCase, check func(t *testing.T, g convGeometry, img []float32, r *rand.Rand)) {
	for _, tc := range cases {
		g := geom(tc.c, tc.h, tc.w, tc.k, tc.pad, tc.stride)
		t.Run(fmt.Sprintf("c%d_%dx%d_k%d_p%d_s%d", tc.c, tc.h, tc.w, tc.k, tc.pad, tc.stride), func(t *testing.T) {
			r := newRand(uint64(tc.c*1000 + tc.h*10 + tc.k))
			check(t, g, uniform(r, g.inSize(), -1, 1), r)
		})
	}
}

// TestIm2colMatchesDefinition checks the channel-first unfolding of input
// layers against the definition (row (c,ki,kj), column oy·OW+ox holds
// x[c, oy·s+ki-p, ox·s+kj-p]) on a scratch of stale values: "same"
// padding at stride 1, which shiftedPlane copies as one shifted plane per
// row, and the shapes that take short runs instead.
func TestIm2colMatchesDefinition(t *testing.T) {
	cases := []unfoldCase{
		{1, 28, 28, 3, 1, 1}, // the default tower's first layer
		{3, 7, 5, 3, 1, 1},
		{1, 6, 6, 5, 2, 1},
		{1, 1, 1, 3, 1, 1},
		{1, 2, 9, 3, 1, 1},
		{1, 8, 8, 3, 0, 1}, // valid padding: narrower output
		{1, 5, 6, 3, 2, 1}, // wider output
		{1, 9, 9, 3, 1, 2},
		{2, 4, 4, 1, 0, 1},
	}
	runUnfoldCases(t, cases, func(t *testing.T, g convGeometry, img []float32, r *rand.Rand) {
		col := uniform(r, g.colLen(), 5, 6) // stale values must all be overwritten
		im2col(col, img, g)
		want := make([]float32, g.colLen())
		for c := range g.c {
			for ki := range g.k {
				for kj := range g.k {
					row := want[((c*g.k+ki)*g.k+kj)*g.colStride():]
					for oy := range g.oh {
						for ox := range g.ow {
							iy, ix := oy*g.stride+ki-g.pad, ox*g.stride+kj-g.pad
							if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
								row[oy*g.ow+ox] = img[(c*g.h+iy)*g.w+ix]
							}
						}
					}
				}
			}
		}
		for j := range g.colRows() {
			at := j * g.colStride()
			checkClose(t, fmt.Sprintf("im2col row %d", j), col[at:at+g.outPlane()], to64(want[at:at+g.outPlane()]), 0)
		}
	})
}

// TestKernelRowsRoundTrip reorders a kernel both ways and back.
func TestKernelRowsRoundTrip(t *testing.T) {
	g := convGeometry{c: 3, k: 3, o: 5}
	w := uniform(newRand(3), g.kernelSize(), -1, 1)
	rows, rowsT, back := make([]float32, len(w)), make([]float32, len(w)), make([]float32, len(w))
	kernelRows(rows, w, g, false)
	kernelRows(rowsT, w, g, true)
	for o := 0; o < g.o; o++ {
		for j := 0; j < g.colRows(); j++ {
			if rows[o*g.colRows()+j] != rowsT[j*g.o+o] {
				t.Fatalf("kernelRows and its transpose differ at filter %d, column %d", o, j)
			}
		}
	}
	// w[o][c][ki][kj] sits at column (ki·K+kj)·C+c.
	if got, want := rows[1*g.colRows()+(2*3+1)*3+2], w[((1*3+2)*3+2)*3+1]; got != want {
		t.Fatalf("filter 1, c 2, ki 2, kj 1: got %v, want %v", got, want)
	}
	rowsToKernel(back, rowsT, g)
	checkClose(t, "round trip", back, to64(w), 0)
}

// photoConvs are the photos preset's convolutions at 64 px (stem, then
// each residual block's first and second 3×3 conv and its 1×1 projection)
// and the default tower's two.
var photoConvs = []struct {
	name                 string
	c, h, k, pad, stride int
}{
	{"stem", 3, 64, 3, 1, 2},
	{"b1c1", 32, 32, 3, 1, 2}, {"b1c2", 32, 16, 3, 1, 1}, {"b1p", 32, 32, 1, 0, 2},
	{"b2c1", 32, 16, 3, 1, 2}, {"b2c2", 64, 8, 3, 1, 1}, {"b2p", 32, 16, 1, 0, 2},
	{"b3c1", 64, 8, 3, 1, 2}, {"b3c2", 128, 4, 3, 1, 1}, {"b3p", 64, 8, 1, 0, 2},
	{"mnist-c1", 1, 28, 3, 1, 1}, {"mnist-c2", 32, 14, 3, 1, 1},
}

// BenchmarkIm2row unfolds one image of each shape, and folds it back.
func BenchmarkIm2row(b *testing.B) {
	for _, s := range photoConvs {
		g := geom(s.c, s.h, s.h, s.k, s.pad, s.stride)
		r := newRand(1)
		img, rows, hwc := uniform(r, g.inSize(), -1, 1), make([]float32, g.colSize()), make([]float32, g.paddedLen())
		b.Run(s.name+"/im2row", func(b *testing.B) {
			for b.Loop() {
				toPaddedHWC(hwc, img, g)
				im2row(rows, hwc, g)
			}
			b.ReportMetric(float64(g.colSize()*b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
		})
		b.Run(s.name+"/row2im", func(b *testing.B) {
			for b.Loop() {
				clear(hwc)
				row2im(hwc, rows, g)
				fromPaddedHWC(img, hwc, g)
			}
			b.ReportMetric(float64(g.colSize()*b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
		})
	}
}

// BenchmarkIm2col unfolds one image channel-first, as the input layers
// do: the default tower's at 28 px gray and 48 px colour ("same" padding,
// stride 1, one shifted plane a kernel tap) and the photos stem (stride 2).
func BenchmarkIm2col(b *testing.B) {
	for _, s := range []struct {
		name              string
		c, h, k, pad, str int
	}{
		{"mnist-c1", 1, 28, 3, 1, 1}, {"colour-c1", 3, 48, 3, 1, 1}, {"stem", 3, 64, 3, 1, 2},
	} {
		g := geom(s.c, s.h, s.h, s.k, s.pad, s.str)
		img, col := uniform(newRand(1), g.inSize(), -1, 1), make([]float32, g.colLen())
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				im2col(col, img, g)
			}
			b.ReportMetric(float64(g.colRows()*g.outPlane()*b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
		})
	}
}
