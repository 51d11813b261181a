package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the products of one training step, as the network
// makes them (internal/network/ops_conv.go, conv_winograd.go): the default
// tower's first convolution unfolds channel-first, one image per product,
// and writes its output channels-last (both operands transposed), and its
// kernel gradient is summed transposed (9 rows, 32 columns). Its second
// runs in the Winograd form: 16 products per group of two 14×14 images
// (98 tiles), over 32 input and 64 output channels, and for the kernel
// gradient over a chunk's tiles. The photos preset's strided convolutions
// (b1c1: 32 channels to a 16×16 plane; b3c1: 64 to 128 at 4×4, three
// images per product) unfold a row per output pixel; its stride-1 ones
// are Winograd products (b1c2: 32 channels at 16×16, three images, 192
// tiles; b3c2: 128 at 4×4, 48 images, and 32 in a gradient chunk). Dense
// is per tower.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
	beta           float32
}{
	{"conv1-forward", true, true, 784, 32, 9, 0},
	{"conv1-grad-weight", false, false, 9, 32, 784, 1},
	{"conv2-wino-forward", false, false, 98, 64, 32, 0},
	{"conv2-wino-grad-input", false, false, 98, 32, 64, 0},
	{"conv2-wino-grad-weight", true, false, 32, 64, 98, 1},
	{"dense-forward", false, false, 64, 128, 3136, 0},
	{"dense-grad-weight", true, false, 3136, 128, 64, 0},
	{"dense-grad-input", false, true, 64, 3136, 128, 0},
	{"photos-b1c1-forward", false, false, 256, 32, 288, 0},
	{"photos-b1c1-grad-input", false, false, 256, 288, 32, 0},
	{"photos-b1c1-grad-weight", true, false, 288, 32, 256, 1},
	{"photos-b1c2-wino-forward", false, false, 192, 32, 32, 0},
	{"photos-b1c2-wino-grad-weight", true, false, 32, 32, 192, 1},
	{"photos-b3c1-forward", false, false, 48, 128, 576, 0},
	{"photos-b3c1-grad-input", false, false, 48, 576, 128, 0},
	{"photos-b3c1-grad-weight", true, false, 576, 128, 48, 1},
	{"photos-b3c2-wino-forward", false, false, 192, 128, 128, 0},
	{"photos-b3c2-wino-grad-weight", true, false, 128, 128, 128, 1},
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
	lda, ldb := denseStrides(transA, transB, m, n, k)
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
// the kernels ChooseKernels picks on this machine; scripts/gemm-compare.sh
// sets these figures beside OpenBLAS (through PyTorch) on the same shapes.
func BenchmarkGemmPublic(b *testing.B) {
	b.Logf("kernel set %s", ChooseKernels())
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			benchGemm(b, nil, s.transA, s.transB, s.m, s.n, s.k, s.beta)
		})
	}
}

// BenchmarkKernelChoice is what ChooseKernels costs a process once: timing
// every assembly set this CPU runs.
func BenchmarkKernelChoice(b *testing.B) {
	sets := kernelSets()
	if len(sets) < 3 {
		b.Skip("fewer than two assembly kernel sets: nothing is timed")
	}
	for b.Loop() {
		timeKernels(sets[1:])
	}
}

// BenchmarkGemmCold times the dense layer's products with their operands
// out of cache, as in a training step, where the layers before them have
// streamed megabytes through it: before each product it writes a buffer
// larger than the last-level cache (outside the timer). BenchmarkGemm's
// operands stay in cache from one product to the next.
func BenchmarkGemmCold(b *testing.B) {
	evict := make([]float32, 64<<20/4)
	for _, s := range benchShapes {
		if len(s.name) < 6 || s.name[:6] != "dense-" {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			lda, ldb := denseStrides(s.transA, s.transB, s.m, s.n, s.k)
			x, y, c := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
			for i := range x {
				x[i] = rng.Float32()
			}
			for i := range y {
				y[i] = rng.Float32()
			}
			for b.Loop() {
				b.StopTimer()
				for i := 0; i < len(evict); i += 16 {
					evict[i]++
				}
				b.StartTimer()
				Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, x, lda, y, ldb, s.beta, c, s.n)
			}
			b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
