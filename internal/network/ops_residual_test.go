package network

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
)

func addReLUCase(shape ...int) opCase {
	return opCase{
		name:   fmt.Sprintf("x%v", shape),
		shapes: [][]int{shape, shape},
		fill:   func(r *rand.Rand, _, n int) []float32 { return awayFromZero(r, n) },
		build:  func(in gorgonia.Nodes) (*gorgonia.Node, error) { return AddReLU(in[0], in[1]) },
		ref: func(in [][]float64) []float64 {
			out := make([]float64, len(in[0]))
			for i := range out {
				out[i] = max(in[0][i]+in[1][i], 0)
			}
			return out
		},
	}
}

func TestAddReLU(t *testing.T) {
	for i, c := range []opCase{addReLUCase(2, 3, 4, 4), addReLUCase(5, 7)} {
		t.Run(c.name, func(t *testing.T) {
			runForward(t, c, uint64(1500+i))
			runGradient(t, c, uint64(1600+i))
		})
	}
}

// TestAddReLUHandComputed: the sum is clipped at 0, and both inputs get
// the output gradient where the sum is positive.
func TestAddReLUHandComputed(t *testing.T) {
	y, err := opFor(&addReLU{}).Do(wrap([]float32{1, -2, 0.5}, 3), wrap([]float32{1, 1, -1}, 3))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "y", float32s(t, y), []float64{2, 0, 0}, 0)
	if _, err := opFor(&addReLU{}).Do(wrap([]float32{1, 2}, 2), wrap([]float32{1, 2, 3}, 3)); err == nil {
		t.Error("inputs of different shapes accepted")
	}
}

// refResidual is the block in float64 with batch statistics; w holds
// conv1, γ1, β1, conv2, γ2, β2 and, with a projection, proj, γp, βp.
func refResidual(x []float64, w [][]float64, xs []int, f, stride int) []float64 {
	const eps = 1e-5
	bn := func(v, gamma, beta []float64, shape []int) []float64 {
		return refBatchNorm(v, gamma, beta, shape, nil, nil, eps)
	}
	oh, ow := (xs[2]+2-3)/stride+1, (xs[3]+2-3)/stride+1
	ys := []int{xs[0], f, oh, ow}
	h := bn(refConvStride(x, w[0], xs, []int{f, xs[1], 3, 3}, 1, stride), w[1], w[2], ys)
	for i, v := range h {
		h[i] = max(v, 0)
	}
	h = bn(refConvStride(h, w[3], ys, []int{f, f, 3, 3}, 1, 1), w[4], w[5], ys)
	short := x
	if len(w) > 6 {
		short = bn(refConvStride(x, w[6], xs, []int{f, xs[1], 1, 1}, 0, stride), w[7], w[8], ys)
	}
	for i := range h {
		h[i] = max(h[i]+short[i], 0)
	}
	return h
}

func residualCase(xs []int, f, stride int) opCase {
	return residualLayoutCase(xs, f, stride, false, false)
}

// residualLayoutCase is residualCase on channels-last data in the
// Winograd form if cl, the fusions apart (residualParams.fusionsApart)
// if apart; the block's input and output are channel-first either way.
func residualLayoutCase(xs []int, f, stride int, cl, apart bool) opCase {
	c := xs[1]
	shapes := [][]int{xs, {f, c, 3, 3}, {f}, {f}, {f, f, 3, 3}, {f}, {f}}
	project := stride != 1 || f != c
	if project {
		shapes = append(shapes, []int{f, c, 1, 1}, []int{f}, []int{f})
	}
	return opCase{
		name:   fmt.Sprintf("x%v_f%d_stride%d_cl%t", xs, f, stride, cl),
		shapes: shapes,
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			p := residualParams{
				conv1: in[1], gamma1: in[2], beta1: in[3], bn1: NewBNState(f),
				conv2: in[4], gamma2: in[5], beta2: in[6], bn2: NewBNState(f),
			}
			if project {
				p.proj, p.gammaP, p.betaP, p.bnP = in[7], in[8], in[9], NewBNState(f)
			}
			p.fusionsApart = apart
			if !cl {
				return residualBlock(in[0], p, stride, true, false, false, false)
			}
			x, err := apply(&layoutKernel{toCL: true}, in[0])
			if err != nil {
				return nil, err
			}
			if x, err = residualBlock(x, p, stride, true, true, true, true); err != nil {
				return nil, err
			}
			return toChannelFirst(x)
		},
		ref: func(in [][]float64) []float64 { return refResidual(in[0], in[1:], xs, f, stride) },
	}
}

// TestResidualBlock checks the whole block, forward and the gradient of
// every input and weight, against the float64 reference: the gradient is
// that of its parts, summed over the branch and the shortcut.
func TestResidualBlock(t *testing.T) {
	for i, c := range []opCase{
		residualCase([]int{3, 2, 4, 4}, 2, 1), // identity shortcut
		residualCase([]int{3, 2, 5, 5}, 3, 2), // projection, strided, odd side
		residualCase([]int{2, 2, 4, 4}, 3, 1), // projection for the channels alone
	} {
		t.Run(c.name, func(t *testing.T) {
			runForward(t, c, uint64(1700+i))
			runGradient(t, c, uint64(1800+i))
		})
	}
}

