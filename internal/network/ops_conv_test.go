package network

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refConv is the textbook stride-1 cross-correlation with zero padding.
func refConv(x, w []float64, xs, ws []int, pad int) []float64 {
	return refConvStride(x, w, xs, ws, pad, 1)
}

// refConvStride is the textbook cross-correlation with zero padding and
// stride.
func refConvStride(x, w []float64, xs, ws []int, pad, stride int) []float64 {
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	o, k := ws[0], ws[2]
	oh, ow := (h+2*pad-k)/stride+1, (wd+2*pad-k)/stride+1
	out := make([]float64, n*o*oh*ow)
	for i := range n {
		for oc := range o {
			for y := range oh {
				for xx := range ow {
					var s float64
					for ic := range c {
						for ki := range k {
							for kj := range k {
								iy, ix := y*stride+ki-pad, xx*stride+kj-pad
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								s += x[((i*c+ic)*h+iy)*wd+ix] * w[((oc*c+ic)*k+ki)*k+kj]
							}
						}
					}
					out[((i*o+oc)*oh+y)*ow+xx] = s
				}
			}
		}
	}
	return out
}

func convStrideCase(n, c, h, w, o, k, pad, stride int) opCase {
	xs, ws := []int{n, c, h, w}, []int{o, c, k, k}
	return opCase{
		name:   fmt.Sprintf("x%v_w%v_pad%d_stride%d", xs, ws, pad, stride),
		shapes: [][]int{xs, ws},
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			return Conv2DStride(in[0], in[1], pad, stride)
		},
		ref: func(in [][]float64) []float64 { return refConvStride(in[0], in[1], xs, ws, pad, stride) },
	}
}

func convCase(n, c, h, w, o, k, pad int) opCase {
	xs, ws := []int{n, c, h, w}, []int{o, c, k, k}
	return opCase{
		name:   fmt.Sprintf("x%v_w%v_pad%d", xs, ws, pad),
		shapes: [][]int{xs, ws},
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			return Conv2D(in[0], in[1], pad)
		},
		ref: func(in [][]float64) []float64 { return refConv(in[0], in[1], xs, ws, pad) },
	}
}

var convCases = []opCase{
	convCase(2, 3, 5, 5, 4, 3, 0),
	convCase(2, 3, 5, 5, 4, 3, 1),
	convCase(2, 3, 6, 6, 4, 3, 0),
	convCase(2, 3, 6, 6, 4, 3, 1),
	convCase(3, 2, 6, 5, 3, 3, 2), // uneven batch split, non-square image, pad wider than needed
	convCase(1, 2, 4, 4, 2, 1, 0), // 1×1 kernel
	convCase(2, 1, 6, 6, 2, 5, 1),
	convStrideCase(2, 3, 6, 6, 4, 3, 1, 2),   // windows cover the image exactly
	convStrideCase(2, 3, 7, 5, 4, 3, 1, 2),   // odd side: the last window stops short
	convStrideCase(3, 2, 8, 8, 3, 1, 0, 2),   // 1×1 projection of a residual block
	convStrideCase(2, 2, 9, 9, 2, 3, 0, 3),   // stride 3, no padding
	convStrideCase(1, 2, 5, 6, 3, 3, 2, 2),   // padding wider than the kernel's half
	convStrideCase(17, 1, 4, 4, 2, 3, 1, 2),  // more images than gradient chunks
	convStrideCase(2, 1, 64, 32, 2, 3, 1, 2), // a 32×16 output plane, 2 KiB: unfolded rows padded apart (colStride)
	convStrideCase(2, 2, 1, 5, 3, 3, 1, 2),   // one image row: kernel rows 0 and 2 read padding only
	convStrideCase(1, 1, 6, 7, 2, 3, 2, 2),   // padding 2: rows and columns of zeros on both sides
	// Six or more channels take the channels-last path (im2row):
	convCase(2, 6, 5, 5, 4, 3, 1),
	convCase(3, 8, 6, 5, 9, 3, 2),
	convStrideCase(2, 6, 7, 5, 4, 3, 1, 2),
	convStrideCase(3, 16, 6, 6, 5, 1, 0, 2), // 1×1 projection
	convStrideCase(2, 9, 9, 9, 3, 3, 0, 3),
	convStrideCase(17, 6, 4, 4, 3, 3, 1, 1),
}

func TestConv2DForward(t *testing.T) {
	for i, c := range convCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(100+i)) })
	}
}

func TestConv2DGradient(t *testing.T) {
	for i, c := range convCases {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(200+i)) })
	}
}

