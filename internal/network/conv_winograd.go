package network

// The Winograd form of a 3×3 convolution at stride 1 with padding 1 on
// channels-last data, the layer every tower spends most of its step in
// (the default tower's second convolution, a residual block's second):
// F(2×2,3×3) (see internal/linalg/winograd.go for the maths) turns each
// image into tiles of 2×2 output pixels, and the layer into 16 matrix
// products per group of images with 2.25 times fewer flops than the
// unfolded (im2row) product, and no 9-fold unfolded copy of the input.
//
// The plane is cut into th×tw tiles, th = ⌈H/2⌉, read from a copy of the
// image with a zero border, (2th+2)×(2tw+2) pixels, the image at (1,1).
// A group's transformed tiles V (16 × tiles×C) and products M (16 ×
// tiles×O) each hold one plane per ξ, so product ξ reads and writes
// contiguous rows. Then, for a group of images,
//
//	forward:         V = in(x),  M_ξ = V_ξ·U_ξ,         y = out(M)
//	input gradient:  dM = out*(dy), dV_ξ = dM_ξ·U_ξᵀ,   dx = in*(dV)
//	kernel gradient: V = in(x), dM = out*(dy), dU_ξ += V_ξᵀ·dM_ξ, dw = ker*(dU)
//
// where U = ker(w) is the transformed kernel and * marks an adjoint. The
// two gradients are one op (winogradGradInput), which takes U from the
// forward pass, computes dM once for both, and transforms x again rather
// than keep V for the whole batch, so a group's scratch stays under a
// megabyte.

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// useWinograd says whether a convolution runs in the Winograd form: a 3×3
// kernel at stride 1 with padding 1, channels-last in and out, and enough
// input channels for the channels-last path (see useIm2col).
func (g convGeometry) useWinograd(inCL, outCL bool) bool {
	return g.k == 3 && g.stride == 1 && g.pad == 1 && inCL && outCL && !g.useIm2col()
}

// winograd is the tiling of one Winograd convolution.
type winograd struct {
	convGeometry
	th, tw int // tiles down and across an image
	per    int // images per group
}

// winogradGroupFloats bounds a group's transformed tiles and products, so
// that what the transforms write is still in L2 when the products read it.
const winogradGroupFloats = 192 << 10

func newWinograd(g convGeometry) winograd {
	wg := winograd{convGeometry: g, th: (g.h + 1) / 2, tw: (g.w + 1) / 2}
	wg.per = max(1, min(g.n, winogradGroupFloats/(16*wg.tiles()*(g.c+g.o))))
	return wg
}

func (wg winograd) tiles() int { return wg.th * wg.tw }

// even: the plane is whole tiles, so outputs and output gradients are
// read and written in place rather than through a tile-sized copy.
func (wg winograd) even() bool { return wg.h%2 == 0 && wg.w%2 == 0 }

// The padded input's row, and a plane of whole tiles' row, in floats.
func (wg winograd) paddedRow() int { return (2*wg.tw + 2) * wg.c }
func (wg winograd) paddedLen() int { return (2*wg.th + 2) * wg.paddedRow() }
func (wg winograd) tiledRow() int  { return 2 * wg.tw * wg.o }
func (wg winograd) tiledLen() int  { return 2 * wg.th * wg.tiledRow() }

// winogradScratch is one worker's share of an op's scratch: a padded
// image, a group's transformed input side (V or dV, C wide) and output
// side (M or dM, O wide), and a tiled output plane for odd sizes.
type winogradScratch struct{ padded, in, out, tiled int }

func (wg winograd) scratch() winogradScratch {
	s := winogradScratch{
		padded: wg.paddedLen(),
		in:     16 * wg.per * wg.tiles() * wg.c,
		out:    16 * wg.per * wg.tiles() * wg.o,
	}
	if !wg.even() {
		s.tiled = wg.tiledLen()
	}
	return s
}

func (s winogradScratch) size() int { return s.padded + s.in + s.out + s.tiled }

// parts cuts one worker's scratch b (at least size long) into its four
// parts.
func (s winogradScratch) parts(b []float32) (padded, in, out, tiled []float32) {
	padded, b = b[:s.padded], b[s.padded:]
	in, b = b[:s.in], b[s.in:]
	out, b = b[:s.out], b[s.out:]
	return padded, in, out, b[:s.tiled]
}

// eachGroup runs fn on every group of images with its worker's scratch
// parts; see forGroups.
func (wg winograd) eachGroup(buf []float32, fn func(i0, i1 int, padded, in, out, tiled []float32)) []float32 {
	sc := wg.scratch()
	return forGroups(wg.n, wg.per, sc.size(), buf, func(i0, i1 int, b []float32) {
		padded, in, out, tiled := sc.parts(b)
		fn(i0, i1, padded, in, out, tiled)
	})
}

// pad copies one channels-last image into padded, with the zero border.
func (wg winograd) pad(padded, img []float32) {
	row, run, c := wg.paddedRow(), wg.w*wg.c, wg.c
	clear(padded[:row])
	for y := range wg.h {
		at := (y+1)*row + c
		clear(padded[at-c : at])
		copy(padded[at:at+run], img[y*run:(y+1)*run])
		clear(padded[at+run : (y+2)*row])
	}
	clear(padded[(wg.h+1)*row : wg.paddedLen()])
}

