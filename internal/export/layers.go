package export

import "github.com/siamese-dev/siamese/internal/network"

// Layer kinds added to the tower after the first export.
const (
	kindGAP      = network.KindGAP
	kindResidual = network.KindResidual
)

// The defaults below are those of network.Layer's unexported accessors,
// which the graph must reproduce exactly.

// pad is a conv layer's zero padding: kernel/2 ("same") unless set.
func pad(l network.Layer) int {
	if l.Pad != nil {
		return *l.Pad
	}
	k := l.Kernel
	if k == 0 {
		k = 3
	}
	return k / 2
}

// stride is a conv or residual layer's step: 1 unless set.
func stride(l network.Layer) int {
	if l.Stride == 0 {
		return 1
	}
	return l.Stride
}