// TestConv2DHandComputed checks a 1-channel 3×3 image against a 2×2 kernel
// of ones: each output is the sum of a 2×2 window.
func TestConv2DHandComputed(t *testing.T) {
	g := gorgonia.NewGraph()
	x := inputNode(g, "x", []int{1, 1, 3, 3}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9})
	w := inputNode(g, "w", []int{1, 1, 2, 2}, []float32{1, 1, 1, 1})
	for _, tc := range []struct {
		pad  int
		want []float64
	}{
		{0, []float64{12, 16, 24, 28}},
		{1, []float64{1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9}},
	} {
		y, err := Conv2D(x, w, tc.pad)
		if err != nil {
			t.Fatal(err)
		}
		m := gorgonia.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		checkClose(t, fmt.Sprintf("pad %d", tc.pad), float32s(t, y.Value()), tc.want, 0)
		m.Close()
	}
}

// TestConv2DBackwardWithoutForward runs the gradient ops on an input the
// forward op never saw: the kernel gradient must rebuild its columns.
func TestConv2DBackwardWithoutForward(t *testing.T) {
	r := newRand(5)
	xs, ws := []int{2, 3, 5, 5}, []int{4, 3, 3, 3}
	x, w := uniform(r, size(xs), -1, 1), uniform(r, size(ws), -1, 1)
	other := uniform(r, size(xs), -1, 1)
	dy := uniform(r, 2*4*5*5, -1, 1)
	fwd, _, gw := convOps(1, 1, 3)
	if _, err := fwd.Do(wrap(other, xs...), wrap(w, ws...)); err != nil {
		t.Fatal(err)
	}
	got, err := gw.Do(wrap(x, xs...), wrap(dy, 2, 4, 5, 5))
	if err != nil {
		t.Fatal(err)
	}
	// dL/dw of L = Σ conv(x, w)·dy, by finite differences of the reference.
	x64, dy64 := to64(x), to64(dy)
	loss := func(in [][]float64) float64 {
		var s float64
		for i, v := range refConv(x64, in[0], xs, ws, 1) {
			s += v * dy64[i]
		}
		return s
	}
	checkClose(t, "dL/dw", float32s(t, got), fdGrad([][]float64{to64(w)}, 0, loss), 2e-4)
}

