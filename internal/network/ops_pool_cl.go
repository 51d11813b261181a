package network

// Max pooling of ReLU outputs in 2×2 windows on channels-last activations
// (N×H×W×C in memory under an N×C×H×W shape, see Spec.channelsLast):
//
//	y[n,oy,ox,c] = max(0, max_{a,b<2} x[n, 2oy+a, 2ox+b, c]).
//
// A window's two rows are neighbouring runs of W·C floats and its two
// pixels in a row neighbouring runs of C, so one pass over a pair of rows
// (linalg.ReLUMaxPool2x2Rows) takes the four values of every window, C
// channels at a time, and writes y once. In training the pass also keeps
// a byte per output, the position of the window's first maximum in
// row-major order, as MaxPool2D chooses, or none where y is 0, as ReLU's
// gradient would (linalg.ReLUMaxPool2x2RowsArg); the gradient routes
// dL/dy through those bytes alone, without reading x or y back. The
// maximum compares float bits as integers, so it gives the bits that
// pooling in steps did. A row or column left over by an odd side gets no
// gradient (PyTorch's floor mode).

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
)

// reluPoolCL is MaxPool2D(ReLU(x), 2) on channels-last x, for training or
// (inference) without a gradient.
func reluPoolCL(x *gorgonia.Node, training bool) (*gorgonia.Node, error) {
	return apply(&reluPoolCLKernel{training: training}, x)
}

// clPoolGeometryOf is the geometry of a 2×2 pooling of xs, checked as
// MaxPool2D checks it, errors prefixed with the op's name.
func clPoolGeometryOf(name string, xs tensor.Shape) (poolGeometry, error) {
	g, err := (&maxPool2DOp{size: 2}).geometry(xs)
	if err != nil {
		return g, fmt.Errorf("%s: %w", name, err)
	}
	return g, nil
}

type reluPoolCLKernel struct {
	training bool
	out      []float32
	arg      []uint8 // a training pass's window positions, for the gradient
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
	if k.training {
		k.arg = grow(k.arg, g.n*g.outSize())
	}
	inSize, outSize := g.inSize(), g.outSize()
	parallel.Range(g.n, workersFor(g.n), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			y, xi := k.out[i*outSize:(i+1)*outSize], x[i*inSize:(i+1)*inSize]
			if k.training {
				g.reluPoolCLArg(y, k.arg[i*outSize:(i+1)*outSize], xi, g.w*g.c)
				continue
			}
			g.reluPoolCL(y, xi, g.w*g.c)
		}
	})
	return k.out, nil
}

// reluPoolCL pools one channels-last image x, whose rows are ldx floats
// apart, into y.
func (g poolGeometry) reluPoolCL(y, x []float32, ldx int) {
	run := g.ow * g.c // floats in an output row
	for oy := range g.oh {
		top, bottom := x[2*oy*ldx:], x[(2*oy+1)*ldx:]
		linalg.ReLUMaxPool2x2Rows(y[oy*run:(oy+1)*run], top[:2*run], bottom[:2*run], g.c)
	}
}

// reluPoolCLArg is reluPoolCL that also keeps, in arg, each output's
// window position (linalg.ReLUMaxPool2x2RowsArg) for reluPoolCLArgGrad.
func (g poolGeometry) reluPoolCLArg(y []float32, arg []uint8, x []float32, ldx int) {
	run := g.ow * g.c
	for oy := range g.oh {
		top, bottom := x[2*oy*ldx:], x[(2*oy+1)*ldx:]
		linalg.ReLUMaxPool2x2RowsArg(y[oy*run:(oy+1)*run], arg[oy*run:(oy+1)*run], top[:2*run], bottom[:2*run], g.c)
	}
}

// reluPoolCLArgGrad writes all of dx, the gradient of one channels-last
// image whose pooling kept the window positions arg, from the gradient dy
// of the pooling: rows ld floats apart (ld >= W·C), a row's floats past
// W·C, a row or column left over by an odd side, and every row of dx past
// H +0.
func (g poolGeometry) reluPoolCLArgGrad(dx []float32, ld int, arg []uint8, dy []float32) {
	run := g.ow * g.c
	for oy := range g.oh {
		t, b := 2*oy*ld, (2*oy+1)*ld
		o := oy * run
		linalg.ReLUMaxPool2x2RowsArgGrad(dx[t:t+2*run], dx[b:b+2*run], arg[o:o+run], dy[o:o+run], g.c)
		clear(dx[t+2*run : t+ld]) // an odd side's last column
		clear(dx[b+2*run : b+ld])
	}
	clear(dx[2*g.oh*ld:]) // an odd side's last row
}

// channelFirst writes one image's channels-last pooled output cl into y,
// channel-first: a pooled layer whose reader wants channel-first (poolCF)
// pools into a scratch and transposes it while it is in cache.
func (g poolGeometry) channelFirst(y, cl []float32) {
	linalg.Transpose(g.outPlane(), g.c, cl, g.c, y, g.outPlane())
}

// channelsLast is channelFirst's inverse for the gradient: it writes one
// image's channel-first pooled gradient cf into scratch, channels-last,
// and returns it.
func (g poolGeometry) channelsLast(scratch, cf []float32) []float32 {
	linalg.Transpose(g.c, g.outPlane(), cf, g.outPlane(), scratch, g.c)
	return scratch[:g.outSize()]
}

func (k *reluPoolCLKernel) backward(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	if !k.training {
		return nil, fmt.Errorf("%s: an inference pooling has no gradient", k.name())
	}
	dx, err := apply(&reluPoolCLGrad{fwd: k}, in[0], dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// reluPoolCLGrad is dL/dx of reluPoolCL, routed through the window
// positions its forward pass kept. Inputs: x (for its shape), dL/dy.
type reluPoolCLGrad struct {
	fwd *reluPoolCLKernel
	out []float32
}

func (k *reluPoolCLGrad) name() string     { return k.fwd.name() + " gradient" }
func (k *reluPoolCLGrad) inputs() []string { return []string{"input", "output gradient"} }

func (k *reluPoolCLGrad) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, err := clPoolGeometryOf(k.name(), in[0])
	if err != nil {
		return nil, err
	}
	if want := (tensor.Shape{g.n, g.c, g.oh, g.ow}); !in[1].Eq(want) {
		return nil, fmt.Errorf("%s: output gradient %v, want %v", k.name(), in[1], want)
	}
	return in[0].Clone(), nil
}

func (k *reluPoolCLGrad) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	dy := in[1]
	g, err := clPoolGeometryOf(k.name(), shapes[0])
	if err != nil {
		return nil, err
	}
	if len(k.fwd.arg) != g.n*g.outSize() {
		return nil, fmt.Errorf("%s: the forward pass has not run", k.name())
	}
	k.out = grow(k.out, g.n*g.inSize())
	inSize, outSize := g.inSize(), g.outSize()
	parallel.Range(g.n, workersFor(g.n), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			at := i * outSize
			g.reluPoolCLArgGrad(k.out[i*inSize:(i+1)*inSize], g.w*g.c, k.fwd.arg[at:at+outSize], dy[at:at+outSize])
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
	parallel.Range(xs[0], workersFor(xs[0]), func(_, lo, hi int) {
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
