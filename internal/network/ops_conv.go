package network

// Convolution (cross-correlation, as in PyTorch) with zero padding p on
// every side, stride s and no bias: x is N×C×H×W, w is O×C×K×K, and
//
//	y[n,o,i,j] = Σ_{c,a,b} w[o,c,a,b] · x[n, c, i·s+a-p, j·s+b-p]
//
// (zero outside the image) is N×O×OH×OW with OH = (H+2p-K)/s + 1. Each
// image is unfolded into an (OH·OW)×(K·K·C) matrix, a row per output pixel
// (im2row, see im2col.go), so the layer is a matrix product per group of
// images through internal/linalg, and
//
//	dL/dx_n = row2im(dL/dy_nᵀ · W),   dL/dW = Σ_n (rows_nᵀ · dL/dy_nᵀ)ᵀ,
//
// row2im being the adjoint of im2row (it adds each entry back onto the
// pixel it came from) and W the kernel seen as O×(K·K·C).

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
)

// Conv2D is a stride-1 convolution with zero padding pad: x is N×C×H×W, w
// is O×C×K×K, and the result is N×O×(H+2pad-K+1)×(W+2pad-K+1).
func Conv2D(x, w *gorgonia.Node, pad int) (*gorgonia.Node, error) {
	return Conv2DStride(x, w, pad, 1)
}

// Conv2DStride is a convolution that moves its window stride pixels at a
// time: the output is N×O×((H+2pad-K)/stride+1)×((W+2pad-K)/stride+1).
func Conv2DStride(x, w *gorgonia.Node, pad, stride int) (*gorgonia.Node, error) {
	return conv2DLayout(x, w, pad, stride, false, false, false)
}

// conv2DLayout is Conv2DStride on data laid out channels-last (N×H×W×C,
// see channelsLast in graph.go) when inCL or outCL say so, for the input
// and the output respectively. Shapes stay N×C×H×W whatever the layout.
// winograd lets a 3×3 convolution that can run in the Winograd form
// (useWinograd) do so.
func conv2DLayout(x, w *gorgonia.Node, pad, stride int, inCL, outCL, winograd bool) (*gorgonia.Node, error) {
	return applyConv(&conv2D{pad: pad, stride: stride, inCL: inCL, outCL: outCL, winograd: winograd}, x, w)
}

// applyConv applies convolution k to x with kernel w, once its padding
// and stride are checked.
func applyConv(k *conv2D, x, w *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkPadStride(k.pad, k.stride); err != nil {
		return nil, err
	}
	return apply(k, x, w)
}

// checkPadStride refuses a padding or stride no convolution has.
func checkPadStride(pad, stride int) error {
	if pad < 0 || stride < 1 {
		return fmt.Errorf("conv2d: padding %d and stride %d, want pad >= 0 and stride >= 1", pad, stride)
	}
	return nil
}

// convGeometry is the shape bookkeeping of one convolution.
type convGeometry struct {
	n, c, h, w        int // input
	o, k, pad, stride int // kernel
	oh, ow            int // output plane
}

func (g convGeometry) inSize() int   { return g.c * g.h * g.w }    // one input image
func (g convGeometry) colRows() int  { return g.c * g.k * g.k }    // one patch
func (g convGeometry) outPlane() int { return g.oh * g.ow }        // one output channel
func (g convGeometry) outSize() int  { return g.o * g.outPlane() } // one output image
func (g convGeometry) colSize() int  { return g.colRows() * g.outPlane() }

// colStride is the row stride of the channel-first unfolded matrix (see
// im2col): its rows are a plane each (planeStride). A matrix product
// reads 8 of them at once, or one value from each of K·K·C: a 64×64 input
// layer's 32×32 plane is 4 KiB.
func (g convGeometry) colStride() int { return planeStride(g.outPlane()) }

// planeStride is the distance between planes of n floats that are read or
// written together, the rows of an unfolded matrix or the planes of a
// group's transformed Winograd tiles: n, and 16 floats more when n is a
// multiple of 1 KiB. Planes whole kilobytes apart fall on a few of L1's
// sets and evict each other: at stride 2, a 32×32×32 input's 64 tiles
// made Winograd planes of exactly 8 KiB, whose 25 store streams took the
// layer from faster than the unfolded form to 25% slower.
func planeStride(n int) int {
	if n%256 == 0 {
		return n + 16
	}
	return n
}

