package network

// A tower's input layer followed by a ReLU and 2×2 max pooling, the first
// block of the default towers, as one op on channels-last output:
//
//	y = MaxPool2D(ReLU(Conv2D(x, w)), 2).
//
// Run as three ops, the convolution's output (at 28 px, 128 images ×
// 784 pixels × 32 channels, 12.8 MB; at 48 px colour 38 MB) is written to
// memory, read back by the pooling, read again by the pooling's gradient,
// whose own output as large is written and read again by the kernel
// gradient: four passes over a tensor larger than the caches, for
// arithmetic that takes a few instructions per element. Here the
// convolution of one image at a time goes to a scratch that stays in
// cache and is pooled at once, so only the pooled quarter is written, and
// with it a byte per pooled value, the window position of its maximum
// (linalg.ReLUMaxPool2x2RowsArg). The gradient routes dL/dy through those
// positions into a second scratch and adds that image's term of the
// kernel gradient from it while it is in cache.
//
// Where the output channels are a multiple of 32 on AVX-512, or of 16 on
// AVX2 (linalg.ProductsPoolFused), the forward pass does not write the
// convolution at all: linalg.ProductsReLUPool2x2Arg computes each
// pooling window's four pixels in registers from the image (padded, read
// in place, at stride 1; unfolded at stride 2) and writes the pooled
// pixel and its window position. Its kernel gradient (3×3 kernels,
// linalg.PooledGradFused) routes each pixel's gradient in registers as
// linalg.PooledGradProducts multiplies it, where the routing wrote a
// 28×28×32 scratch for the GEMM to read. BenchmarkConvPoolCL (64 images,
// one core, 12 rounds in turn), against the unfolding, the products and
// the pooling apart: the default tower's forward op at 28 px took 0.71 of
// the time (227-306 µs), its kernel gradient 0.56 (208-303 µs), the
// colour tower's forward at 48 px 0.78 and its gradient 0.79 (10 rounds).
//
// Each image's convolution, pooling, routing and terms are the same
// operations in the same order as the separate ops' (convolveCL,
// poolGeometry's reluPoolCLArg and reluPoolCLArgGrad, kernelGradIm2col),
// so the outputs and gradients are the separate ops' to the bit.

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
)

// convReLUPoolCL is the input layer conv2DLayout(x, w, pad, stride,
// false, true, _) followed by reluPoolCL. The convolution must be one
// that unfolds channel-first (convGeometry.useIm2col: K·C < 16).
func convReLUPoolCL(x, w *gorgonia.Node, pad, stride int, training bool) (*gorgonia.Node, error) {
	if err := checkPadStride(pad, stride); err != nil {
		return nil, err
	}
	return apply(&convPoolCL{conv: &conv2D{pad: pad, stride: stride, outCL: true}, training: training}, x, w)
}

// fusesConvPool says whether the conv layer i of a channels-last tower,
// on an input of c channels, runs with its ReLU and pooling as
// convReLUPoolCL: the tower's first layer (its input is channel-first),
// unfolded channel-first, and followed by a ReLU and a 2×2 pooling.
func (s Spec) fusesConvPool(i, c int) bool {
	l := s.Layers[i]
	return i == 0 && l.Kind == KindConv && l.kernel()*c < 16 && s.reluBeforePool(i+1) && s.Layers[i+2].poolSize() == 2
}

type convPoolCL struct {
	conv     *conv2D // inCL false, outCL true
	training bool

	out []float32
	arg []uint8   // a training pass's window positions, for the gradients
	buf []float32 // per worker: an image as it is read (fusedInput, or unfolded and its convolution)
	// wt is the kernel as K·K·C×O, for linalg.ProductsReLUPool2x2Arg, and
	// imageArg an image's window positions per worker where an inference
	// pass keeps none.
	wt       []float32
	imageArg []uint8
	taps     []int // fusedInput's
}

