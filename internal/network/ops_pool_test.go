package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

func refMaxPool(x []float64, xs []int, size int) []float64 {
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	oh, ow := h/size, w/size
	out := make([]float64, 0, n*c*oh*ow)
	for p := range n * c {
		plane := x[p*h*w : (p+1)*h*w]
		for y := range oh {
			for xx := range ow {
				best := math.Inf(-1)
				for dy := range size {
					for dx := range size {
						best = max(best, plane[(y*size+dy)*w+xx*size+dx])
					}
				}
				out = append(out, best)
			}
		}
	}
	return out
}

func poolCase(xs []int, size int) opCase {
	return opCase{
		name:   fmt.Sprintf("x%v_size%d", xs, size),
		shapes: [][]int{xs},
		fill:   func(r *rand.Rand, _, n int) []float32 { return distinct(r, n) },
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			return MaxPool2D(in[0], size)
		},
		ref: func(in [][]float64) []float64 { return refMaxPool(in[0], xs, size) },
	}
}

var poolCases = []opCase{
	poolCase([]int{2, 3, 5, 5}, 2), // odd: last row and column dropped
	poolCase([]int{2, 3, 6, 6}, 2),
	poolCase([]int{3, 2, 7, 8}, 3),
	poolCase([]int{1, 2, 3, 3}, 1),
}

func TestMaxPool2DForward(t *testing.T) {
	for i, c := range poolCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(300+i)) })
	}
}

func TestMaxPool2DGradient(t *testing.T) {
	for i, c := range poolCases {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(400+i)) })
	}
}

// TestMaxPool2DHandComputed pools a 3×5 plane by 2: the third row and the
// fifth column are dropped, the gradient lands on each window's maximum and
// ties go to the first element in row-major order.
func TestMaxPool2DHandComputed(t *testing.T) {
	x := []float32{
		1, 5, 2, 2, 9,
		3, 4, 2, 0, 9,
		9, 9, 9, 9, 9,
	}
	op := &maxPool2DOp{size: 2}
	y, err := op.Do(wrap(x, 1, 1, 3, 5))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "pooled", float32s(t, y), []float64{5, 2}, 0)
	dx, err := (&maxPoolGradOp{fwd: op}).Do(wrap(x, 1, 1, 3, 5), wrap([]float32{10, 20}, 1, 1, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "gradient", float32s(t, dx), []float64{
		0, 10, 20, 0, 0,
		0, 0, 0, 0, 0,
		0, 0, 0, 0, 0,
	}, 0)
}

// TestMaxPool2DBackwardWithoutForward feeds the gradient op an input that
// forward never pooled: it must recompute the argmax, and must not touch
// forward's output, which may still be in use.
func TestMaxPool2DBackwardWithoutForward(t *testing.T) {
	r := newRand(11)
	xs := []int{2, 2, 4, 4}
	seen, x := distinct(r, size(xs)), distinct(r, size(xs))
	op := &maxPool2DOp{size: 2}
	y, err := op.Do(wrap(seen, xs...))
	if err != nil {
		t.Fatal(err)
	}
	pooled := append([]float32(nil), float32s(t, y)...)
	dy := uniform(r, 2*2*2*2, -1, 1)
	dx, err := (&maxPoolGradOp{fwd: op}).Do(wrap(x, xs...), wrap(dy, 2, 2, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	dy64 := to64(dy)
	loss := func(in [][]float64) float64 {
		var s float64
		for i, v := range refMaxPool(in[0], xs, 2) {
			s += v * dy64[i]
		}
		return s
	}
	checkClose(t, "dL/dx", float32s(t, dx), fdGrad([][]float64{to64(x)}, 0, loss), 2e-4)
	checkClose(t, "forward output after backward", float32s(t, y), to64(pooled), 0)
}

func TestMaxPool2DShapeErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	for _, tc := range []struct {
		name  string
		shape []int
		size  int
	}{
		{"window larger than input", []int{1, 1, 3, 3}, 4},
		{"zero window", []int{1, 1, 3, 3}, 0},
		{"2-D input", []int{3, 3}, 2},
	} {
		x := gorgonia.NewTensor(g, tensor.Float32, len(tc.shape), gorgonia.WithShape(tc.shape...), gorgonia.WithName(tc.name))
		if _, err := MaxPool2D(x, tc.size); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func reluPoolCase(xs []int, size int, fill func(r *rand.Rand, n int) []float32) opCase {
	return opCase{
		name:   fmt.Sprintf("relu_x%v_size%d", xs, size),
		shapes: [][]int{xs},
		fill:   func(r *rand.Rand, _, n int) []float32 { return fill(r, n) },
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			return reluMaxPool2D(in[0], size)
		},
		ref: func(in [][]float64) []float64 {
			x := make([]float64, len(in[0]))
			for i, v := range in[0] {
				x[i] = max(v, 0)
			}
			return refMaxPool(x, xs, size)
		},
	}
}

// negativeHeavy is distinct values mostly below zero, so that many windows
// are dead (maximum ≤ 0) and the fused gradient must leave them at zero.
func negativeHeavy(r *rand.Rand, n int) []float32 {
	v := distinct(r, n)
	for i := range v {
		v[i] -= float32(n)*0.003 + 0.005
	}
	return v
}

// offZero is distinct shifted by half a step, so no value sits at ReLU's
// kink, where a finite difference would see half a slope.
func offZero(r *rand.Rand, n int) []float32 {
	v := distinct(r, n)
	for i := range v {
		v[i] += 0.005
	}
	return v
}

var reluPoolCases = []opCase{
	reluPoolCase([]int{2, 3, 5, 5}, 2, offZero),
	reluPoolCase([]int{2, 3, 6, 6}, 2, negativeHeavy),
	reluPoolCase([]int{3, 2, 7, 8}, 3, offZero),
	reluPoolCase([]int{3, 2, 7, 8}, 3, negativeHeavy),
	reluPoolCase([]int{1, 2, 3, 3}, 1, offZero),
}

func TestReLUMaxPool2DForward(t *testing.T) {
	for i, c := range reluPoolCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(500+i)) })
	}
}