// colLen is the length of one image's channel-first unfolded matrix.
func (g convGeometry) colLen() int { return g.colRows() * g.colStride() }
func (g convGeometry) kernelSize() int {
	return g.o * g.colRows()
}

// conv2D is the forward pass: im2col and a matrix product per image.
type conv2D struct {
	pad, stride int
	// inCL and outCL: the input and output are channels-last. Their
	// gradients are in the same layouts.
	inCL, outCL bool
	// winograd: run in the Winograd form where the geometry allows
	// (conv_winograd.go), it and its gradients.
	winograd bool
	// tile, if not 0, is the output tile side (2 or 4) of a stride-1
	// Winograd form in place of winogradTile's choice, and at stride 2
	// takes the Winograd form where stride2Pays would not: tests and
	// benchmarks compare the forms with it.
	tile int
	// pool: a ReLU and 2×2 max pooling follow, done as each image's
	// output leaves the Winograd transform (convReLUPoolWinograd); out
	// is then the pooled output, and arg its window positions, kept for
	// the gradient.
	pool bool
	// poolCF: the pooled output is channel-first, for a dense layer,
	// each image transposed from a scratch while it is in cache rather
	// than by a layout op's pass over the batch.
	poolCF bool
	// poolApart keeps the pooling out of the F(4×4) transforms where the
	// CPU could run them fused (winograd.fused): tests and benchmarks
	// compare the two with it.
	poolApart bool
	// bnGradApart keeps the gradient ops from computing the input
	// gradient of a batch norm after the layer where they read it
	// (bnAfter), for tests that compare.
	bnGradApart bool
	// shortcut, on a residual block's first convolution, hands it the
	// projection's output gradient, whose input gradient its own adds in.
	shortcut *shortcutGrad

	out []float32
	arg []uint8
	wt  []float32 // the kernel as (K·K·C)×O, or its Winograd transform U (planes of C×O)
	wo  []float32 // the Winograd transform as planes of O×C
	buf []float32 // per worker: a rowScratch, or a Winograd layer's winogradScratch
}

func (k *conv2D) name() string     { return "conv2d" }
func (k *conv2D) inputs() []string { return []string{"input", "kernel"} }
func (k *conv2D) String() string {
	return fmt.Sprintf("Conv2D{pad=%d,stride=%d,inCL=%t,outCL=%t,winograd=%t,pool=%t,poolCF=%t}", k.pad, k.stride, k.inCL, k.outCL, k.winograd, k.pool, k.poolCF)
}

// useWinograd says whether this layer runs in the Winograd form.
func (k *conv2D) useWinograd(g convGeometry) bool {
	if !k.winograd || !g.useWinograd(k.inCL, k.outCL) {
		return false
	}
	_, ok := winogradForm(g, k.tile)
	return ok
}

// geometry checks an input and kernel shape against each other.
func (k *conv2D) geometry(xs, ws tensor.Shape) (convGeometry, error) {
	if len(xs) != 4 || len(ws) != 4 {
		return convGeometry{}, fmt.Errorf("conv2d: input %v and kernel %v must both be 4-D (N×C×H×W, O×C×K×K)", xs, ws)
	}
	g := convGeometry{n: xs[0], c: xs[1], h: xs[2], w: xs[3], o: ws[0], k: ws[2], pad: k.pad, stride: max(k.stride, 1)}
	switch {
	case ws[1] != g.c:
		return g, fmt.Errorf("conv2d: kernel %v has %d input channels, input %v has %d", ws, ws[1], xs, g.c)
	case ws[2] != ws[3]:
		return g, fmt.Errorf("conv2d: kernel %v is not square", ws)
	case g.k < 1 || g.o < 1:
		return g, fmt.Errorf("conv2d: empty kernel %v", ws)
	case k.pad < 0:
		return g, fmt.Errorf("conv2d: negative padding %d", k.pad)
	case g.h+2*g.pad < g.k || g.w+2*g.pad < g.k:
		return g, fmt.Errorf("conv2d: kernel %v with pad %d does not fit input %v", ws, g.pad, xs)
	case k.inCL && g.useIm2col():
		return g, fmt.Errorf("conv2d: a channels-last input needs K·C >= 16, have kernel %v on input %v", ws, xs)
	}
	g.oh = convOut(g.h, g.k, g.pad, g.stride)
	g.ow = convOut(g.w, g.k, g.pad, g.stride)
	return g, nil
}