// fusedInput is how the fused kernels (linalg.ProductsReLUPool2x2Arg,
// PooledGradProducts) read layer g's input: at stride 1, the image's
// channels padded into a scratch of C planes of (H+2p)×(W+2p) floats and
// read in place, where its unfolding would write K² copies of each;
// otherwise its channel-first unfolding (im2col). taps and row are the
// kernels', n the scratch's floats, and fill writes one image into it.
// taps reuses buf.
func (g convGeometry) fusedInput(buf []int) (taps []int, row, n int, fill func(scratch, img []float32)) {
	taps = slices.Grow(buf[:0], g.colRows())[:g.colRows()]
	if g.stride == 1 {
		row = g.w + 2*g.pad
		plane := (g.h + 2*g.pad) * row
		for c := range g.c {
			for ki := range g.k {
				for kj := range g.k {
					taps[(c*g.k+ki)*g.k+kj] = c*plane + ki*row + kj
				}
			}
		}
		return taps, row, g.c * plane, func(padded, img []float32) {
			clear(padded[:g.c*plane])
			for c := range g.c {
				linalg.CopyRuns(padded[c*plane+g.pad*row+g.pad:], row, img[c*g.h*g.w:], g.w, g.w, g.h)
			}
		}
	}
	for t := range taps {
		taps[t] = t * g.colStride()
	}
	return taps, g.ow, g.colLen(), func(col, img []float32) { im2col(col, img, g) }
}

func (k *convPoolCL) name() string     { return "conv2d+relu+maxpool2d (channels-last)" }
func (k *convPoolCL) inputs() []string { return []string{"input", "kernel"} }

// geometry checks the input and kernel shapes and returns the geometry of
// the convolution and of the pooling of its output.
func (k *convPoolCL) geometry(xs, ws tensor.Shape) (convGeometry, poolGeometry, error) {
	g, err := k.conv.geometry(xs, ws)
	if err != nil {
		return g, poolGeometry{}, fmt.Errorf("%s: %w", k.name(), err)
	}
	if !g.useIm2col() {
		return g, poolGeometry{}, fmt.Errorf("%s: kernel %v on input %v has K·C >= 16; only a channel-first unfolding is fused", k.name(), ws, xs)
	}
	pg, err := clPoolGeometryOf(k.name(), tensor.Shape{g.n, g.o, g.oh, g.ow})
	return g, pg, err
}

func (k *convPoolCL) shape(in []tensor.Shape) (tensor.Shape, error) {
	_, pg, err := k.geometry(in[0], in[1])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{pg.n, pg.c, pg.oh, pg.ow}, nil
}

func (k *convPoolCL) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x, w := in[0], in[1]
	g, pg, err := k.geometry(shapes[0], shapes[1])
	if err != nil {
		return nil, err
	}
	k.out = grow(k.out, pg.n*pg.outSize())
	if k.training {
		k.arg = grow(k.arg, pg.n*pg.outSize())
	}
	inSize, outSize, per := g.inSize(), pg.outSize(), g.colLen()+g.outSize()
	fused := linalg.ProductsPoolFused(g.o)
	var (
		row  int
		fill func(scratch, img []float32)
	)
	if fused {
		k.taps, row, per, fill = g.fusedInput(k.taps)
		k.wt = grow(k.wt, g.o*g.colRows())
		linalg.Transpose(g.o, g.colRows(), w, g.colRows(), k.wt, g.o)
	}
	workers := workersFor(g.n)
	k.buf = grow(k.buf, workers*per)
	if fused && !k.training {
		k.imageArg = grow(k.imageArg, workers*outSize)
	}
	parallel.Range(g.n, workers, func(wk, lo, hi int) {
		b := k.buf[wk*per : (wk+1)*per]
		for i := lo; i < hi; i++ {
			y := k.out[i*outSize : (i+1)*outSize]
			if fused {
				// The pooled rows from the image in registers: the
				// convolution's pixels are never written.
				fill(b, x[i*inSize:(i+1)*inSize])
				var arg []uint8
				if k.training {
					arg = k.arg[i*outSize : (i+1)*outSize]
				} else {
					arg = k.imageArg[wk*outSize : (wk+1)*outSize]
				}
				linalg.ProductsReLUPool2x2Arg(y, arg, b, k.taps, row, k.wt, g.o, pg.ow, pg.oh)
				continue
			}
			col, z := b[:g.colLen()], b[g.colLen():]
			convolveCL(z, col, x[i*inSize:(i+1)*inSize], w, g)
			if k.training {
				pg.reluPoolCLArg(y, k.arg[i*outSize:(i+1)*outSize], z, g.ow*g.o)
				continue
			}
			pg.reluPoolCL(y, z, g.ow*g.o)
		}
	})
	return k.out, nil
}

