package network

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// TestGradientsIndependentOfWorkers runs one training step with 1, 2 and 3
// workers and requires the loss and every gradient to be equal to the bit:
// every reduction over the batch sums fixed slices in a fixed order, so
// the same seed gives the same model at any GOMAXPROCS on one CPU.
func TestGradientsIndependentOfWorkers(t *testing.T) {
	wide := Spec{Size: 16, Channels: 3, Layers: []Layer{
		{Kind: KindConv, Filters: 8, Stride: 2}, {Kind: KindBatchNorm}, {Kind: KindReLU},
		{Kind: KindResidual, Filters: 8}, {Kind: KindResidual, Filters: 16, Stride: 2},
		{Kind: KindConv, Filters: 16}, {Kind: KindReLU}, {Kind: KindMaxPool},
		{Kind: KindDense, Units: 40}, {Kind: KindDropout, Rate: 0.2}, {Kind: KindDense, Units: 8}, {Kind: KindL2Norm},
	}}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, spec := range []Spec{wide, photoSpec(), richSpec()} {
		const batch = 37 // more images than gradient chunks, not a multiple of them
		per := spec.Channels * spec.Size * spec.Size
		xa, xb := uniform(newRand(1), batch*per, 0, 1), uniform(newRand(2), batch*per, 0, 1)
		y := make([]float32, batch)
		for i := range y {
			y[i] = float32(i % 2)
		}
		var ref [][]float32
		var refLoss float64
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			net, err := New(spec, 9)
			if err != nil {
				t.Fatal(err)
			}
			pg, err := net.NewPairGraph(batch, contrastive.Contrastive(1).Node)
			if err != nil {
				t.Fatal(err)
			}
			pg.SetMaskStream(1, 0)
			loss, _, err := pg.Step(xa, xb, y)
			if err != nil {
				t.Fatal(err)
			}
			grads, err := pg.Grads()
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				refLoss = loss
				for _, g := range grads {
					ref = append(ref, append([]float32(nil), g...))
				}
				continue
			}
			if math.Float64bits(loss) != math.Float64bits(refLoss) {
				t.Errorf("%d workers: loss %v, 1 worker %v", procs, loss, refLoss)
			}
			for i, g := range grads {
				for j := range g {
					if math.Float32bits(g[j]) != math.Float32bits(ref[i][j]) {
						t.Errorf("%s: %d workers: gradient %s[%d] = %v, 1 worker %v", specName(spec), procs, net.Params[i].Name, j, g[j], ref[i][j])
						break
					}
				}
			}
		}
	}
}

func specName(s Spec) string {
	return fmt.Sprintf("%dx%dx%d, %d layers", s.Channels, s.Size, s.Size, len(s.Layers))
}
