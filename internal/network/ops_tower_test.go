package network

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// towerNodes are the weights of a conv-ReLU-pool(2)-…-dense tower.
type towerNodes struct {
	convs       []*gorgonia.Node // each O×C×3×3, pad 1
	dense, bias *gorgonia.Node
}

func (tw towerNodes) all() gorgonia.Nodes {
	return append(append(gorgonia.Nodes{}, tw.convs...), tw.dense, tw.bias)
}

func applyTower(x *gorgonia.Node, tw towerNodes) (*gorgonia.Node, error) {
	var err error
	for _, w := range tw.convs {
		if x, err = Conv2D(x, w, 1); err != nil {
			return nil, err
		}
		if x, err = ReLU(x); err != nil {
			return nil, err
		}
		if x, err = MaxPool2D(x, 2); err != nil {
			return nil, err
		}
	}
	return Dense(x, tw.dense, tw.bias)
}

// pairLoss builds Σ_i Distance(tower_a(xa), tower_b(xb)) on g.
func pairLoss(xa, xb *gorgonia.Node, a, b towerNodes) (*gorgonia.Node, error) {
	ea, err := applyTower(xa, a)
	if err != nil {
		return nil, err
	}
	eb, err := applyTower(xb, b)
	if err != nil {
		return nil, err
	}
	d, err := Distance(ea, eb, 1e-6)
	if err != nil {
		return nil, err
	}
	return gorgonia.Sum(d)
}

// The small tower of TestTowerSharedWeights: 1×6×6 images, one conv layer
// of 2 channels, dense 18 → 4.
var smallTower = struct {
	n       int
	x, conv []int
	dense   []int
	bias    []int
}{n: 2, x: []int{2, 1, 6, 6}, conv: []int{2, 1, 3, 3}, dense: []int{18, 4}, bias: []int{4}}

// refSmallTowerLoss is the float64 reference of pairLoss on the small
// tower: w = conv, dense, bias.
func refSmallTowerLoss(xa, xb []float64, w [][]float64) float64 {
	s := smallTower
	embed := func(x []float64) []float64 {
		h := refConv(x, w[0], s.x, s.conv, 1)
		for i, v := range h {
			h[i] = max(v, 0)
		}
		h = refMaxPool(h, []int{s.n, s.conv[0], 6, 6}, 2)
		return refDense(h, w[1], w[2], s.n, s.dense[0], s.dense[1])
	}
	var loss float64
	for _, d := range refDistance(embed(xa), embed(xb), s.n, s.dense[1], 1e-6) {
		loss += d
	}
	return loss
}