func (k *conv2D) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, err := k.geometry(in[0], in[1])
	if err != nil {
		return nil, err
	}
	if k.pool {
		pg, err := k.pooling(g)
		if err != nil {
			return nil, err
		}
		return tensor.Shape{pg.n, pg.c, pg.oh, pg.ow}, nil
	}
	return tensor.Shape{g.n, g.o, g.oh, g.ow}, nil
}

// pooling is the geometry of a pooled layer's pooling, checked.
func (k *conv2D) pooling(g convGeometry) (poolGeometry, error) {
	if !k.useWinograd(g) {
		return poolGeometry{}, fmt.Errorf("conv2d: only a Winograd layer pools its output, not a %dx%d kernel at stride %d on %d channels", g.k, g.k, g.stride, g.c)
	}
	return clPoolGeometryOf("conv2d", tensor.Shape{g.n, g.o, g.oh, g.ow})
}

func (k *conv2D) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x, w := in[0], in[1]
	g, err := k.geometry(shapes[0], shapes[1])
	if err != nil {
		return nil, err
	}
	if k.pool {
		pg, err := k.pooling(g)
		if err != nil {
			return nil, err
		}
		k.arg, k.out = grow(k.arg, pg.n*pg.outSize()), grow(k.out, pg.n*pg.outSize())
		k.forwardWinograd(x, w, g)
		return k.out, nil
	}
	k.out = grow(k.out, g.n*g.outSize())
	if g.useIm2col() {
		k.forwardIm2col(x, w, g)
		return k.out, nil
	}
	if k.useWinograd(g) {
		k.forwardWinograd(x, w, g)
		return k.out, nil
	}
	k.wt = grow(k.wt, g.kernelSize())
	kernelRows(k.wt, w, g, true)
	width, plane, outSize, inSize := g.colRows(), g.outPlane(), g.outSize(), g.inSize()
	k.buf = eachGroup(g, k.inCL, k.outCL, k.buf, func(i0, i1 int, hwc, rows, outT []float32) {
		for i := i0; i < i1; i++ {
			unfold(rows[(i-i0)*plane*width:], hwc, x[i*inSize:(i+1)*inSize], g, k.inCL)
		}
		if k.outCL {
			outT = k.out[i0*outSize : i1*outSize] // pixels×O is channels-last
		}
		// outᵀ (pixels×O) = rows (pixels×K·K·C) · Wᵀ (K·K·C×O)
		linalg.Gemm(false, false, (i1-i0)*plane, g.o, width, 1, rows, width, k.wt, g.o, 0, outT, g.o)
		if k.outCL {
			return
		}
		for i := i0; i < i1; i++ {
			linalg.Transpose(plane, g.o, outT[(i-i0)*plane*g.o:], g.o, k.out[i*outSize:], plane)
		}
	})
	return k.out, nil
}

func (k *conv2D) backward(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	xs, ws := in[0].Shape(), in[1].Shape()
	if g, err := k.geometry(xs, ws); err == nil && k.useWinograd(g) {
		gi := &winogradGradInput{fwd: k}
		args := gorgonia.Nodes{in[1], dy, in[0]}
		// dy has no other reader: this op reads it for both gradients,
		// and a layer output with several readers would get their sum.
		if bn := k.bnAfter(dy); bn != nil && !k.pool {
			gi.bn = bn
			args = append(gorgonia.Nodes{in[1], bn.args[0], in[0]}, bn.args[1:]...)
		}
		if sg := k.shortcut; sg != nil {
			if sg.dy == nil {
				return nil, fmt.Errorf("the projection's gradient has not been built")
			}
			gi.proj = sg.proj
			args = append(args, sg.w, sg.dy)
		}
		dx, err := apply(gi, args...)
		if err != nil {
			return nil, err
		}
		dw, err := apply(&winogradGradWeight{src: gi}, in[1], dx)
		if err != nil {
			return nil, err
		}
		return gorgonia.Nodes{dx, dw}, nil
	}
	if k.shortcut != nil {
		return nil, fmt.Errorf("only the Winograd form adds a projection's input gradient")
	}
	dx, err := k.inputGrad(xs, in[1], dy)
	if err != nil {
		return nil, err
	}
	grad := &conv2DGradWeight{fwd: k, k: ws[2]}
	var dw *gorgonia.Node
	if bn := k.bnGradTakenIn(in[0], in[1], dy); bn != nil {
		dw, err = apply(&convBNGradWeight{grad: grad, bn: bn}, append(gorgonia.Nodes{in[0]}, bn.args...)...)
	} else {
		dw, err = apply(grad, in[0], dy)
	}
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw}, nil
}