// transformInputs writes V for images [i0, i1) of x, T tiles in all.
func (wg winograd) transformInputs(v, padded, x []float32, i0, i1 int) {
	c, tiles, plane := wg.c, wg.tiles(), (i1-i0)*wg.tiles()*wg.c
	row := wg.paddedRow()
	for i := i0; i < i1; i++ {
		wg.pad(padded, x[i*wg.inSize():(i+1)*wg.inSize()])
		for ty := range wg.th {
			at := ((i-i0)*tiles + ty*wg.tw) * c
			linalg.WinogradInput(v[at:], plane, padded[2*ty*row:], row, c, wg.tw)
		}
	}
}

// transformOutputGrads writes dM for images [i0, i1) of dy.
func (wg winograd) transformOutputGrads(dm, tiled, dy []float32, i0, i1 int) {
	o, tiles, plane := wg.o, wg.tiles(), (i1-i0)*wg.tiles()*wg.o
	for i := i0; i < i1; i++ {
		src, row := dy[i*wg.outSize():(i+1)*wg.outSize()], wg.w*o
		if !wg.even() {
			src, row = wg.toTiled(tiled, src), wg.tiledRow()
		}
		for ty := range wg.th {
			at := ((i-i0)*tiles + ty*wg.tw) * o
			linalg.WinogradOutputGrad(dm[at:], plane, src[2*ty*row:], row, o, wg.tw)
		}
	}
}

// toTiled copies an H×W×O plane into tiled, 2th×2tw×O, zero beyond it.
func (wg winograd) toTiled(tiled, img []float32) []float32 {
	row, run := wg.tiledRow(), wg.w*wg.o
	for y := range wg.h {
		copy(tiled[y*row:y*row+run], img[y*run:(y+1)*run])
		clear(tiled[y*row+run : (y+1)*row])
	}
	clear(tiled[wg.h*row : wg.tiledLen()])
	return tiled
}

// products runs the 16 products of a group of T tiles: out_ξ (T×n) =
// op(a_ξ) · b_ξ, a_ξ being T×k (or k×T for transA, into a k×n sum with
// beta), each ξ a plane of the three.
func products(transA bool, tiles, n, k int, a, b []float32, beta float32, out []float32) {
	ap, bp, op := tiles*k, k*n, tiles*n
	m, kk := tiles, k
	if transA {
		bp, op = tiles*n, k*n
		m, kk = k, tiles
	}
	for xi := range 16 {
		linalg.Gemm(transA, false, m, n, kk, 1, a[xi*ap:], k, b[xi*bp:], n, beta, out[xi*op:], n)
	}
}

func (k *conv2D) forwardWinograd(x, w []float32, g convGeometry) {
	wg := newWinograd(g)
	k.wt = grow(k.wt, 16*g.c*g.o)
	linalg.WinogradKernel(k.wt, w, g.o, g.c)
	k.buf = wg.eachGroup(k.buf, func(i0, i1 int, padded, v, m, tiled []float32) {
		tiles := (i1 - i0) * wg.tiles()
		wg.transformInputs(v, padded, x, i0, i1)
		products(false, tiles, g.o, g.c, v, k.wt, 0, m)
		plane := tiles * g.o
		for i := i0; i < i1; i++ {
			dst, row := k.out[i*g.outSize():(i+1)*g.outSize()], g.w*g.o
			if !wg.even() {
				dst, row = tiled, wg.tiledRow()
			}
			for ty := range wg.th {
				at := ((i-i0)*wg.tiles() + ty*wg.tw) * g.o
				linalg.WinogradOutput(dst[2*ty*row:], row, m[at:], plane, g.o, wg.tw)
			}
			if !wg.even() {
				out, run := k.out[i*g.outSize():], g.w*g.o
				for y := range g.h {
					copy(out[y*run:(y+1)*run], tiled[y*row:])
				}
			}
		}
	})
}

// winogradGradInput is the backward pass of a Winograd layer: dL/dx, and
// on the way dL/dw, which winogradGradWeight hands on. Both gradients
// start from dM, the output gradient's transform, which as two ops they
// would each compute: it is the costliest transform, 16 planes written
// for every 4 pixels read. Inputs: w, dL/dy, x.
type winogradGradInput struct {
	fwd *conv2D

	out     []float32 // dL/dx
	dw      []float32 // dL/dw, O×C×3×3
	ut      []float32 // every U_ξᵀ, O×C
	partial []float32 // one 16×C×O sum of dU per chunk
	buf     []float32 // per worker: winogradScratch
}

func (k *winogradGradInput) name() string     { return "conv2d (Winograd) gradients" }
func (k *winogradGradInput) inputs() []string { return []string{"kernel", "output gradient", "input"} }