// backward gives the kernel gradient from convPoolGradWeight, and the
// input's from the convolution's dL/dz, which convPoolRoute writes out for
// conv2DGradInput. A tower never asks for the input's (the input is the
// images), so its graph, pruned to the gradients it needs, runs only the
// former.
func (k *convPoolCL) backward(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	if !k.training {
		return nil, fmt.Errorf("%s: an inference layer has no gradient", k.name())
	}
	dw, err := apply(&convPoolGradWeight{fwd: k}, in[0], in[1], dy)
	if err != nil {
		return nil, err
	}
	dz, err := apply(&convPoolRoute{fwd: k}, in[0], in[1], dy)
	if err != nil {
		return nil, err
	}
	dx, err := k.conv.inputGrad(in[0].Shape(), in[1], dz)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw}, nil
}

// gradGeometry is the shape check of the gradient ops. Inputs: x, w,
// dL/dy; the window positions come from the forward pass (grads).
func (k *convPoolCL) gradGeometry(name string, in []tensor.Shape) (convGeometry, poolGeometry, error) {
	g, pg, err := k.geometry(in[0], in[1])
	if err != nil {
		return g, pg, fmt.Errorf("%s: %w", name, err)
	}
	if want := (tensor.Shape{pg.n, pg.c, pg.oh, pg.ow}); !in[2].Eq(want) {
		return g, pg, fmt.Errorf("%s: output gradient %v, want %v", name, in[2], want)
	}
	return g, pg, nil
}

// grads checks a gradient op's input shapes and returns the geometries
// with the window positions the forward pass kept, or an error if it has
// not run on these shapes.
func (k *convPoolCL) grads(name string, in []tensor.Shape) (convGeometry, poolGeometry, []uint8, error) {
	g, pg, err := k.gradGeometry(name, in)
	if err != nil {
		return g, pg, nil, err
	}
	if len(k.arg) != pg.n*pg.outSize() {
		return g, pg, nil, fmt.Errorf("%s: the forward pass has not run", name)
	}
	return g, pg, k.arg, nil
}

// convPoolGradWeight is dL/dw of convPoolCL. Inputs: x, w (for its
// shape), dL/dy.
type convPoolGradWeight struct {
	fwd *convPoolCL

	out     []float32
	partial []float32 // sumOverChunks'
	buf     []float32 // per worker: an image as it is read (fusedInput, or unfolded and dL/dz)
	taps    []int     // fusedInput's
}

func (k *convPoolGradWeight) name() string { return k.fwd.name() + " kernel gradient" }
func (k *convPoolGradWeight) inputs() []string {
	return []string{"input", "kernel", "output gradient"}
}

func (k *convPoolGradWeight) shape(in []tensor.Shape) (tensor.Shape, error) {
	if _, _, err := k.fwd.gradGeometry(k.name(), in); err != nil {
		return nil, err
	}
	return in[1].Clone(), nil
}

