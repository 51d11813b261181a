package network

// The residual block of ResNet (He et al. 2016), "basic" form:
//
//	y = relu(bn2(conv2(relu(bn1(conv1(x))))) + s(x))
//
// conv1 is 3×3 with the block's stride, conv2 3×3 at stride 1, both padded
// to keep the plane; the shortcut s is the identity when the block keeps
// the shape, else bnp(proj(x)) with a 1×1 convolution at the block's
// stride. The block learns a correction to its input rather than a new
// map, so a deep tower starts close to a shallow one and its gradient
// reaches the first layers through the shortcuts undiminished:
//
//	dL/dx = dL/dx|branch + dL/dx|shortcut.
//
// The block is a composition of ops with hand-written gradients (Conv2D,
// BatchNorm with its ReLU fused, AddReLU, or bnAddReLU where the shortcut
// is a projection), so it needs none of its own: gorgonia sums the two
// paths into x, except where the branch's first convolution runs in the
// Winograd form in training and the shortcut is a projection, whose input
// gradient that convolution's gradient op then adds into its own
// (shortcutGrad).

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// residualParams are the weight nodes and batch-norm states of one block;
// proj, gammaP, betaP and bnP are nil for an identity shortcut.
type residualParams struct {
	conv1, gamma1, beta1 *gorgonia.Node
	conv2, gamma2, beta2 *gorgonia.Node
	proj, gammaP, betaP  *gorgonia.Node
	bn1, bn2, bnP        *BNState

	// fusionsApart keeps apart what the block's fusions take in: the
	// projection's input gradient, summed by gorgonia rather than by the
	// branch's first convolution (shortcutGrad); the last two batch norms
	// and the sum, three ops rather than bnAddReLU; and the batch norms'
	// input gradients, as conv2D.bnGradApart. Tests compare the two.
	fusionsApart bool
}

// residualBlock builds the block on x (N×C×H×W), channels-last if inCL,
// giving its output channels-last if outCL; winograd as for conv2DLayout.
func residualBlock(x *gorgonia.Node, p residualParams, stride int, training, inCL, outCL, winograd bool) (*gorgonia.Node, error) {
	if err := checkPadStride(1, stride); err != nil {
		return nil, err
	}
	if p.proj == nil && inCL != outCL {
		return nil, fmt.Errorf("an identity shortcut cannot change the layout")
	}
	conv1 := &conv2D{pad: 1, stride: stride, inCL: inCL, outCL: outCL, winograd: winograd, bnGradApart: p.fusionsApart}
	// s: x, or its projection before the projection's batch norm.
	var h, s *gorgonia.Node
	var err error
	if training && p.proj != nil && !p.fusionsApart && conv1.addsShortcutGrad(x.Shape(), p.conv1.Shape()) {
		h, s, err = branchWithProjection(x, p, conv1)
	} else {
		h, s, err = branchAndShortcut(x, p, conv1)
	}
	if err != nil {
		return nil, err
	}
	if h, err = batchNormLayout(h, p.gamma1, p.beta1, p.bn1, training, outCL, true); err != nil {
		return nil, err
	}
	if h, err = apply(&conv2D{pad: 1, stride: 1, inCL: outCL, outCL: outCL, winograd: winograd, bnGradApart: p.fusionsApart}, h, p.conv2); err != nil {
		return nil, err
	}
	if !h.Shape().Eq(s.Shape()) {
		return nil, fmt.Errorf("branch %v and shortcut %v differ in shape; a block that changes channels or stride needs the projection", h.Shape(), s.Shape())
	}
	if p.proj != nil && outCL && !p.fusionsApart {
		return batchNormsAddReLU(h, s, p, training)
	}
	if h, err = batchNormLayout(h, p.gamma2, p.beta2, p.bn2, training, outCL, false); err != nil {
		return nil, err
	}
	if p.proj != nil {
		if s, err = batchNormLayout(s, p.gammaP, p.betaP, p.bnP, training, outCL, false); err != nil {
			return nil, fmt.Errorf("projection: %w", err)
		}
	}
	return AddReLU(h, s)
}

// batchNormsAddReLU ends a channels-last block with a projection: the
// two batch norms, the sum and the ReLU in one op (bnAddReLU), on the
// branch's second convolution h and the projection s.
func batchNormsAddReLU(h, s *gorgonia.Node, p residualParams, training bool) (*gorgonia.Node, error) {
	bn, err := newBatchNorm(h, p.gamma2, p.beta2, p.bn2, training, true, false)
	if err != nil {
		return nil, err
	}
	bnP, err := newBatchNorm(s, p.gammaP, p.betaP, p.bnP, training, true, false)
	if err != nil {
		return nil, fmt.Errorf("projection: %w", err)
	}
	return apply(&bnAddReLU{bn: bn, bnP: bnP}, h, p.gamma2, p.beta2, s, p.gammaP, p.betaP)
}