// TestConv2DStrideHandComputed: a 2×2 kernel of ones at stride 2 over a
// 4×4 image sums its four disjoint 2×2 blocks.
func TestConv2DStrideHandComputed(t *testing.T) {
	fwd, _, _ := convOps(0, 2, 2)
	y, err := fwd.Do(wrap([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 1, 4, 4), wrap([]float32{1, 1, 1, 1}, 1, 1, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "y", float32s(t, y), []float64{14, 22, 46, 54}, 0)
}

func TestConv2DShapeErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	node := func(name string, shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(g, tensor.Float32, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
	}
	x := node("x", 2, 3, 5, 5)
	for _, tc := range []struct {
		name string
		x, w *gorgonia.Node
		pad  int
	}{
		{"channel mismatch", x, node("w1", 4, 2, 3, 3), 1},
		{"non-square kernel", x, node("w2", 4, 3, 3, 2), 1},
		{"kernel larger than input", x, node("w3", 4, 3, 7, 7), 0},
		{"negative pad", x, node("w4", 4, 3, 3, 3), -1},
		{"3-D input", node("x3", 3, 5, 5), node("w5", 4, 3, 3, 3), 1},
	} {
		if _, err := Conv2D(tc.x, tc.w, tc.pad); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if _, err := Conv2DStride(x, node("w6", 4, 3, 3, 3), 1, 0); err == nil {
		t.Error("stride 0: no error")
	}
}

// TestConv2DNodesNotMerged builds the same convolution twice: gorgonia
// merges nodes with equal hashes, and each of these owns its own caches.
func TestConv2DNodesNotMerged(t *testing.T) {
	r := newRand(9)
	g := gorgonia.NewGraph()
	xs, ws := []int{1, 2, 4, 4}, []int{3, 2, 3, 3}
	x := inputNode(g, "x", xs, uniform(r, size(xs), -1, 1))
	w := inputNode(g, "w", ws, uniform(r, size(ws), -1, 1))
	y1, err := Conv2D(x, w, 1)
	if err != nil {
		t.Fatal(err)
	}
	y2, err := Conv2D(x, w, 1)
	if err != nil {
		t.Fatal(err)
	}
	if y1 == y2 || y1.Op() == y2.Op() {
		t.Fatal("two Conv2D calls were merged into one node")
	}
	if y1.Op().Hashcode() == y2.Op().Hashcode() {
		t.Error("two conv op instances have equal hashes")
	}
	if h := y1.Op().Hashcode(); h != y1.Op().Hashcode() {
		t.Error("op hash changes between calls")
	}
	if y1.Op().String() != y2.Op().String() {
		t.Errorf("equal convolutions print differently: %v, %v", y1.Op(), y2.Op())
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := refConv(to64(float32s(t, x.Value())), to64(float32s(t, w.Value())), xs, ws, 1)
	checkClose(t, "first", float32s(t, y1.Value()), want, 1e-5)
	checkClose(t, "second", float32s(t, y2.Value()), want, 1e-5)
}

// BenchmarkConv2DLayer is forward and backward (input and kernel
// gradients) of the default tower's second convolution at batch 64:
// 64×32×14×14 input, 64×32×3×3 kernel, pad 1.
func BenchmarkConv2DLayer(b *testing.B) {
	r := newRand(1)
	const n, c, h, o = 64, 32, 14, 64
	x := wrap(uniform(r, n*c*h*h, -1, 1), n, c, h, h)
	w := wrap(uniform(r, o*c*9, -0.1, 0.1), o, c, 3, 3)
	dy := wrap(uniform(r, n*o*h*h, -1, 1), n, o, h, h)
	fwd, gx, gw := convOps(1, 1, 3)
	step := func() {
		if _, err := fwd.Do(x, w); err != nil {
			b.Fatal(err)
		}
		if _, err := gx.Do(w, dy); err != nil {
			b.Fatal(err)
		}
		if _, err := gw.Do(x, dy); err != nil {
			b.Fatal(err)
		}
	}
	step() // allocate the op buffers outside the measurement
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "images/s")
}

// TestOpsReusedAcrossShapes runs one instance of each conv and pool op on
// a sequence of input shapes, larger and smaller, and compares every result
// with that of a fresh instance: buffers kept from a larger shape must not
// leak stale values into a smaller one.
func TestOpsReusedAcrossShapes(t *testing.T) {
	r := newRand(17)
	conv, gx, gw := convOps(1, 1, 3)
	pool := &maxPool2DOp{size: 2}
	pg := &maxPoolGradOp{fwd: pool}
	for step, xs := range [][]int{{3, 2, 7, 6}, {2, 2, 4, 5}, {1, 2, 3, 3}, {3, 2, 7, 6}} {
		ws := []int{3, 2, 3, 3}
		ys := []int{xs[0], 3, xs[2], xs[3]}
		ps := []int{xs[0], xs[1], xs[2] / 2, xs[3] / 2}
		x := wrap(uniform(r, size(xs), -1, 1), xs...)
		w := wrap(uniform(r, size(ws), -1, 1), ws...)
		dy := wrap(uniform(r, size(ys), -1, 1), ys...)
		dp := wrap(uniform(r, size(ps), -1, 1), ps...)

		fresh, freshGx, freshGw := convOps(1, 1, 3)
		for _, tc := range []struct {
			name        string
			reused, new func() (gorgonia.Value, error)
		}{
			{"conv", func() (gorgonia.Value, error) { return conv.Do(x, w) }, func() (gorgonia.Value, error) { return fresh.Do(x, w) }},
			{"conv input gradient", func() (gorgonia.Value, error) { return gx.Do(w, dy) }, func() (gorgonia.Value, error) { return freshGx.Do(w, dy) }},
			{"conv kernel gradient", func() (gorgonia.Value, error) { return gw.Do(x, dy) }, func() (gorgonia.Value, error) { return freshGw.Do(x, dy) }},
			{"maxpool", func() (gorgonia.Value, error) { return pool.Do(x) }, func() (gorgonia.Value, error) { return (&maxPool2DOp{size: 2}).Do(x) }},
			{"maxpool gradient", func() (gorgonia.Value, error) { return pg.Do(x, dp) }, func() (gorgonia.Value, error) { return (&maxPoolGradOp{fwd: &maxPool2DOp{size: 2}}).Do(x, dp) }},
		} {
			got, err := tc.reused()
			if err != nil {
				t.Fatalf("step %d %s: %v", step, tc.name, err)
			}
			want, err := tc.new()
			if err != nil {
				t.Fatalf("step %d %s (fresh): %v", step, tc.name, err)
			}
			if !got.Shape().Eq(want.Shape()) {
				t.Fatalf("step %d %s: shape %v, want %v", step, tc.name, got.Shape(), want.Shape())
			}
			checkClose(t, fmt.Sprintf("step %d %s", step, tc.name), float32s(t, got), to64(float32s(t, want)), 0)
		}
	}
}

// ExampleConv2D slides a 2×2 kernel of ones over a 3×3 image: each output
// is the sum of one 2×2 window.
func ExampleConv2D() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}))))
	w := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithName("w"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float32{1, 1, 1, 1}))))
	y, err := Conv2D(x, w, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape(), y.Value().Data())
	// Output: (1, 1, 2, 2) [12 16 24 28]
}