func (k *winogradGradInput) geometry(ws, gs, xs tensor.Shape) (convGeometry, error) {
	g, err := k.fwd.geometry(xs, ws)
	if err != nil {
		return g, fmt.Errorf("%s: %w", k.name(), err)
	}
	if want := (tensor.Shape{g.n, g.o, g.oh, g.ow}); !gs.Eq(want) {
		return g, fmt.Errorf("%s: output gradient %v, want %v", k.name(), gs, want)
	}
	return g, nil
}

func (k *winogradGradInput) shape(in []tensor.Shape) (tensor.Shape, error) {
	if _, err := k.geometry(in[0], in[1], in[2]); err != nil {
		return nil, err
	}
	return in[2].Clone(), nil
}

// winogradChunkTiles is the fewest tiles a chunk of the kernel gradient
// sums over: on small planes (a photo tower's 4×4, 4 tiles an image) 16
// chunks would make each product's inner dimension a few dozen and the
// chunks' 16×C×O partials more to add than to compute.
const winogradChunkTiles = 128

func (k *winogradGradInput) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	w, dy, x := in[0], in[1], in[2]
	g, err := k.geometry(shapes[0], shapes[1], shapes[2])
	if err != nil {
		return nil, err
	}
	wg := newWinograd(g)
	co := g.c * g.o
	// dy comes from the forward pass's output, so that pass has run on
	// these weights in this same run of the graph and left U in fwd.wt;
	// only an op run on its own has to transform them.
	u := k.fwd.wt
	if len(u) != 16*co {
		k.fwd.wt = grow(k.fwd.wt, 16*co)
		u = k.fwd.wt
		linalg.WinogradKernel(u, w, g.o, g.c)
	}
	k.ut = grow(k.ut, 16*co)
	for xi := range 16 {
		linalg.Transpose(g.c, g.o, u[xi*co:], g.o, k.ut[xi*co:], g.c)
	}
	k.out = grow(k.out, g.n*g.inSize())
	// The chunks of the kernel gradient's sum, as gradChunks: a count that
	// depends on the geometry alone, so the sum is the same at any
	// number of workers.
	chunks := max(1, min(g.n, gradChunks, g.n*wg.tiles()/winogradChunkTiles))
	workers := workersFor(chunks)
	k.partial = grow(k.partial, chunks*16*co)
	sc := wg.scratch()
	k.buf = grow(k.buf, workers*sc.size())
	total := sumOverChunks(g.n, chunks, workers, k.partial, func(wk int, sum []float32, lo, hi int) {
		padded, v, dm, tiled := sc.parts(k.buf[wk*sc.size():])
		beta := float32(0)
		for i0 := lo; i0 < hi; i0 += wg.per {
			i1 := min(hi, i0+wg.per)
			tiles := (i1 - i0) * wg.tiles()
			wg.transformOutputGrads(dm, tiled, dy, i0, i1)
			// dV_ξ (T×C) = dM_ξ (T×O) · U_ξᵀ (O×C), then dx from dV.
			products(false, tiles, g.c, g.o, dm, k.ut, 0, v)
			wg.inputGrads(k.out, padded, v, i0, i1)
			// V over dV, then dU_ξ (C×O) += V_ξᵀ (C×T) · dM_ξ (T×O).
			wg.transformInputs(v, padded, x, i0, i1)
			products(true, tiles, g.o, g.c, v, dm, beta, sum)
			beta = 1
		}
	})
	k.dw = grow(k.dw, 9*co)
	linalg.WinogradKernelGrad(k.dw, total, g.o, g.c)
	return k.out, nil
}

// inputGrads writes dL/dx of images [i0, i1) into dx from their dV,
// adding the overlapping tiles up in padded.
func (wg winograd) inputGrads(dx, padded, dv []float32, i0, i1 int) {
	c, plane, row, run := wg.c, (i1-i0)*wg.tiles()*wg.c, wg.paddedRow(), wg.w*wg.c
	for i := i0; i < i1; i++ {
		clear(padded)
		for ty := range wg.th {
			at := ((i-i0)*wg.tiles() + ty*wg.tw) * c
			linalg.WinogradInputGrad(padded[2*ty*row:], row, dv[at:], plane, c, wg.tw)
		}
		img := dx[i*wg.inSize():]
		for y := range wg.h {
			copy(img[y*run:(y+1)*run], padded[(y+1)*row+c:])
		}
	}
}

// winogradGradWeight is dL/dw of a Winograd layer, which its
// winogradGradInput computed. Inputs: w, for the shape, and that op's
// output, to make it run after it.
type winogradGradWeight struct {
	src *winogradGradInput
}

func (k *winogradGradWeight) name() string     { return "conv2d (Winograd) kernel gradient" }
func (k *winogradGradWeight) inputs() []string { return []string{"kernel", "input gradient"} }

func (k *winogradGradWeight) shape(in []tensor.Shape) (tensor.Shape, error) {
	return in[0].Clone(), nil
}

func (k *winogradGradWeight) forward(_ [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	if len(k.src.dw) != shapes[0].TotalSize() {
		return nil, fmt.Errorf("%s: the input gradient has not run", k.name())
	}
	return k.src.dw, nil
}