func TestReLUMaxPool2DGradient(t *testing.T) {
	for i, c := range reluPoolCases {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(600+i)) })
	}
}

// TestReLUMaxPool2DMatchesUnfused compares the fused op bit for bit with
// ReLU followed by MaxPool2D, including ties, zeros and -0, for both the
// output and the gradient.
func TestReLUMaxPool2DMatchesUnfused(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	x := []float32{
		1, 1, negZero, 0, -3, -1, 2, 2,
		-2, 1, 0, negZero, -1, -1, 0.5, 2,
		0, 0, 3, -4, 7, 7, -5, 6,
		0, 0, 3, 3, 7, 7, 6, -6,
	}
	dy := []float32{10, 20, 30, 40, 50, 60, 70, 80}
	for _, size := range []int{2, 4} {
		xs := []int{1, 1, 4, 8}
		oh, ow := 4/size, 8/size
		dyv := dy[:oh*ow]
		fused := &maxPool2DOp{size: size, relu: true}
		yf, err := fused.Do(wrap(x, xs...))
		if err != nil {
			t.Fatal(err)
		}
		dxf, err := opFor(&reluPoolGradOp{size: size}).Do(wrap(x, xs...), yf, wrap(dyv, 1, 1, oh, ow))
		if err != nil {
			t.Fatal(err)
		}
		r, err := (&relu{}).forward([][]float32{x}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		plain := &maxPool2DOp{size: size}
		yp, err := plain.Do(wrap(r, xs...))
		if err != nil {
			t.Fatal(err)
		}
		dr, err := (&maxPoolGradOp{fwd: plain}).Do(wrap(r, xs...), wrap(dyv, 1, 1, oh, ow))
		if err != nil {
			t.Fatal(err)
		}
		dxp, err := (&reluGrad{}).forward([][]float32{r, float32s(t, dr)}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range float32s(t, yf) {
			if math.Float32bits(v) != math.Float32bits(float32s(t, yp)[i]) {
				t.Errorf("size %d: output %d = %v, unfused %v", size, i, v, float32s(t, yp)[i])
			}
		}
		for i, v := range float32s(t, dxf) {
			if math.Float32bits(v) != math.Float32bits(dxp[i]) {
				t.Errorf("size %d: gradient %d = %v, unfused %v", size, i, v, dxp[i])
			}
		}
	}
}

// TestReLUPool2MatchesPlanes compares the whole-image 2×2 forms (vector
// pair maxima, then rows) bit for bit with the plane-by-plane ones, on
// images of several channels whose values come from a small set, so that
// ties within windows, ±0 and all-negative windows are common.
func TestReLUPool2MatchesPlanes(t *testing.T) {
	values := []float32{0, float32(math.Copysign(0, -1)), 1, 2, -1, -3, 0.5}
	for _, tc := range []struct{ c, h, w int }{{1, 2, 2}, {3, 4, 6}, {32, 28, 28}, {5, 14, 14}, {2, 6, 34}} {
		t.Run(fmt.Sprintf("%dx%dx%d", tc.c, tc.h, tc.w), func(t *testing.T) {
			g := poolGeometry{n: 1, c: tc.c, h: tc.h, w: tc.w, size: 2, oh: tc.h / 2, ow: tc.w / 2}
			if !g.evenPairs() {
				t.Fatal("geometry should take the whole-image path")
			}
			r := newRand(uint64(tc.c*100 + tc.w))
			x := make([]float32, tc.c*tc.h*tc.w)
			for i := range x {
				x[i] = values[r.IntN(len(values))]
			}
			dy := uniform(r, tc.c*g.outPlane(), -1, 1)
			want, got := make([]float32, len(dy)), make([]float32, len(dy))
			for p := 0; p < tc.c; p++ {
				reluPoolPlane2(want[p*g.outPlane():(p+1)*g.outPlane()], x[p*g.inPlane():(p+1)*g.inPlane()], g)
			}
			h, gh := make([]float32, len(x)/2), make([]float32, len(x)/2)
			reluPool2(got, x, h, g)
			sameBits(t, "forward", got, want)

			wantDx, gotDx := make([]float32, len(x)), uniform(r, len(x), 5, 6)
			for p := 0; p < tc.c; p++ {
				in, o := p*g.inPlane(), p*g.outPlane()
				reluPoolGradPlane2(wantDx[in:in+g.inPlane()], x[in:in+g.inPlane()], want[o:o+g.outPlane()], dy[o:o+g.outPlane()], g)
			}
			linalg.MaxPairs(h, x)
			reluPoolGrad2(gotDx, x, want, dy, h, gh, g)
			sameBits(t, "gradient", gotDx, wantDx)
		})
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}
