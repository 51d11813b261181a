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
// BatchNorm with its ReLU fused, AddReLU), so it needs none of its own:
// gorgonia sums the two paths into x.

import (
	"fmt"

	"gorgonia.org/gorgonia"
)

// residualParams are the weight nodes and batch-norm states of one block;
// proj, gammaP, betaP and bnP are nil for an identity shortcut.
type residualParams struct {
	conv1, gamma1, beta1 *gorgonia.Node
	conv2, gamma2, beta2 *gorgonia.Node
	proj, gammaP, betaP  *gorgonia.Node
	bn1, bn2, bnP        *BNState
}

// residualBlock builds the block on x (N×C×H×W), channels-last if inCL,
// giving its output channels-last if outCL; winograd as for conv2DLayout.
func residualBlock(x *gorgonia.Node, p residualParams, stride int, training, inCL, outCL, winograd bool) (*gorgonia.Node, error) {
	shortcut := x
	if p.proj != nil {
		s, err := conv2DLayout(x, p.proj, 0, stride, inCL, outCL, winograd)
		if err != nil {
			return nil, fmt.Errorf("projection: %w", err)
		}
		if shortcut, err = batchNormLayout(s, p.gammaP, p.betaP, p.bnP, training, outCL, false); err != nil {
			return nil, fmt.Errorf("projection: %w", err)
		}
	} else if inCL != outCL {
		return nil, fmt.Errorf("an identity shortcut cannot change the layout")
	}
	h, err := conv2DLayout(x, p.conv1, 1, stride, inCL, outCL, winograd)
	if err != nil {
		return nil, err
	}
	if h, err = batchNormLayout(h, p.gamma1, p.beta1, p.bn1, training, outCL, true); err != nil {
		return nil, err
	}
	if h, err = conv2DLayout(h, p.conv2, 1, 1, outCL, outCL, winograd); err != nil {
		return nil, err
	}
	if h, err = batchNormLayout(h, p.gamma2, p.beta2, p.bn2, training, outCL, false); err != nil {
		return nil, err
	}
	if !h.Shape().Eq(shortcut.Shape()) {
		return nil, fmt.Errorf("branch %v and shortcut %v differ in shape; a block that changes channels or stride needs the projection", h.Shape(), shortcut.Shape())
	}
	return AddReLU(h, shortcut)
}