// TestResidualBlockProjectionGrad checks the block whose first Winograd
// convolution adds the projection's input gradient into its own
// (shortcutGrad), with the block's other fusions, against the float64
// reference, and against the block with its fusions apart, to the bit:
// the two gradients are added in the same pairs either way.
func TestResidualBlockProjectionGrad(t *testing.T) {
	// The second: odd rows, and groups of several images.
	for i, xs := range [][]int{{1, 16, 8, 8}, {5, 16, 11, 12}} {
		c := residualLayoutCase(xs, 8, 2, true, false)
		t.Run(c.name, func(t *testing.T) {
			if i == 0 {
				runForward(t, c, uint64(1900+i))
				runGradient(t, c, uint64(1910+i))
			}
			fused := residualGrads(t, c, false, uint64(1920+i))
			apart := residualGrads(t, residualLayoutCase(xs, 8, 2, true, true), true, uint64(1920+i))
			for k := range fused {
				for j := range fused[k] {
					if fused[k][j] != apart[k][j] {
						t.Fatalf("dL/d(input %d)[%d] = %g fused, %g apart", k, j, fused[k][j], apart[k][j])
					}
				}
			}
		})
	}
}

// residualGrads runs case c's block once on inputs drawn from seed and
// returns the gradients of a weighted sum of its output with respect to
// every input, checking that the graph has its projection's input
// gradient apart if apart says so, else taken in.
func residualGrads(t *testing.T, c opCase, apart bool, seed uint64) [][]float32 {
	t.Helper()
	r := newRand(seed)
	g, _, nodes, y := buildCase(t, c, r)
	rn := inputNode(g, "r", y.Shape(), uniform(r, y.Shape().TotalSize(), -1, 1))
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, rn))))
	grads, err := gorgonia.Grad(loss, nodes...)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, n := range g.AllNodes() {
		if k, ok := kernelIn(n.Op()); ok {
			kinds[k.name()]++
		}
	}
	fusedOps := kinds["conv2d (projection)"] == 1 && kinds["conv2d input gradient"] == 0
	if fusedOps == apart {
		t.Fatalf("ops %v: want the projection's input gradient apart = %t", kinds, apart)
	}
	prog, err := compile(g, append(grads, loss)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := prog.run(); err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(grads))
	for k, n := range grads {
		out[k] = slices.Clone(float32s(t, prog.value(n)))
	}
	return out
}

func TestResidualBlockShapeMismatch(t *testing.T) {
	g := gorgonia.NewGraph()
	node := func(name string, shape ...int) *gorgonia.Node {
		return inputNode(g, name, shape, make([]float32, size(shape)))
	}
	// Three filters and no projection: the identity cannot be added.
	p := residualParams{
		conv1: node("c1", 3, 2, 3, 3), gamma1: node("g1", 3), beta1: node("b1", 3), bn1: NewBNState(3),
		conv2: node("c2", 3, 3, 3, 3), gamma2: node("g2", 3), beta2: node("b2", 3), bn2: NewBNState(3),
	}
	if _, err := residualBlock(node("x", 2, 2, 4, 4), p, 1, true, false, false, false); err == nil {
		t.Error("a block that changes channels without a projection was built")
	}
}

// BenchmarkBNAddReLU is the end of the photos preset's blocks at 64 px,
// channels-last, batch 64: the last two batch norms, the sum and the ReLU
// in one op (bnAddReLU) and as three (batch norm twice, AddReLU), in
// turns; the metrics are each form's median µs for the forward pass.
func BenchmarkBNAddReLU(b *testing.B) {
	r := newRand(1)
	for _, shape := range [][]int{{64, 32, 16, 16}, {64, 64, 8, 8}} {
		n, c := size(shape), shape[1]
		h, s := wrap(uniform(r, n, -1, 1), shape...), wrap(uniform(r, n, -1, 1), shape...)
		g2, b2 := wrap(uniform(r, c, 0.5, 2), c), wrap(uniform(r, c, -1, 1), c)
		gp, bp := wrap(uniform(r, c, 0.5, 2), c), wrap(uniform(r, c, -1, 1), c)
		bn := func() *batchNormOp {
			return &batchNormOp{dims: 4, training: true, cl: true, st: NewBNState(c)}
		}
		fused := opFor(&bnAddReLU{bn: bn(), bnP: bn()})
		bn2, bnP, add := bn(), bn(), opFor(&addReLU{})
		forms := []struct {
			name string
			run  func() error
		}{
			{"fused", func() error { _, err := fused.Do(h, g2, b2, s, gp, bp); return err }},
			{"apart", func() error {
				y2, err := bn2.Do(h, g2, b2)
				if err != nil {
					return err
				}
				yp, err := bnP.Do(s, gp, bp)
				if err != nil {
					return err
				}
				_, err = add.Do(y2, yp)
				return err
			}},
		}
		b.Run(fmt.Sprintf("%v", shape), func(b *testing.B) {
			µs := make([][]float64, len(forms))
			turn := 0
			for b.Loop() {
				for j := range forms {
					f := (j + turn) % len(forms)
					t0 := time.Now()
					if err := forms[f].run(); err != nil {
						b.Fatal(err)
					}
					µs[f] = append(µs[f], float64(time.Since(t0).Nanoseconds())/1e3)
				}
				turn++
			}
			for f := range forms {
				b.ReportMetric(median(µs[f]), forms[f].name+"-µs")
			}
		})
	}
}
