package network

// Max pooling of ReLU outputs in 2×2 windows on channels-last activations
// (N×H×W×C in memory under an N×C×H×W shape, see Spec.channelsLast):
//
//	y[n,oy,ox,c] = max(0, max_{a,b<2} x[n, 2oy+a, 2ox+b, c]),
//
// in two steps of pair maxima, each a vector maximum of two runs of
// memory: neighbouring pixels of a row are neighbouring runs of C floats,
// giving h[n, y, ox, :] = max(x[n,y,2ox,:], x[n,y,2ox+1,:]), and the two
// rows of a window are neighbouring runs of OW·C floats of h. The gradient
// takes the steps back (linalg.RouteRuns): dL/dy goes to the row of h that
// holds y, then to the pixel of that pair that holds it, the first on a
// tie in both, which is the first maximum in row-major window order, as
// MaxPool2D chooses; a window whose y is 0 gets nothing, as ReLU's
// gradient would. A row or column left over by an odd side gets no
// gradient (PyTorch's floor mode).

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// reluPoolCL is MaxPool2D(ReLU(x), 2) on channels-last x, for training or
// (inference) without a gradient.
func reluPoolCL(x *gorgonia.Node, training bool) (*gorgonia.Node, error) {
	return apply(&reluPoolCLKernel{training: training}, x)
}

// clPoolGeometry is a 2×2 pooling of N images of H×W×C.
type clPoolGeometry struct{ n, c, h, w, oh, ow int }

func (g clPoolGeometry) inSize() int  { return g.h * g.w * g.c }
func (g clPoolGeometry) hSize() int   { return 2 * g.oh * g.ow * g.c } // one image's pair maxima
func (g clPoolGeometry) outSize() int { return g.oh * g.ow * g.c }

func clPoolGeometryOf(name string, xs tensor.Shape) (clPoolGeometry, error) {
	if len(xs) != 4 {
		return clPoolGeometry{}, fmt.Errorf("%s: input %v must be 4-D (N×C×H×W)", name, xs)
	}
	g := clPoolGeometry{n: xs[0], c: xs[1], h: xs[2], w: xs[3], oh: xs[2] / 2, ow: xs[3] / 2}
	if g.n < 1 || g.c < 1 || g.oh < 1 || g.ow < 1 {
		return g, fmt.Errorf("%s: window 2×2 larger than input %v", name, xs)
	}
	return g, nil
}

type reluPoolCLKernel struct {
	training bool

	out []float32
	// h holds the batch's pair maxima in training, kept for the gradient
	// (hOf is the input they came from), and per-worker scratch in
	// inference.
	h, hOf []float32
}

func (k *reluPoolCLKernel) name() string     { return "relu+maxpool2d (channels-last)" }
func (k *reluPoolCLKernel) inputs() []string { return []string{"input"} }

func (k *reluPoolCLKernel) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, err := clPoolGeometryOf(k.name(), in[0])
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.n, g.c, g.oh, g.ow}, nil
}

func (k *reluPoolCLKernel) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x := in[0]
	g, err := clPoolGeometryOf(k.name(), shapes[0])
	if err != nil {
		return nil, err
	}
	k.out = grow(k.out, g.n*g.outSize())
	workers := workersFor(g.n)
	if k.training {
		k.h = grow(k.h, g.n*g.hSize())
	} else {
		k.h = grow(k.h, workers*g.hSize())
	}
	parallelRange(g.n, workers, func(wk, lo, hi int) {
		for i := lo; i < hi; i++ {
			h := k.h[wk*g.hSize() : (wk+1)*g.hSize()]
			if k.training {
				h = k.h[i*g.hSize() : (i+1)*g.hSize()]
			}
			clPairMaxima(h, x[i*g.inSize():(i+1)*g.inSize()], g)
			out := k.out[i*g.outSize() : (i+1)*g.outSize()]
			linalg.MaxRuns(out, h, g.ow*g.c)
			linalg.ReLU(out, out)
		}
	})
	k.hOf = nil
	if k.training {
		k.hOf = x
	}
	return k.out, nil
}

// clPairMaxima fills h with the maxima of neighbouring pixel pairs of the
// first 2·OH rows of one image x.
func clPairMaxima(h, x []float32, g clPoolGeometry) {
	run := g.ow * g.c
	for y := 0; y < 2*g.oh; y++ {
		linalg.MaxRuns(h[y*run:(y+1)*run], x[y*g.w*g.c:], g.c)
	}
}