// TestConv2DAdjoint checks the two gradient ops against the forward op on
// shapes too large for finite differences, through the identities that
// define them: for any x, w and dy,
//
//	<conv(x, w), dy> = <x, dL/dx(w, dy)> = <w, dL/dw(x, dy)>.
//
// The shapes make the channels-last path share products among groups of
// images with a remainder, and sum more images than gradient chunks.
func TestConv2DAdjoint(t *testing.T) {
	cases := []struct{ n, c, h, o, k, pad, stride int }{
		{3, 32, 10, 4, 3, 1, 1},  // two images per product, then one
		{20, 16, 9, 8, 3, 1, 2},  // more images than chunks
		{5, 64, 4, 8, 3, 1, 1},   // the smallest plane of the photos preset
		{18, 8, 6, 4, 1, 0, 2},   // 1×1 projection
		{4, 1, 28, 8, 3, 1, 1},   // the default tower's first layer (channel-first)
		{3, 3, 16, 8, 3, 1, 2},   // a colour stem (channel-first)
		{2, 128, 4, 16, 3, 1, 1}, // wide enough for the 8×8 transposes
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			r := newRand(uint64(tc.n*100 + tc.c))
			oh := (tc.h+2*tc.pad-tc.k)/tc.stride + 1
			x := wrap(uniform(r, tc.n*tc.c*tc.h*tc.h, -1, 1), tc.n, tc.c, tc.h, tc.h)
			w := wrap(uniform(r, tc.o*tc.c*tc.k*tc.k, -1, 1), tc.o, tc.c, tc.k, tc.k)
			dy := wrap(uniform(r, tc.n*tc.o*oh*oh, -1, 1), tc.n, tc.o, oh, oh)
			fwd, gx, gw := convOps(tc.pad, tc.stride, tc.k)
			rem := (tc.h + 2*tc.pad - tc.k) % tc.stride
			gx.k.(*conv2DGradInput).rem = [2]int{rem, rem}
			y, err := fwd.Do(x, w)
			if err != nil {
				t.Fatal(err)
			}
			dx, err := gx.Do(w, dy)
			if err != nil {
				t.Fatal(err)
			}
			dw, err := gw.Do(x, dy)
			if err != nil {
				t.Fatal(err)
			}
			dot := func(a, b any) float64 {
				var s float64
				for i, v := range a.([]float32) {
					s += float64(v) * float64(b.([]float32)[i])
				}
				return s
			}
			want := dot(y.Data(), dy.Data())
			for name, got := range map[string]float64{
				"<x, dL/dx>": dot(x.Data(), dx.Data()),
				"<w, dL/dw>": dot(w.Data(), dw.Data()),
			} {
				if diff := got - want; diff > 1e-4*(1+abs64(want)) || -diff > 1e-4*(1+abs64(want)) {
					t.Errorf("%s = %.6f, <conv(x), dy> = %.6f", name, got, want)
				}
			}
		})
	}
}

func abs64(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestSumOverChunks checks that a sum over chunks gives the same bits on
// one worker, which adds each chunk as it goes, as on several, which keep
// every partial: the terms are floats of mixed magnitudes, whose sum
// depends on the order of the additions. It also checks the sum itself
// against float64 and that an empty chunk counts as zero.
func TestSumOverChunks(t *testing.T) {
	r := newRand(5)
	for _, tc := range []struct{ n, chunks, size int }{{64, 16, 37}, {5, 16, 8}, {3, 3, 1}, {100, 7, 64}} {
		t.Run(fmt.Sprintf("n%d_chunks%d_size%d", tc.n, tc.chunks, tc.size), func(t *testing.T) {
			terms := uniform(r, tc.n*tc.size, -1, 1)
			for i := range terms {
				if i%3 == 0 {
					terms[i] *= 1e4
				}
			}
			fn := func(_ int, sum []float32, lo, hi int) {
				clear(sum)
				for i := lo; i < hi; i++ {
					for j := range sum {
						sum[j] += terms[i*tc.size+j]
					}
				}
			}
			var runs [][]float32
			for _, workers := range []int{1, 2, 3} {
				var partial []float32
				runs = append(runs, append([]float32(nil), sumOverChunks(tc.n, tc.chunks, workers, tc.size, &partial, fn)...))
			}
			for j := range tc.size {
				var want float64
				for i := range tc.n {
					want += float64(terms[i*tc.size+j])
				}
				if !close32(runs[0][j], want, 1e-5) {
					t.Fatalf("sum[%d] = %v, want %v", j, runs[0][j], want)
				}
				for w, run := range runs[1:] {
					if math.Float32bits(run[j]) != math.Float32bits(runs[0][j]) {
						t.Fatalf("sum[%d]: %v on %d workers, %v on one", j, run[j], w+2, runs[0][j])
					}
				}
			}
		})
	}
}
