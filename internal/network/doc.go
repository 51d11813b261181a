// Package network is the Siamese network: a convolutional tower applied to
// both images of a pair with one set of weights, joined by a Euclidean
// distance head.
//
// The tower maps an image x (C×H×W, values in [0,1]) to an embedding f(x).
// Layers are described by a Spec (size, channels, layer list), so a model
// file can rebuild the exact network. The default tower is
//
//	conv3x3(32) - ReLU - maxpool2 - conv3x3(64) - ReLU - maxpool2 - dense(128)
//
// with "same" padding and no conv bias, the network of the PyTorch reference.
//
// The distance head is
//
//	d(a, b) = sqrt(sum_i (f(a)_i - f(b)_i)^2 + eps),  eps = 1e-6,
//
// where eps keeps the gradient finite for identical embeddings
// (d/ds sqrt(s) = 1/(2 sqrt(s)) is infinite at s = 0).
//
// Weight sharing is structural, not a copy: PairGraph builds the tower twice
// from the same weight tensors, so the gradient of a weight is the sum of
// the gradients of the two branches,
//
//	dL/dW = dL/dW|branch a + dL/dW|branch b,
//
// and one optimiser step moves both towers together. The two branches are
// graphs of their own that run at the same time, one per core on two
// cores, and meet at the distance head (twin.go): the head gives each
// branch dL/df(a) or dL/df(b), and PairGraph adds the branches' weight
// gradients, a's first.
//
// The layers are gorgonia ops written here (Conv2D and Conv2DStride,
// MaxPool2D, GlobalAvgPool, ReLU, AddReLU, Dense, BatchNorm, Dropout,
// L2Normalize, Distance) rather than gorgonia's own: they run matrix
// products and vector kernels through internal/linalg on every core, and
// reuse their buffers between steps instead of allocating a fresh tensor
// for every node of every step. Each has a hand-written gradient checked
// against finite differences of a float64 reference in the tests. A new op
// is a kernel (op.go): its name, inputs, output shape, forward pass and
// gradient; one adapter supplies the rest of gorgonia's Op interface.
//
// A convolution is a matrix product over unfolded windows. Input layers
// (K·C < 16: one to three channels) unfold channel-first, a row per
// (c, ki, kj) and a column per output pixel, one image per product. Deeper
// layers transpose the image to channels-last with its zero border,
// (H+2p)×(W+2p)×C, and unfold a row per output pixel of K runs of K·C
// consecutive floats (im2row), several images per product on small planes;
// the product's output, pixels×O, is transposed back to O×pixels. On the
// 4×4 to 16×16 planes of a photo tower this costs a third less than
// channel-first unfolding, whose rows there are a few floats long.
//
// Towers of convolutions, residual blocks, batch norm, ReLU and 2×2 max
// pooling after a ReLU (the default tower and the photos preset) skip
// those transposes: their activations are channels-last, N×H×W×C in
// memory under the same N×C×H×W shapes (Spec.channelsLast). The first
// convolution reads the channel-first images and writes pixels×O, which is
// already channels-last; later ones unfold straight from the unpadded
// pixel rows; batch norm sums and maps pixel rows of C channels (linalg's
// *Rows kernels); ReLU and 2×2 pooling take one pass per pair of pixel
// rows (ops_pool_cl.go). Global average pooling ends it, or one transpose back
// to channel-first where the tower flattens, so dense weights and model
// files keep their order. Only speed differs: the tests compare the two
// layouts.
//
// In such a tower a 3×3 convolution with padding 1, the layer that holds
// most of a step's flops, runs in a Winograd form (conv_winograd.go, the
// maths in internal/linalg/winograd.go, winograd4.go and winograd_s2.go):
// at stride 1, F(4×4,3×3) where it takes fewer multiplications, 36 matrix
// products over 4×4-pixel tiles in place of one over 9-fold unfolded
// windows, 4 times fewer flops, and F(2×2,3×3) elsewhere, 16 products
// over 2×2 tiles, 2.25 times fewer; at stride 2, F(2×2,3×3) split by the
// input's parity, 25 products, 1.44 times fewer. The tile transforms run
// in AVX2 assembly, the kernel's as one matrix product. The gradients are
// the exact adjoints of that computation, and it agrees with the direct
// form to float32 rounding, F(4×4) to about 1e-6 of the terms' magnitude
// (the tests compare the two on whole towers, and check it against
// finite differences).
//
// Where a convolution is followed by a ReLU and 2×2 max pooling (the
// default towers, twice), the three are one op, image by image: the
// convolution's output goes to a scratch that stays in cache and is
// pooled there, so only the pooled quarter reaches memory, with a byte per
// pooled value naming its window's maximum (none where the ReLU gives 0).
// The gradient routes dL/dy through those bytes into a scratch again and
// goes on from there while it is in cache: into the kernel gradient's
// product for the input layer (ops_conv_pool.go), into the output
// gradient's Winograd transform for a Winograd layer. Where the CPU has
// AVX-512, an F(4×4) layer pools each tile inside its output transform
// and routes the gradient inside the adjoint, in registers, with no
// scratch between. A pooled Winograd
// layer that a dense layer reads writes its output channel-first, so the
// default towers have no layout op. Run as separate ops, the
// convolution's output and its gradient, each four times the pooled size,
// went through memory four times. The same bits as the separate ops.
//
// Towers for photos add three kinds. A strided convolution (stride s)
// samples every s-th window, OH = (H+2p-K)/s + 1, so it shrinks the plane
// as it convolves. Global average pooling maps N×C×H×W to the N×C means of
// the planes, dL/dx = dL/dy/(H·W). A residual block computes
//
//	y = relu(bn(conv3x3(relu(bn(conv3x3_s(x))))) + shortcut(x)),
//
// the shortcut being x itself or, when the block changes the channels or
// strides, bn(conv1x1_s(x)); its gradient is that of its parts, and x
// receives the sum of the branch's and the shortcut's.
//
// A batch norm followed by a ReLU (the block's first, a preset's after a
// convolution, unless a pooling takes the ReLU in) is one op: the maximum
// is taken a block of its output at a time, as the block is written, and
// the ReLU's gradient in the same pass that sums dL/dβ and dL/dγ, which
// share one read of dL/dy. The same bits as the ops one after the other,
// with three passes over the batch fewer.
//
// Some gradients are computed inside the op that reads them rather than
// written to memory for it: a strided block's projection input gradient
// inside the branch's first (Winograd) convolution's, which adds it into
// dL/dx where gorgonia would add the two (shortcutGrad); the input
// gradient of a batch norm after a convolution inside that convolution's
// gradient op, its one reader, an image at a time: the kernel gradient of
// a tower's first convolution (convBNGradWeight), the output-gradient
// transform of a Winograd layer (winogradGradInput.bn). A block with a
// projection ends in one op, both batch norms, the sum and the ReLU
// (bnAddReLU). All are the same values summed in the same order, so the
// same bits.
//
// Reproducibility. Every reduction over the batch sums fixed pieces in a
// fixed order: the conv kernel gradient sums up to 16 fixed chunks of the
// batch, each into its own partial, and adds the partials in chunk order;
// batch norm sums each channel on one goroutine; the dense gradients split
// their output, never the sum. So the same seed gives byte-identical
// gradients, and models, at any GOMAXPROCS on one CPU. Across CPUs it does
// not hold: internal/linalg picks its micro-kernel (AVX-512, AVX2/FMA or
// pure Go) from the CPU, and fused and unfused multiply-adds round
// differently.
//
// Weights start uniform on ±1/sqrt(fan_in) (PyTorch's default for conv and
// linear layers) from a seeded generator, so the same seed gives the same
// network; gorgonia's own initialisers read the clock.
package network
