package network

import (
	"fmt"
	"math"
	"testing"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// fusionSpec is a small photos tower with every fusion across ops: its
// first convolution (3 channels, unfolded) is followed by batch norm
// (convBNGradWeight), and its block strides with a projection and
// Winograd convolutions followed by batch norm (shortcutGrad, bnAddReLU,
// winogradGradInput.bn).
func fusionSpec() Spec {
	return Spec{Size: 16, Channels: 3, Layers: []Layer{
		{Kind: KindConv, Filters: 16, Kernel: 3, Stride: 2},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindResidual, Filters: 16, Stride: 2},
		{Kind: KindGAP},
		{Kind: KindDense, Units: 5},
	}}
}

// TestFusedBackwardMatchesApart trains the fusion tower two steps with the
// fusions across ops and with them apart, in pairs and in class
// batches (whose halves share batch norm statistics), and requires the
// same loss, gradients and running statistics to the bit; and checks that
// the fused programs run the fused ops and not the ones they replace.
func TestFusedBackwardMatchesApart(t *testing.T) {
	spec := fusionSpec()
	const batch = 8
	per := spec.Channels * spec.Size * spec.Size
	x := uniform(newRand(5), 2*batch*per, 0, 1)
	y := []float32{1, 0, 1, 0, 0, 1, 1, 0}
	labels := []int{0, 0, 1, 1, 2, 2, 3, 3}
	type result struct {
		loss        []float64
		grads, bufs [][]float32
		ops         map[string]int
	}
	run := func(apart, classes bool) result {
		net, err := New(spec, 13)
		if err != nil {
			t.Fatal(err)
		}
		net.fusionsApart = apart
		var r result
		var tw *twins
		var step func() (float64, error)
		if classes {
			bg, err := net.NewBatchGraph(batch, contrastive.NTXent(0.1).(contrastive.BatchLoss).Batch)
			if err != nil {
				t.Fatal(err)
			}
			tw, step = &bg.twins, func() (float64, error) { return bg.Step(x[:batch*per], labels) }
		} else {
			pg, err := net.NewPairGraph(batch, contrastive.Contrastive(1).Node)
			if err != nil {
				t.Fatal(err)
			}
			tw = &pg.twins
			step = func() (float64, error) {
				l, _, err := pg.Step(x[:batch*per], x[batch*per:], y)
				return l, err
			}
		}
		for range 2 {
			l, err := step()
			if err != nil {
				t.Fatal(err)
			}
			r.loss = append(r.loss, l)
		}
		gs, _ := tw.Grads()
		for _, g := range gs {
			r.grads = append(r.grads, append([]float32(nil), g...))
		}
		for _, b := range net.Buffers {
			r.bufs = append(r.bufs, append([]float32(nil), b.Data...))
		}
		r.ops = map[string]int{}
		for _, tg := range tw.towers {
			if tg == nil {
				continue
			}
			for _, n := range tg.prog.nodes {
				r.ops[fmt.Sprintf("%T", n.Op())]++
				if k, ok := kernelIn(n.Op()); ok {
					r.ops[fmt.Sprintf("%T", k)]++
				}
			}
		}
		return r
	}
	for _, classes := range []bool{false, true} {
		t.Run(fmt.Sprintf("classes=%t", classes), func(t *testing.T) {
			fused, apart := run(false, classes), run(true, classes)
			towers := 2
			for _, tc := range []struct {
				kind             string
				inFused, inApart int
			}{
				{"*network.convBNGradWeight", towers, 0},
				{"*network.projection", towers, 0},
				{"*network.bnAddReLU", towers, 0},
				{"*network.addReLU", 0, towers},
				{"*network.conv2DGradInput", 0, towers},
				// batch norm's input gradient op runs, fused, for the
				// projection's alone (two readers), the others computed
				// where they are read; apart, for all four
				{"*network.bnGradInputOp", towers, 4 * towers},
			} {
				if fused.ops[tc.kind] != tc.inFused || apart.ops[tc.kind] != tc.inApart {
					t.Errorf("%s: %d fused, %d apart; want %d and %d", tc.kind, fused.ops[tc.kind], apart.ops[tc.kind], tc.inFused, tc.inApart)
				}
			}
			for i := range fused.loss {
				if fused.loss[i] != apart.loss[i] {
					t.Errorf("step %d: loss %v fused, %v apart", i, fused.loss[i], apart.loss[i])
				}
			}
			same := func(what string, a, b [][]float32) {
				t.Helper()
				for i := range a {
					for j := range a[i] {
						if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) && a[i][j] != b[i][j] {
							t.Fatalf("%s %d[%d]: %v fused, %v apart", what, i, j, a[i][j], b[i][j])
						}
					}
				}
			}
			same("gradient", fused.grads, apart.grads)
			same("buffer", fused.bufs, apart.bufs)
		})
	}
}