func (k *convPoolGradWeight) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x, dy := in[0], in[2]
	g, pg, arg, err := k.fwd.grads(k.name(), shapes)
	if err != nil {
		return nil, err
	}
	// As conv2DGradWeight, so the sums are its to the bit.
	chunks := max(1, min(g.n, gradChunks))
	k.out = grow(k.out, g.kernelSize())
	inSize, outSize := g.inSize(), pg.outSize()
	if linalg.PooledGradFused(g.colRows(), g.o) {
		// Each image's term with its routed gradient made in registers,
		// never written (linalg.PooledGradProducts), from the image as the
		// forward pass read it.
		taps, row, n, fill := g.fusedInput(k.taps)
		k.taps = taps
		kernelGradTerms(k.out, &k.partial, &k.buf, max(0, n-g.colLen()), g, chunks, workersFor(chunks), func(i int, col, _, sum []float32, beta float32) {
			fill(col[:n], x[i*inSize:(i+1)*inSize])
			at := i * outSize
			linalg.PooledGradProducts(sum, beta, col[:n], taps, row, dy[at:at+outSize], arg[at:at+outSize], g.oh, g.ow, g.o)
		})
		return k.out, nil
	}
	kernelGradIm2col(k.out, &k.partial, &k.buf, g.outSize(), g, chunks, workersFor(chunks), func(i int, col, dz []float32) []float32 {
		im2col(col, x[i*inSize:(i+1)*inSize], g)
		at := i * outSize
		pg.reluPoolCLArgGrad(dz, g.ow*g.o, arg[at:at+outSize], dy[at:at+outSize])
		return dz
	}, true)
	return k.out, nil
}

// convPoolRoute is dL/dz, z the convolution inside convPoolCL, for the
// input gradient. Inputs: x and w (for their shapes), dL/dy.
type convPoolRoute struct {
	fwd *convPoolCL

	out []float32
}

func (k *convPoolRoute) name() string { return k.fwd.name() + " routing" }
func (k *convPoolRoute) inputs() []string {
	return []string{"input", "kernel", "output gradient"}
}

func (k *convPoolRoute) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, _, err := k.fwd.gradGeometry(k.name(), in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.n, g.o, g.oh, g.ow}, nil
}

func (k *convPoolRoute) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	dy := in[2]
	g, pg, arg, err := k.fwd.grads(k.name(), shapes)
	if err != nil {
		return nil, err
	}
	k.out = grow(k.out, g.n*g.outSize())
	outSize, zSize := pg.outSize(), g.outSize()
	parallel.Range(g.n, workersFor(g.n), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			at := i * outSize
			pg.reluPoolCLArgGrad(k.out[i*zSize:(i+1)*zSize], g.ow*g.o, arg[at:at+outSize], dy[at:at+outSize])
		}
	})
	return k.out, nil
}

// convReLUPoolWinograd is conv2DLayout(x, w, pad, stride, true, true,
// true) followed by reluPoolCL, as one op, where the convolution runs in
// the Winograd form; fused is false, and nothing is built, where it does
// not. Each image's output is pooled as it leaves the output transform,
// while it is in cache, and its gradient routed from the pooled one into
// the scratch the output gradient's transform reads, so the
// convolution's output and its gradient never go through memory: the
// gradient routes through the window positions the pooling kept
// (linalg.ReLUMaxPool2x2RowsArg). cf: the pooled output is channel-first
// (conv2D.poolCF), for a dense layer after it.
func convReLUPoolWinograd(x, w *gorgonia.Node, pad, stride int, cf bool) (y *gorgonia.Node, fused bool, err error) {
	k := &conv2D{pad: pad, stride: stride, inCL: true, outCL: true, winograd: true, pool: true, poolCF: cf}
	g, err := k.geometry(x.Shape(), w.Shape())
	if err != nil {
		return nil, false, nil
	}
	if _, err := k.pooling(g); err != nil { // not a Winograd layer, or no pooling fits
		return nil, false, nil
	}
	y, err = apply(k, x, w)
	return y, true, err
}
