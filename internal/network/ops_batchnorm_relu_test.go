package network

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
)

// bnReLURun builds batch norm on x (channels-last between layout changes
// if cl) followed by a ReLU, fused into the batch norm or as an op of its
// own, and returns the output and the gradients of Σ y·r for x, γ and β.
func bnReLURun(t *testing.T, shape []int, st *BNState, training, cl, fused bool, x, gamma, beta, r []float32) [][]float32 {
	t.Helper()
	g := gorgonia.NewGraph()
	c := shape[1]
	xn := inputNode(g, "x", shape, x)
	gn := inputNode(g, "gamma", []int{c}, gamma)
	bn := inputNode(g, "beta", []int{c}, beta)
	h := xn
	var err error
	if cl {
		if h, err = apply(&layoutKernel{toCL: true}, h); err != nil {
			t.Fatal(err)
		}
	}
	if h, err = batchNormLayout(h, gn, bn, st, training, cl, fused); err != nil {
		t.Fatal(err)
	}
	if !fused {
		if h, err = ReLU(h); err != nil {
			t.Fatal(err)
		}
	}
	if cl {
		if h, err = toChannelFirst(h); err != nil {
			t.Fatal(err)
		}
	}
	y := h
	rn := inputNode(g, "r", shape, r)
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, rn))))
	wrt := gorgonia.Nodes{xn, gn, bn}
	if _, err := gorgonia.Grad(loss, wrt...); err != nil {
		t.Fatal(err)
	}
	var yv gorgonia.Value
	gorgonia.Read(y, &yv)
	m := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(wrt...))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := [][]float32{append([]float32(nil), float32s(t, yv)...)}
	for _, n := range wrt {
		d, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]float32(nil), float32s(t, d)...))
	}
	return out
}

// TestBatchNormReLUFused checks a batch norm with its ReLU fused against
// the batch norm and the ReLU op one after the other, to the bit: the
// output and the gradients for x, γ and β, in training and inference,
// channel-first and channels-last, on batches that span several of the
// fused pass's blocks and, the largest, several goroutines.
func TestBatchNormReLUFused(t *testing.T) {
	for i, tc := range []struct {
		shape        []int
		training, cl bool
	}{
		{[]int{6, 5}, true, false},
		{[]int{3, 4, 5, 7}, true, false},
		{[]int{3, 4, 5, 7}, true, true},
		{[]int{3, 4, 5, 7}, false, true},
		{[]int{4, 24, 9, 9}, true, true},   // rows of 24: blocks of whole rows
		{[]int{2, 3, 40, 40}, true, false}, // planes of 1,600: blocks within a plane
		{[]int{8, 32, 16, 16}, true, true}, // above minParallelElems
		{[]int{8, 32, 16, 16}, false, false},
	} {
		t.Run(fmt.Sprintf("x%v_training%t_cl%t", tc.shape, tc.training, tc.cl), func(t *testing.T) {
			r := newRand(uint64(700 + i))
			c, n := tc.shape[1], size(tc.shape)
			x, r2 := uniform(r, n, -2, 2), uniform(r, n, -1, 1)
			gamma, beta := uniform(r, c, 0.5, 1.5), uniform(r, c, -0.5, 0.5)
			state := func() *BNState {
				if tc.training {
					return NewBNState(c)
				}
				return runningState(uint64(i), c)
			}
			want := bnReLURun(t, tc.shape, state(), tc.training, tc.cl, false, x, gamma, beta, r2)
			got := bnReLURun(t, tc.shape, state(), tc.training, tc.cl, true, x, gamma, beta, r2)
			zeros := 0
			for _, v := range want[0] {
				if v == 0 {
					zeros++
				}
			}
			if zeros == 0 || zeros == n {
				t.Fatalf("%d of %d outputs are 0: the case does not exercise the ReLU", zeros, n)
			}
			for k, what := range []string{"output", "dL/dx", "dL/dγ", "dL/dβ"} {
				for j := range want[k] {
					if math.Float32bits(got[k][j]) != math.Float32bits(want[k][j]) {
						t.Fatalf("%s[%d]: fused %v, separate %v", what, j, got[k][j], want[k][j])
					}
				}
			}
		})
	}
}