// inputGrad is the unfolded form's dL/dx, for an input of shape xs, from
// the kernel w and dL/dy.
func (k *conv2D) inputGrad(xs tensor.Shape, w, dy *gorgonia.Node) (*gorgonia.Node, error) {
	// The last window may stop short of the far edge when the stride does
	// not divide it; the input gradient needs that remainder to know H and W.
	ws := w.Shape()
	rem := [2]int{(xs[2] + 2*k.pad - ws[2]) % k.stride, (xs[3] + 2*k.pad - ws[3]) % k.stride}
	return apply(&conv2DGradInput{fwd: k, rem: rem}, w, dy)
}

// conv2DGradInput computes dL/dx = col2im(Wᵀ · dL/dy) image by image.
// Inputs: w, dL/dy. H and W follow from the gradient's shape, given the
// remainder rem the strided windows left uncovered in the forward input
// (always 0 at stride 1).
type conv2DGradInput struct {
	fwd *conv2D
	rem [2]int

	out []float32
	wr  []float32 // the kernel as O×(K·K·C)
	buf []float32 // per worker: a padded image, a group's rows and its dL/dyᵀ
}

func (k *conv2DGradInput) name() string     { return "conv2d input gradient" }
func (k *conv2DGradInput) inputs() []string { return []string{"kernel", "output gradient"} }

func (k *conv2DGradInput) geometry(ws, gs tensor.Shape) (convGeometry, error) {
	if len(ws) != 4 || len(gs) != 4 {
		return convGeometry{}, fmt.Errorf("%s: kernel %v and output gradient %v must be 4-D", k.name(), ws, gs)
	}
	if gs[1] != ws[0] {
		return convGeometry{}, fmt.Errorf("%s: output gradient %v has %d channels, kernel %v has %d", k.name(), gs, gs[1], ws, ws[0])
	}
	s, p := max(k.fwd.stride, 1), k.fwd.pad
	xs := tensor.Shape{gs[0], ws[1], (gs[2]-1)*s + ws[2] - 2*p + k.rem[0], (gs[3]-1)*s + ws[3] - 2*p + k.rem[1]}
	g, err := k.fwd.geometry(xs, ws)
	if err != nil {
		return g, fmt.Errorf("%s: %w", k.name(), err)
	}
	return g, nil
}

func (k *conv2DGradInput) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, err := k.geometry(in[0], in[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.n, g.c, g.h, g.w}, nil
}

func (k *conv2DGradInput) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	w, dy := in[0], in[1]
	g, err := k.geometry(shapes[0], shapes[1])
	if err != nil {
		return nil, err
	}
	k.out = grow(k.out, g.n*g.inSize())
	if g.useIm2col() {
		k.forwardIm2col(w, dy, g)
		return k.out, nil
	}
	k.wr = grow(k.wr, g.kernelSize())
	kernelRows(k.wr, w, g, false)
	width, plane, outSize, inSize := g.colRows(), g.outPlane(), g.outSize(), g.inSize()
	k.buf = eachGroup(g, k.fwd.inCL, k.fwd.outCL, k.buf, func(i0, i1 int, hwc, rows, dyT []float32) {
		if k.fwd.outCL {
			dyT = dy[i0*outSize : i1*outSize]
		} else {
			for i := i0; i < i1; i++ {
				linalg.Transpose(g.o, plane, dy[i*outSize:], plane, dyT[(i-i0)*plane*g.o:], g.o)
			}
		}
		// drows (pixels×K·K·C) = dL/dyᵀ (pixels×O) · W (O×K·K·C)
		linalg.Gemm(false, false, (i1-i0)*plane, width, g.o, 1, dyT, g.o, k.wr, width, 0, rows, width)
		for i := i0; i < i1; i++ {
			img := k.out[i*inSize : (i+1)*inSize]
			if k.fwd.inCL {
				clear(img)
				row2imCL(img, rows[(i-i0)*plane*width:], g)
				continue
			}
			clear(hwc)
			row2im(hwc, rows[(i-i0)*plane*width:], g)
			fromPaddedHWC(img, hwc, g)
		}
	})
	return k.out, nil
}