func (k *reluPoolCLKernel) backward(in gorgonia.Nodes, y, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	if !k.training {
		return nil, fmt.Errorf("%s: an inference pooling has no gradient", k.name())
	}
	dx, err := apply(&reluPoolCLGrad{fwd: k}, in[0], y, dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// reluPoolCLGrad is dL/dx of reluPoolCL. Inputs: x, y, dL/dy.
type reluPoolCLGrad struct {
	fwd *reluPoolCLKernel

	out     []float32
	scratch []float32 // per worker: dL/dy where y > 0, then dL/dh
}

func (k *reluPoolCLGrad) name() string     { return k.fwd.name() + " gradient" }
func (k *reluPoolCLGrad) inputs() []string { return []string{"input", "output", "output gradient"} }

func (k *reluPoolCLGrad) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, err := clPoolGeometryOf(k.name(), in[0])
	if err != nil {
		return nil, err
	}
	want := tensor.Shape{g.n, g.c, g.oh, g.ow}
	if !in[1].Eq(want) || !in[2].Eq(want) {
		return nil, fmt.Errorf("%s: output %v and its gradient %v, want %v", k.name(), in[1], in[2], want)
	}
	return in[0].Clone(), nil
}

func (k *reluPoolCLGrad) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x, y, dy := in[0], in[1], in[2]
	g, err := clPoolGeometryOf(k.name(), shapes[0])
	if err != nil {
		return nil, err
	}
	f := k.fwd
	if !sameData(f.hOf, x) || len(f.h) != g.n*g.hSize() {
		// Run without its forward pass: find the pair maxima again.
		f.h = grow(f.h, g.n*g.hSize())
		for i := range g.n {
			clPairMaxima(f.h[i*g.hSize():(i+1)*g.hSize()], x[i*g.inSize():(i+1)*g.inSize()], g)
		}
		f.hOf = x
	}
	k.out = grow(k.out, g.n*g.inSize())
	workers := workersFor(g.n)
	per := g.outSize() + g.hSize()
	k.scratch = grow(k.scratch, workers*per)
	rowIn, run := g.w*g.c, g.ow*g.c
	parallelRange(g.n, workers, func(wk, lo, hi int) {
		gy := k.scratch[wk*per : wk*per+g.outSize()]
		gh := k.scratch[wk*per+g.outSize() : (wk+1)*per]
		for i := lo; i < hi; i++ {
			h := f.h[i*g.hSize() : (i+1)*g.hSize()]
			o := i * g.outSize()
			linalg.PassPositive(gy, y[o:o+g.outSize()], dy[o:o+g.outSize()])
			linalg.RouteRuns(gh, h, y[o:o+g.outSize()], gy, run)
			dx, xi := k.out[i*g.inSize():(i+1)*g.inSize()], x[i*g.inSize():(i+1)*g.inSize()]
			for r := 0; r < 2*g.oh; r++ {
				linalg.RouteRuns(dx[r*rowIn:], xi[r*rowIn:], h[r*run:(r+1)*run], gh[r*run:(r+1)*run], g.c)
				clear(dx[r*rowIn+2*run : (r+1)*rowIn]) // an odd side's last column
			}
			clear(dx[2*g.oh*rowIn:]) // an odd side's last row
		}
	})
	return k.out, nil
}

// toChannelFirst turns channels-last x (N×H×W×C in memory) into the
// channel-first data of its N×C×H×W shape: where a channels-last tower is
// flattened, so a dense layer's weights read the order they always have.
func toChannelFirst(x *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(&layoutKernel{toCL: false}, x)
}

// layoutKernel transposes every image between channels-last and channel-
// first; its gradient is the opposite transpose.
type layoutKernel struct {
	toCL bool
	out  []float32
}

func (k *layoutKernel) name() string {
	if k.toCL {
		return "to channels-last"
	}
	return "to channel-first"
}
func (k *layoutKernel) inputs() []string { return []string{"input"} }

func (k *layoutKernel) shape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 4 {
		return nil, fmt.Errorf("%s: input %v must be 4-D (N×C×H×W)", k.name(), in[0])
	}
	return in[0].Clone(), nil
}

func (k *layoutKernel) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x, xs := in[0], shapes[0]
	c, hw := xs[1], xs[2]*xs[3]
	k.out = grow(k.out, len(x))
	parallelRange(xs[0], workersFor(xs[0]), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			src, dst := x[i*c*hw:(i+1)*c*hw], k.out[i*c*hw:(i+1)*c*hw]
			if k.toCL {
				linalg.Transpose(c, hw, src, hw, dst, c)
			} else {
				linalg.Transpose(hw, c, src, c, dst, hw)
			}
		}
	})
	return k.out, nil
}

func (k *layoutKernel) backward(_ gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(&layoutKernel{toCL: !k.toCL}, dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}