// TestReLUAfterBatchNorm checks which ReLU layers the batch norm before
// them takes in: not one the pooling after it takes in instead.
func TestReLUAfterBatchNorm(t *testing.T) {
	bn, relu, pool, conv := Layer{Kind: KindBatchNorm}, Layer{Kind: KindReLU}, Layer{Kind: KindMaxPool, Size: 2}, Layer{Kind: KindConv, Filters: 4, Kernel: 3}
	for _, tc := range []struct {
		name   string
		layers []Layer
		i      int
		want   bool
	}{
		{"bn relu", []Layer{conv, bn, relu, conv}, 2, true},
		{"bn relu at the end", []Layer{conv, bn, relu}, 2, true},
		{"bn relu pool", []Layer{conv, bn, relu, pool}, 2, false},
		{"conv relu", []Layer{conv, relu, conv}, 1, false},
		{"relu first", []Layer{relu, conv}, 0, false},
		{"not a relu", []Layer{conv, bn, conv}, 2, false},
		{"past the end", []Layer{conv, bn}, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Spec{Layers: tc.layers}).reluAfterBatchNorm(tc.i); got != tc.want {
				t.Errorf("reluAfterBatchNorm(%d) = %t, want %t", tc.i, got, tc.want)
			}
		})
	}
}

// TestBatchNormReLUMaskFromInput checks the two ways the gradient ops of
// a channels-last batch norm with its ReLU fused take the ReLU's mask:
// from the input through the forward pass's map, when the forward pass
// has just mapped that input, or from the output, when it has not (here:
// the same values in another slice). Both must give the same bits for
// dL/dβ, dL/dγ and dL/dx, and each run must take the way it should.
func TestBatchNormReLUMaskFromInput(t *testing.T) {
	for _, shape := range [][]int{{4, 24, 9, 9}, {3, 4, 5, 7}, {8, 32, 16, 16}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			r := newRand(31)
			c, n := shape[1], size(shape)
			x, dy := uniform(r, n, -2, 2), uniform(r, n, -1, 1)
			gamma, beta := uniform(r, c, 0.5, 1.5), uniform(r, c, -0.5, 0.5)
			x[0] = float32(math.NaN())
			fwd := &batchNormOp{dims: 4, training: true, cl: true, relu: true, st: NewBNState(c)}
			yv, err := fwd.Do(wrap(x, shape...), wrap(gamma, c), wrap(beta, c))
			if err != nil {
				t.Fatal(err)
			}
			y := float32s(t, yv)
			var grads [2][3][]float32
			for way, xs := range [][]float32{x, append([]float32(nil), x...)} {
				shift := &bnGradShiftOp{fwd: fwd}
				dbeta, err := shift.Do(wrap(xs, shape...), wrap(dy, shape...), wrap(y, shape...))
				if err != nil {
					t.Fatal(err)
				}
				if fromInput := shift.maskScale != nil; fromInput != (way == 0) {
					t.Fatalf("way %d: mask from the input %t", way, fromInput)
				}
				dgamma, err := (&bnGradScaleOp{src: shift}).Do(dbeta)
				if err != nil {
					t.Fatal(err)
				}
				dx, err := (&bnGradInputOp{fwd: fwd, src: shift}).Do(wrap(xs, shape...), wrap(gamma, c), wrap(dy, shape...), dgamma, dbeta)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range []gorgonia.Value{dbeta, dgamma, dx} {
					grads[way][k] = append([]float32(nil), float32s(t, v)...)
				}
			}
			for k, what := range []string{"dL/dβ", "dL/dγ", "dL/dx"} {
				for j, want := range grads[1][k] {
					if got := grads[0][k][j]; math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%s[%d]: mask from the input %v, from the output %v", what, j, got, want)
					}
				}
			}
		})
	}
}