// unfold writes the rows of one image (see im2row), channels-last (cl)
// or channel-first, using hwc as scratch for the latter's padded copy.
func unfold(rows, hwc, img []float32, g convGeometry, cl bool) {
	if cl {
		im2rowCL(rows, img, g)
		return
	}
	toPaddedHWC(hwc, img, g)
	im2row(rows, hwc, g)
}

// gradChunks is how many fixed slices of the batch the kernel gradient
// sums separately. The slices depend on the batch size alone, never on the
// number of workers, and their sums are added in slice order, so the
// gradient is the same to the bit at any GOMAXPROCS.
const gradChunks = 16

// conv2DGradWeight computes dL/dW = Σ_i dL/dy_i · col_iᵀ. Inputs: x,
// dL/dy; k is the kernel side. It unfolds x again, a group of images at a
// time, into a per-worker buffer; each chunk of the batch sums into its own
// (K·K·C)×O partial, and the partials are added in chunk order.
type conv2DGradWeight struct {
	fwd *conv2D
	k   int

	out     []float32
	partial []float32 // (K·K·C)×O sums of chunks (sumOverChunks)
	buf     []float32 // per worker: a padded image, a group's rows and its dL/dyᵀ
}

func (k *conv2DGradWeight) name() string     { return "conv2d kernel gradient" }
func (k *conv2DGradWeight) inputs() []string { return []string{"input", "output gradient"} }

func (k *conv2DGradWeight) geometry(xs, gs tensor.Shape) (convGeometry, error) {
	if len(xs) != 4 || len(gs) != 4 {
		return convGeometry{}, fmt.Errorf("%s: input %v and output gradient %v must be 4-D", k.name(), xs, gs)
	}
	if gs[0] != xs[0] {
		return convGeometry{}, fmt.Errorf("%s: output gradient %v and input %v differ in batch size", k.name(), gs, xs)
	}
	g, err := k.fwd.geometry(xs, tensor.Shape{gs[1], xs[1], k.k, k.k})
	if err != nil {
		return g, fmt.Errorf("%s: %w", k.name(), err)
	}
	if g.oh != gs[2] || g.ow != gs[3] {
		return g, fmt.Errorf("%s: output gradient %v does not match input %v with a %dx%d kernel, pad %d and stride %d", k.name(), gs, xs, k.k, k.k, g.pad, g.stride)
	}
	return g, nil
}

func (k *conv2DGradWeight) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, err := k.geometry(in[0], in[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.o, g.c, g.k, g.k}, nil
}

func (k *conv2DGradWeight) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x, dy := in[0], in[1]
	g, err := k.geometry(shapes[0], shapes[1])
	if err != nil {
		return nil, err
	}
	size := g.kernelSize()
	chunks := max(1, min(g.n, gradChunks))
	workers := workersFor(chunks)
	k.out = grow(k.out, size)
	if g.useIm2col() {
		k.forwardIm2col(x, dy, g, chunks, workers)
		return k.out, nil
	}
	width, plane, outSize, inSize := g.colRows(), g.outPlane(), g.outSize(), g.inSize()
	sc := newRowScratch(g, k.fwd.inCL, k.fwd.outCL)
	k.buf = grow(k.buf, workers*sc.size())
	total := sumOverChunks(g.n, chunks, workers, size, &k.partial, func(wk int, sum []float32, lo, hi int) {
		hwc, rows, dyT := sc.parts(k.buf[wk*sc.size():])
		beta := float32(0)
		for i0 := lo; i0 < hi; i0 += sc.per {
			i1 := min(hi, i0+sc.per)
			for i := i0; i < i1; i++ {
				unfold(rows[(i-i0)*plane*width:], hwc, x[i*inSize:(i+1)*inSize], g, k.fwd.inCL)
				if !k.fwd.outCL {
					linalg.Transpose(g.o, plane, dy[i*outSize:], plane, dyT[(i-i0)*plane*g.o:], g.o)
				}
			}
			if k.fwd.outCL {
				dyT = dy[i0*outSize : i1*outSize]
			}
			// sum (K·K·C×O) += rowsᵀ (K·K·C×pixels) · dL/dyᵀ (pixels×O)
			linalg.Gemm(true, false, width, g.o, (i1-i0)*plane, 1, rows, width, dyT, g.o, beta, sum, g.o)
			beta = 1
		}
	})
	rowsToKernel(k.out, total, g)
	return k.out, nil
}

