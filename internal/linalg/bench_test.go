package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the products of one training step, as the network
// makes them (internal/network/ops_conv.go): the default tower's first
// convolution unfolds channel-first, one image per product, and writes its
// output channels-last (both operands transposed), and its kernel gradient
// is summed transposed (9 rows, 32 columns); its second and the
// photos preset's (b1c2: 32 channels at 16x16; b3c2: 128 at 4x4, three
// images per product) unfold a row per output pixel; dense is per tower.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
	beta           float32
}{
	{"conv1-forward", true, true, 784, 32, 9, 0},
	{"conv1-grad-weight", false, false, 9, 32, 784, 1},
	{"conv2-forward", false, false, 196, 64, 288, 0},
	{"conv2-grad-input", false, false, 196, 288, 64, 0},
	{"conv2-grad-weight", true, false, 288, 64, 196, 1},
	{"dense-forward", false, false, 64, 128, 3136, 0},
	{"dense-grad-weight", true, false, 3136, 128, 64, 0},
	{"dense-grad-input", false, true, 64, 3136, 128, 0},
	{"photos-b1c2-forward", false, false, 256, 32, 288, 0},
	{"photos-b1c2-grad-input", false, false, 256, 288, 32, 0},
	{"photos-b1c2-grad-weight", true, false, 288, 32, 256, 1},
	{"photos-b3c2-forward", false, false, 48, 128, 1152, 0},
	{"photos-b3c2-grad-input", false, false, 48, 1152, 128, 0},
	{"photos-b3c2-grad-weight", true, false, 1152, 128, 48, 1},
}

func BenchmarkGemm(b *testing.B) {
	for _, ks := range kernelSets() {
		for _, s := range benchShapes {
			b.Run(fmt.Sprintf("%s/%s", ks.name, s.name), func(b *testing.B) {
				benchGemm(b, ks, s.transA, s.transB, s.m, s.n, s.k, s.beta)
			})
		}
	}
}

// benchGemm times one product; ks nil means through the exported Gemm.
func benchGemm(b *testing.B, ks *kernelSet, transA, transB bool, m, n, k int, beta float32) {
	rng := rand.New(rand.NewPCG(1, 1))
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	x := make([]float32, m*k)
	y := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range y {
		y[i] = rng.Float32()
	}
	b.ResetTimer()
	for b.Loop() {
		if ks == nil {
			Gemm(transA, transB, m, n, k, 1, x, lda, y, ldb, beta, c, n)
		} else {
			gemm(ks, transA, transB, m, n, k, 1, x, lda, y, ldb, beta, c, n)
		}
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemmPublic times benchShapes through the exported Gemm, with
// the kernels the package picks on this machine; scripts/gemm-compare.sh
// sets these figures beside OpenBLAS (through PyTorch) on the same shapes.
func BenchmarkGemmPublic(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			benchGemm(b, nil, s.transA, s.transB, s.m, s.n, s.k, s.beta)
		})
	}
}