// TestTowerSharedWeights checks weight sharing end to end: with one set of
// weight nodes used by both branches, the gradient equals the sum of the
// gradients of a graph whose branches have separate copies of the same
// weights, and matches finite differences of the float64 reference, where
// a step in a weight moves both branches at once. Two steps with different
// inputs run on the same machines.
func TestTowerSharedWeights(t *testing.T) {
	s := smallTower
	r := newRand(21)
	shapes := [][]int{s.conv, s.dense, s.bias}
	w := make([][]float32, len(shapes))
	for i, sh := range shapes {
		w[i] = uniform(r, size(sh), -0.5, 0.5)
	}
	xa, xb := uniform(r, size(s.x), 0, 1), uniform(r, size(s.x), 0, 1)

	newWeights := func(g *gorgonia.ExprGraph, prefix string) towerNodes {
		n := make([]*gorgonia.Node, len(shapes))
		for i, sh := range shapes {
			n[i] = inputNode(g, fmt.Sprintf("%s%d", prefix, i), sh, w[i])
		}
		return towerNodes{convs: n[:1], dense: n[1], bias: n[2]}
	}
	build := func(shared bool) (gorgonia.VM, []gorgonia.Nodes) {
		g := gorgonia.NewGraph()
		na, nb := inputNode(g, "xa", s.x, xa), inputNode(g, "xb", s.x, xb)
		wa := newWeights(g, "wa")
		wb := wa
		if !shared {
			wb = newWeights(g, "wb")
		}
		loss, err := pairLoss(na, nb, wa, wb)
		if err != nil {
			t.Fatal(err)
		}
		wrt := wa.all()
		if !shared {
			wrt = append(wrt, wb.all()...)
		}
		if _, err := gorgonia.Grad(loss, wrt...); err != nil {
			t.Fatal(err)
		}
		sets := []gorgonia.Nodes{wa.all()}
		if !shared {
			sets = append(sets, wb.all())
		}
		return gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(wrt...)), sets
	}
	sharedVM, sharedW := build(true)
	defer sharedVM.Close()
	splitVM, splitW := build(false)
	defer splitVM.Close()

	grads := func(t *testing.T, vm gorgonia.VM, nodes gorgonia.Nodes) [][]float32 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		out := make([][]float32, len(nodes))
		for i, n := range nodes {
			gv, err := n.Grad()
			if err != nil {
				t.Fatal(err)
			}
			out[i] = append([]float32(nil), float32s(t, gv)...)
			gv.(tensor.Tensor).Zero()
		}
		return out
	}
	for step := range 2 {
		if step > 0 {
			copy(xa, uniform(r, len(xa), 0, 1))
			copy(xb, uniform(r, len(xb), 0, 1))
		}
		shared := grads(t, sharedVM, sharedW[0])
		split := grads(t, splitVM, append(append(gorgonia.Nodes{}, splitW[0]...), splitW[1]...))
		branchA, branchB := split[:len(shapes)], split[len(shapes):]

		xa64, xb64 := to64(xa), to64(xb)
		w64 := all64(w)
		loss := func(w [][]float64) float64 { return refSmallTowerLoss(xa64, xb64, w) }
		for i := range shapes {
			sum := make([]float64, len(shared[i]))
			var normA, normB float64
			for j := range sum {
				sum[j] = float64(branchA[i][j]) + float64(branchB[i][j])
				normA += float64(branchA[i][j]) * float64(branchA[i][j])
				normB += float64(branchB[i][j]) * float64(branchB[i][j])
			}
			what := fmt.Sprintf("step %d weight %d", step, i)
			if normA == 0 || normB == 0 {
				t.Fatalf("%s: a branch contributes no gradient (|dA|²=%g, |dB|²=%g); the test would not tell one branch from two", what, normA, normB)
			}
			checkClose(t, what+" shared vs branch sum", shared[i], sum, 1e-5)
			checkClose(t, what+" shared vs finite differences", shared[i], fdGrad(w64, i, loss), 2e-4)
		}
	}
}

// defaultTowerGraph is the default tower on both sides of a batch of n
// pairs (28×28 inputs), loss Σ distances, gradients for the shared weights.
func defaultTowerGraph(tb testing.TB, n int) gorgonia.VM {
	r := newRand(3)
	g := gorgonia.NewGraph()
	xs := []int{n, 1, 28, 28}
	xa := inputNode(g, "xa", xs, uniform(r, size(xs), 0, 1))
	xb := inputNode(g, "xb", xs, uniform(r, size(xs), 0, 1))
	weight := func(name string, fanIn int, shape ...int) *gorgonia.Node {
		bound := float32(1 / math.Sqrt(float64(fanIn)))
		return inputNode(g, name, shape, uniform(r, size(shape), -bound, bound))
	}
	tw := towerNodes{
		convs: []*gorgonia.Node{weight("conv1", 9, 32, 1, 3, 3), weight("conv2", 288, 64, 32, 3, 3)},
		dense: weight("dense", 3136, 3136, 128),
		bias:  weight("bias", 3136, 128),
	}
	loss, err := pairLoss(xa, xb, tw, tw)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := gorgonia.Grad(loss, tw.all()...); err != nil {
		tb.Fatal(err)
	}
	return gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(tw.all()...))
}

// BenchmarkTowerStep is one training step's forward and backward pass of
// the default tower on a batch of 64 pairs (two towers of 64 images
// sharing weights), through gorgonia's TapeMachine.
func BenchmarkTowerStep(b *testing.B) {
	const pairs = 64
	vm := defaultTowerGraph(b, pairs)
	defer vm.Close()
	if err := vm.RunAll(); err != nil { // warm: op buffers are allocated here
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*pairs)/b.Elapsed().Seconds(), "pairs/s")
}