// sumOverChunks computes a sum over the batch's n images in fixed chunks:
// fn(worker, sum, lo, hi) writes into sum (size floats, beta 0 first) the
// partial sum over images [lo, hi) of one chunk, and the partials are
// added in chunk order into the first, which is returned. Chunk bounds
// depend on n and chunks alone, so the result is the same to the bit at
// any number of workers. One worker adds each chunk's partial as soon as
// it has it, through one scratch partial that stays in cache; several run
// their chunks in parallel and keep every partial in *partial until all
// are done. *partial is grown to what the workers need.
func sumOverChunks(n, chunks, workers, size int, partial *[]float32, fn func(worker int, sum []float32, lo, hi int)) []float32 {
	run := func(wk, c int, sum []float32) {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		if lo == hi {
			clear(sum)
			return
		}
		fn(wk, sum, lo, hi)
	}
	if workers <= 1 {
		*partial = grow(*partial, min(chunks, 2)*size)
		total := (*partial)[:size]
		run(0, 0, total)
		for c := 1; c < chunks; c++ {
			scratch := (*partial)[size : 2*size]
			run(0, c, scratch)
			linalg.Add(total, scratch)
		}
		return total
	}
	*partial = grow(*partial, chunks*size)
	p := *partial
	parallel.Range(chunks, workers, func(wk, clo, chi int) {
		for c := clo; c < chi; c++ {
			run(wk, c, p[c*size:(c+1)*size])
		}
	})
	total := p[:size]
	sumChunks(total, p, chunks)
	return total
}

// sumChunks adds chunks 1.. of partial (each len(total) long, chunk 0
// being total itself) into total, in chunk order for every element, so
// the sum does not depend on how the elements are split among workers. A
// block of total takes every chunk while it is in L1, rather than each
// chunk taking all of total, which made 15 passes over it at 16 chunks.
func sumChunks(total, partial []float32, chunks int) {
	size := len(total)
	workers := 1
	if size*(chunks-1) >= minParallelElems {
		workers = workersFor(size / 1024)
	}
	parallel.Range(size, workers, func(_, lo, hi int) {
		for b := lo; b < hi; b += sumChunksBlock {
			e := min(hi, b+sumChunksBlock)
			for c := 1; c < chunks; c++ {
				linalg.Add(total[b:e], partial[c*size+b:c*size+e])
			}
		}
	})
}

// sumChunksBlock is the floats of total that sumChunks adds every chunk
// to at a time: 8 KiB.
const sumChunksBlock = 2048

// The channel-first forms (see useIm2col): one image at a time, unfolded
// into a (C·K·K)×(OH·OW) matrix.

func (k *conv2D) forwardIm2col(x, w []float32, g convGeometry) {
	rows, plane, ld, colSize, outSize, inSize := g.colRows(), g.outPlane(), g.colStride(), g.colLen(), g.outSize(), g.inSize()
	workers := workersFor(g.n)
	k.buf = grow(k.buf, workers*colSize)
	parallel.Range(g.n, workers, func(wk, lo, hi int) {
		col := k.buf[wk*colSize : (wk+1)*colSize]
		for i := lo; i < hi; i++ {
			if k.outCL {
				convolveCL(k.out[i*outSize:(i+1)*outSize], col, x[i*inSize:(i+1)*inSize], w, g)
				continue
			}
			im2col(col, x[i*inSize:(i+1)*inSize], g)
			// out_i (O×OH·OW) = W (O×C·K·K) · col_i (C·K·K×OH·OW)
			linalg.Gemm(false, false, g.o, plane, rows, 1, w, rows, col, ld,
				0, k.out[i*outSize:(i+1)*outSize], plane)
		}
	})
}

// convolveCL writes the channels-last convolution out (OH·OW×O) of one
// channel-first image img, unfolded into col, a colLen scratch.
func convolveCL(out, col, img, w []float32, g convGeometry) {
	im2col(col, img, g)
	// out (OH·OW×O) = colᵀ · Wᵀ
	linalg.Gemm(true, true, g.outPlane(), g.o, g.colRows(), 1, col, g.colStride(), w, g.colRows(), 0, out, g.o)
}