// branchAndShortcut builds the branch's first convolution on x and the
// projection if the block has one, each on its own: gorgonia adds their
// input gradients. s is x or the projection.
func branchAndShortcut(x *gorgonia.Node, p residualParams, conv1 *conv2D) (h, s *gorgonia.Node, err error) {
	s = x
	if p.proj != nil {
		if s, err = conv2DLayout(x, p.proj, 0, conv1.stride, conv1.inCL, conv1.outCL, conv1.winograd); err != nil {
			return nil, nil, fmt.Errorf("projection: %w", err)
		}
	}
	if h, err = apply(conv1, x, p.conv1); err != nil {
		return nil, nil, err
	}
	return h, s, nil
}

// branchWithProjection builds the branch's first convolution on x and the
// projection s, the branch's gradient op adding the projection's input
// gradient into its own (shortcutGrad).
func branchWithProjection(x *gorgonia.Node, p residualParams, conv1 *conv2D) (h, s *gorgonia.Node, err error) {
	sg := &shortcutGrad{proj: &conv2D{stride: conv1.stride, inCL: conv1.inCL, outCL: conv1.outCL, winograd: conv1.winograd}}
	conv1.shortcut = sg
	if h, err = apply(conv1, x, p.conv1); err != nil {
		return nil, nil, err
	}
	if s, err = apply(&projection{grad: sg}, x, p.proj, h); err != nil {
		return nil, nil, fmt.Errorf("projection: %w", err)
	}
	return h, s, nil
}

// shortcutGrad hands a projection's output gradient to the branch's
// first convolution, whose Winograd gradient op then adds the
// projection's input gradient, Wpᵀ·dL/ds at every s-th pixel, into dL/dx
// as it writes it (winogradGradInput.proj). Apart, the projection's op
// cleared a gradient as large as x, wrote a quarter of it (stride 2), and
// gorgonia's sum of the two gradients read both and wrote one more: at 64
// px, three of the photos preset's passes over a 64×32×32×32 tensor a
// tower, and that tensor's memory. The sum is the same: the two
// gradients' terms added in the same pairs. The photos preset's step
// (BenchmarkTrainStepPhotos, test binaries with and without, 20 runs in
// turn on a 2-core Zen 5) took 5.9% less time on two cores and 2.3% less
// on one (pairwise medians 0.941, 0.955), and its training 27 MB less
// memory.
//
// The hand-over relies on the order gorgonia differentiates in, parents
// before children: the projection takes the branch's convolution output
// as an input it does not differentiate, so its gradient (which fills dy)
// is built before the branch's (which reads it).
type shortcutGrad struct {
	proj  *conv2D        // the projection's convolution (1×1, the block's stride)
	w, dy *gorgonia.Node // its kernel and output gradient, once built
}

// addsShortcutGrad says whether the branch's first convolution conv1, on
// input and kernel shapes xs and ws, can take in the projection's input
// gradient: its gradient op is the Winograd form's.
func (k *conv2D) addsShortcutGrad(xs, ws tensor.Shape) bool {
	g, err := k.geometry(xs, ws)
	return err == nil && !k.pool && k.useWinograd(g)
}

// projection is a block's shortcut convolution whose input gradient the
// branch's first convolution adds (shortcutGrad). Inputs: x, the 1×1
// kernel, and that convolution's output, read for the order alone.
type projection struct {
	grad *shortcutGrad
}

func (k *projection) name() string     { return "conv2d (projection)" }
func (k *projection) inputs() []string { return []string{"input", "kernel", "branch"} }

func (k *projection) shape(in []tensor.Shape) (tensor.Shape, error) {
	return k.grad.proj.shape(in[:2])
}

func (k *projection) forward(in [][]float32, shapes []tensor.Shape, out tensor.Shape) ([]float32, error) {
	return k.grad.proj.forward(in[:2], shapes[:2], out)
}

// differentiates: the kernel alone; x gets its gradient from the branch.
func (k *projection) differentiates() []bool { return []bool{false, true, false} }

func (k *projection) backward(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	k.grad.w, k.grad.dy = in[1], dy
	dw, err := apply(&conv2DGradWeight{fwd: k.grad.proj, k: in[1].Shape()[2]}, in[0], dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{nil, dw, nil}, nil
}
