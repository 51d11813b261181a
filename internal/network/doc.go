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
// in one gorgonia graph from the same weight nodes, so the gradient of a
// weight is the sum of the gradients of the two branches,
//
//	dL/dW = dL/dW|branch a + dL/dW|branch b,
//
// and one optimiser step moves both towers together.
//
// The layers are gorgonia ops written here (Conv2D, MaxPool2D, ReLU, Dense,
// Distance) rather than gorgonia's own: they run im2col and matrix products
// through internal/linalg on every core, and reuse their buffers between
// steps instead of allocating a fresh tensor for every node of every step.
// Each has a hand-written gradient (SymDiff) checked against finite
// differences in the tests.
//
// Weights start uniform on ±1/sqrt(fan_in) (PyTorch's default for conv and
// linear layers) from a seeded generator, so the same seed gives the same
// network; gorgonia's own initialisers read the clock.
package network