func (k *conv2DGradInput) forwardIm2col(w, dy []float32, g convGeometry) {
	rows, plane, ld, colSize, outSize, inSize := g.colRows(), g.outPlane(), g.colStride(), g.colLen(), g.outSize(), g.inSize()
	workers := workersFor(g.n)
	k.buf = grow(k.buf, workers*colSize)
	parallel.Range(g.n, workers, func(wk, lo, hi int) {
		col := k.buf[wk*colSize : (wk+1)*colSize]
		for i := lo; i < hi; i++ {
			if k.fwd.outCL {
				// dcol (C·K·K×OH·OW) = Wᵀ · dy_iᵀ, dy_i being OH·OW×O
				linalg.Gemm(true, true, rows, plane, g.o, 1,
					w, rows, dy[i*outSize:(i+1)*outSize], g.o,
					0, col, ld)
			} else {
				// dcol (C·K·K×OH·OW) = Wᵀ · dy_i (O×OH·OW)
				linalg.Gemm(true, false, rows, plane, g.o, 1,
					w, rows, dy[i*outSize:(i+1)*outSize], plane,
					0, col, ld)
			}
			img := k.out[i*inSize : (i+1)*inSize]
			clear(img)
			col2im(img, col, g)
		}
	})
}

func (k *conv2DGradWeight) forwardIm2col(x, dy []float32, g convGeometry, chunks, workers int) {
	outSize, inSize := g.outSize(), g.inSize()
	kernelGradIm2col(k.out, &k.partial, &k.buf, 0, g, chunks, workers, func(i int, col, _ []float32) []float32 {
		im2col(col, x[i*inSize:(i+1)*inSize], g)
		return dy[i*outSize : (i+1)*outSize]
	}, k.fwd.outCL)
}

// kernelGradIm2col writes into out (O×C×K×K) the kernel gradient of a
// convolution in the channel-first unfolded form, summed as
// sumOverChunks sums, from image i's output gradient that image(i, col,
// scratch) returns after unfolding image i into col. Each worker has a
// colLen col and extra floats of scratch in *buf; partial is
// sumOverChunks'. outCL: the gradients are channels-last.
func kernelGradIm2col(out []float32, partial, buf *[]float32, extra int, g convGeometry, chunks, workers int,
	image func(i int, col, scratch []float32) []float32, outCL bool) {
	rows, plane, ld := g.colRows(), g.outPlane(), g.colStride()
	kernelGradTerms(out, partial, buf, extra, g, chunks, workers, func(i int, col, scratch, sum []float32, beta float32) {
		dyi := image(i, col, scratch)
		if outCL {
			// sumᵀ (C·K·K×O) += col_i (C·K·K×OH·OW) · dy_i (OH·OW×O)
			linalg.Gemm(false, false, rows, g.o, plane, 1, col, ld, dyi, g.o, beta, sum, g.o)
			return
		}
		// sumᵀ (C·K·K×O) += col_i · dy_iᵀ, dy_i being O×OH·OW
		linalg.Gemm(false, true, rows, g.o, plane, 1, col, ld, dyi, plane, beta, sum, g.o)
	})
}

// kernelGradTerms is kernelGradIm2col with each image's term its own:
// term(i, col, scratch, sum, beta) sets the transposed sum (C·K·K×O) to
// beta·sum plus image i's term, beta being 0 for the first image of a
// chunk.
func kernelGradTerms(out []float32, partial, buf *[]float32, extra int, g convGeometry, chunks, workers int,
	term func(i int, col, scratch, sum []float32, beta float32)) {
	rows, per := g.colRows(), g.colLen()+extra
	*buf = grow(*buf, workers*per)
	// The gradient is summed transposed, (C·K·K)×O: an input layer has 9
	// to 27 rows and 32 or more filters, which fill the kernel's 8×32
	// tiles twice as well as the 32×9 of the untransposed product.
	total := sumOverChunks(g.n, chunks, workers, g.kernelSize(), partial, func(wk int, sum []float32, lo, hi int) {
		b := (*buf)[wk*per : (wk+1)*per]
		col, scratch := b[:g.colLen()], b[g.colLen():]
		for i := lo; i < hi; i++ {
			beta := float32(1)
			if i == lo {
				beta = 0
			}
			term(i, col, scratch, sum, beta)
		}
	})
	linalg.Transpose(rows, g.o, total, g.o, out, rows)
}
