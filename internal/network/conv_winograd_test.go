package network

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
)

// clConvCase is a convolution run channels-last, in the Winograd form
// where it applies, between layout changes, so that its input and output
// are channel-first for the reference.
func clConvCase(n, c, h, w, o, k, pad, stride int) opCase {
	xs, ws := []int{n, c, h, w}, []int{o, c, k, k}
	return opCase{
		name:   fmt.Sprintf("x%v_w%v_pad%d_stride%d", xs, ws, pad, stride),
		shapes: [][]int{xs, ws},
		build: func(in gorgonia.Nodes) (*gorgonia.Node, error) {
			x, err := apply(&layoutKernel{toCL: true}, in[0])
			if err != nil {
				return nil, err
			}
			if x, err = conv2DLayout(x, in[1], pad, stride, true, true, true); err != nil {
				return nil, err
			}
			return toChannelFirst(x)
		},
		ref: func(in [][]float64) []float64 { return refConvStride(in[0], in[1], xs, ws, pad, stride) },
	}
}

// f4 loosens a case's forward check for F(4×4,3×3), whose transforms
// scale terms by up to 8 before they are added (see
// internal/linalg/winograd4.go): about 1e-6 of the terms' magnitude,
// which on 16 channels is 2e-5 of an output near 1.
func f4(c opCase) opCase {
	c.tol = 1e-4
	return c
}

// clConvTileCase is clConvCase with a 3×3 kernel and padding 1 and the
// Winograd form forced by tile (conv2D.tile): at stride 1 the output tile
// whatever winogradTile would choose, at stride 2 the Winograd form where
// stride2Pays would not take it.
func clConvTileCase(n, c, h, w, o, stride, tile int) opCase {
	oc := clConvCase(n, c, h, w, o, 3, 1, stride)
	oc.name = fmt.Sprintf("%s_tile%d", oc.name, tile)
	oc.build = func(in gorgonia.Nodes) (*gorgonia.Node, error) {
		x, err := apply(&layoutKernel{toCL: true}, in[0])
		if err != nil {
			return nil, err
		}
		if x, err = apply(&conv2D{pad: 1, stride: stride, inCL: true, outCL: true, winograd: true, tile: tile}, x, in[1]); err != nil {
			return nil, err
		}
		return toChannelFirst(x)
	}
	return oc
}

var winogradCases = []opCase{
	clConvCase(2, 8, 6, 6, 5, 3, 1, 1),       // even plane: outputs in place
	f4(clConvCase(3, 6, 5, 7, 4, 3, 1, 1)),   // odd sides: F(4×4) through the tiled copy
	clConvCase(2, 16, 2, 2, 8, 3, 1, 1),      // one tile
	clConvCase(1, 8, 1, 3, 3, 3, 1, 1),       // a plane one pixel high
	f4(clConvCase(17, 6, 4, 4, 3, 3, 1, 1)),  // 17 images in one group, one F(4×4) tile each
	f4(clConvCase(2, 8, 8, 8, 5, 3, 1, 1)),   // F(4×4): two tiles a side
	f4(clConvCase(3, 16, 4, 12, 8, 3, 1, 1)), // F(4×4): a row of three tiles
	clConvCase(2, 8, 6, 6, 5, 3, 1, 2),       // stride 2, 3×3 outputs: the unfolded form (stride2Pays)
	clConvTileCase(2, 8, 6, 6, 5, 2, 2),      // the same forced to Winograd: through the tiled copy
	clConvCase(2, 16, 8, 8, 8, 3, 1, 2),      // stride 2: 2×2 tiles of 2×2 outputs, in place
	clConvTileCase(3, 8, 7, 5, 4, 2, 2),      // stride 2, odd sides: the last window stops short
	clConvTileCase(1, 8, 1, 4, 3, 2, 2),      // stride 2 on a plane one pixel high
	clConvCase(2, 8, 7, 7, 5, 3, 1, 3),       // stride 3: the direct form
	f4(clConvTileCase(2, 8, 5, 7, 4, 1, 4)),  // F(4×4) forced on odd sides: through the tiled copy
	f4(clConvTileCase(1, 16, 6, 6, 8, 1, 4)), // F(4×4) forced where a quarter of the products are wasted
	clConvTileCase(2, 8, 8, 8, 5, 1, 2),      // F(2×2) forced on whole 4×4 tiles
	clConvCase(2, 8, 6, 6, 5, 3, 0, 1),       // unpadded: the direct form
}

// TestWinogradRule checks which convolutions take the Winograd form: a
// 3×3 kernel at stride 1 and padding 1, channels-last both sides, on
// enough channels for the channels-last path, and not when a test asks
// for the direct form.
func TestWinogradRule(t *testing.T) {
	cases := []struct {
		name                  string
		h, k, stride, pad, c  int
		inCL, outCL, winograd bool
		tile                  int
		want                  bool
	}{
		{"3x3 stride 1 pad 1", 8, 3, 1, 1, 32, true, true, true, 0, true},
		{"direct asked for", 8, 3, 1, 1, 32, true, true, false, 0, false},
		{"stride 2", 8, 3, 2, 1, 32, true, true, true, 0, true},
		{"stride 2, 3×3 outputs", 6, 3, 2, 1, 32, true, true, true, 0, false},
		{"stride 2, 3×3 outputs, forced", 6, 3, 2, 1, 32, true, true, true, 2, true},
		{"stride 3", 8, 3, 3, 1, 32, true, true, true, 0, false},
		{"pad 0", 8, 3, 1, 0, 32, true, true, true, 0, false},
		{"5x5", 8, 5, 1, 2, 32, true, true, true, 0, false},
		{"1x1", 8, 1, 1, 0, 32, true, true, true, 0, false},
		{"channel-first input", 8, 3, 1, 1, 32, false, true, true, 0, false},
		{"channel-first output", 8, 3, 1, 1, 32, true, false, true, 0, false},
		{"input layer (im2col)", 8, 3, 1, 1, 3, true, true, true, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := &conv2D{pad: tc.pad, stride: tc.stride, inCL: tc.inCL, outCL: tc.outCL, winograd: tc.winograd, tile: tc.tile}
			g := convGeometry{n: 2, c: tc.c, h: tc.h, w: tc.h, o: 16, k: tc.k, pad: tc.pad, stride: tc.stride}
			g.oh, g.ow = convOut(tc.h, tc.k, tc.pad, tc.stride), convOut(tc.h, tc.k, tc.pad, tc.stride)
			if got := op.useWinograd(g); got != tc.want {
				t.Errorf("useWinograd = %t, want %t", got, tc.want)
			}
		})
	}
}

// TestStride2Pays checks which output planes take the stride-2 Winograd
// form: even ones, and odd ones large enough that the last tiles' wasted
// outputs cost little.
func TestStride2Pays(t *testing.T) {
	for _, tc := range []struct {
		oh, ow int
		want   bool
	}{
		{16, 16, true}, {2, 2, true}, {6, 6, true}, {4, 8, true}, {15, 15, true},
		{3, 3, false}, {5, 5, false}, {7, 7, false}, {1, 2, false}, {4, 3, false},
	} {
		if got := stride2Pays(tc.oh, tc.ow); got != tc.want {
			t.Errorf("stride2Pays(%d, %d) = %t, want %t", tc.oh, tc.ow, got, tc.want)
		}
	}
}

// TestWinogradTile checks which planes get F(4×4,3×3): those where it
// takes fewer multiplications than F(2×2,3×3), edge tiles included.
func TestWinogradTile(t *testing.T) {
	for _, tc := range []struct{ h, w, want int }{
		{16, 16, 4}, {4, 4, 4}, {8, 24, 4}, {4, 12, 4}, {14, 14, 4}, {7, 7, 4}, {10, 10, 4}, {16, 14, 4}, {5, 7, 4},
		{6, 6, 2}, {5, 5, 2}, {2, 2, 2}, {1, 3, 2}, {2, 8, 2},
	} {
		if got := winogradTile(tc.h, tc.w); got != tc.want {
			t.Errorf("winogradTile(%d, %d) = %d, want %d", tc.h, tc.w, got, tc.want)
		}
	}
}

func TestConv2DWinogradForward(t *testing.T) {
	for i, c := range winogradCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(300+i)) })
	}
}

// TestConv2DWinogradGradient checks the input and kernel gradients of the
// Winograd form against finite differences of the textbook convolution.
func TestConv2DWinogradGradient(t *testing.T) {
	for i, c := range winogradCases {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(400+i)) })
	}
}

// TestWinogradMatchesDirect runs towers whose 3×3 convolutions take the
// Winograd form against the same towers held to the direct form: the
// default tower at 28 px and at 48 px in colour (an image to a group,
// six groups, six gradient chunks) and a small photo tower, on loss, distances, gradients,
// running statistics and embeddings (compareNets).
func TestWinogradMatchesDirect(t *testing.T) {
	for name, spec := range map[string]Spec{
		"default": {Size: 28, Channels: 1, Layers: DefaultLayers()},
		"colour":  {Size: 48, Channels: 3, Layers: DefaultLayers()},
		"photos":  clSmallSpec(),
	} {
		t.Run(name, func(t *testing.T) {
			compareNets(t, spec, func(n *Net) { n.direct = true }, "direct", "Winograd")
		})
	}
}

// winogradOps are a Winograd layer's three ops, channels-last, as
// conv2D.backward wires them.
func winogradOps() (fwd, dx, dw *kernelOp) {
	c := &conv2D{pad: 1, stride: 1, inCL: true, outCL: true, winograd: true}
	gi := &winogradGradInput{fwd: c}
	return opFor(c), opFor(gi), opFor(&winogradGradWeight{src: gi})
}

// TestWinogradOpsReusedAcrossShapes runs one instance of a Winograd
// layer's ops on a sequence of shapes, larger and smaller, even and odd,
// and compares every result, bit for bit, with that of fresh instances:
// scratch kept from a larger shape must not leak stale values into a
// smaller one.
func TestWinogradOpsReusedAcrossShapes(t *testing.T) {
	r := newRand(23)
	fwd, gx, gw := winogradOps()
	for step, xs := range [][]int{{3, 8, 7, 6}, {2, 8, 8, 8}, {2, 8, 4, 5}, {1, 8, 3, 3}, {20, 16, 4, 4}, {3, 8, 7, 6}, {1, 8, 12, 4}} {
		ws := []int{5, xs[1], 3, 3}
		ys := []int{xs[0], ws[0], xs[2], xs[3]}
		x := wrap(uniform(r, size(xs), -1, 1), xs...)
		w := wrap(uniform(r, size(ws), -1, 1), ws...)
		dy := wrap(uniform(r, size(ys), -1, 1), ys...)
		run := func(fwd, gx, gw *kernelOp) [][]float32 {
			var out [][]float32
			var dx gorgonia.Value
			for _, do := range []func() (gorgonia.Value, error){
				func() (gorgonia.Value, error) { return fwd.Do(x, w) },
				func() (v gorgonia.Value, err error) { dx, err = gx.Do(w, dy, x); return dx, err },
				func() (gorgonia.Value, error) { return gw.Do(w, dx) },
			} {
				v, err := do()
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				out = append(out, append([]float32(nil), float32s(t, v)...))
			}
			return out
		}
		got := run(fwd, gx, gw)
		ffwd, fgx, fgw := winogradOps()
		want := run(ffwd, fgx, fgw)
		for i, name := range []string{"output", "input gradient", "kernel gradient"} {
			for j := range want[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
					t.Fatalf("step %d (input %v) %s[%d]: reused %v, fresh %v", step, xs, name, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

// BenchmarkConv2DLayers times the three passes (forward, input
// gradient, kernel gradient) of the towers' 3×3 convolutions, channels-last,
// unfolded (im2row) and in each Winograd form that applies: F(2×2) and
// F(4×4) at stride 1 (conv2D.tile forces the one winogradTile would not
// choose), the parity-split F(2×2) at stride 2. The shapes are the photos
// preset's blocks at 64 px (batch 128, both twins) and 96 px (batch 64,
// one twin) and the default tower's conv2 at 28 and 48 px (batch 64).
func BenchmarkConv2DLayers(b *testing.B) {
	r := newRand(1)
	type form struct {
		name string
		op   *conv2D
	}
	for _, sh := range []struct{ n, c, h, o, stride int }{
		{128, 32, 16, 32, 1}, {128, 64, 8, 64, 1}, {128, 128, 4, 128, 1}, {64, 32, 14, 64, 1}, {64, 32, 24, 64, 1},
		{128, 32, 32, 32, 2}, {128, 32, 16, 64, 2}, {128, 64, 8, 128, 2}, {64, 32, 48, 32, 2}, {64, 32, 24, 64, 2}, {64, 64, 12, 128, 2},
	} {
		oh := (sh.h-1)/sh.stride + 1
		x := wrap(uniform(r, sh.n*sh.c*sh.h*sh.h, -1, 1), sh.n, sh.c, sh.h, sh.h)
		w := wrap(uniform(r, sh.o*sh.c*9, -0.1, 0.1), sh.o, sh.c, 3, 3)
		dy := wrap(uniform(r, sh.n*sh.o*oh*oh, -1, 1), sh.n, sh.o, oh, oh)
		op := func(winograd bool, tile int) *conv2D {
			return &conv2D{pad: 1, stride: sh.stride, inCL: true, outCL: true, winograd: winograd, tile: tile}
		}
		forms := []form{{"unfolded", op(false, 0)}}
		if sh.stride == 1 {
			forms = append(forms, form{"F2", op(true, 2)}, form{"F4", op(true, 4)})
		} else {
			forms = append(forms, form{"winograd", op(true, 2)})
		}
		for _, f := range forms {
			var steps []func() (gorgonia.Value, error)
			if f.op.winograd {
				gi := &winogradGradInput{fwd: f.op}
				fwd, gx, gw := opFor(f.op), opFor(gi), opFor(&winogradGradWeight{src: gi})
				steps = []func() (gorgonia.Value, error){
					func() (gorgonia.Value, error) { return fwd.Do(x, w) },
					func() (gorgonia.Value, error) { return gx.Do(w, dy, x) },
					func() (gorgonia.Value, error) { return gw.Do(w, x) }, // x: the shape of dL/dx, which only orders the ops
				}
			} else {
				rem := (sh.h + 2 - 3) % sh.stride
				fwd, gx, gw := opFor(f.op), opFor(&conv2DGradInput{fwd: f.op, rem: [2]int{rem, rem}}), opFor(&conv2DGradWeight{fwd: f.op, k: 3})
				steps = []func() (gorgonia.Value, error){
					func() (gorgonia.Value, error) { return fwd.Do(x, w) },
					func() (gorgonia.Value, error) { return gx.Do(w, dy) },
					func() (gorgonia.Value, error) { return gw.Do(x, dy) },
				}
			}
			b.Run(fmt.Sprintf("n%d_%dx%dx%d_o%d_s%d/%s", sh.n, sh.h, sh.h, sh.c, sh.o, sh.stride, f.name), func(b *testing.B) {
				for b.Loop() {
					for _, do := range steps {
						if _, err := do(); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.N*sh.n)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

// BenchmarkConv2DLayerWinograd is BenchmarkConv2DLayer's layer (the
// default tower's second convolution at 28 px, batch 64) channels-last,
// forward and both gradients, direct (im2row) and in the Winograd form.
func BenchmarkConv2DLayerWinograd(b *testing.B) {
	r := newRand(1)
	const n, c, h, o = 64, 32, 14, 64
	x := wrap(uniform(r, n*c*h*h, -1, 1), n, c, h, h)
	w := wrap(uniform(r, o*c*9, -0.1, 0.1), o, c, 3, 3)
	dy := wrap(uniform(r, n*o*h*h, -1, 1), n, o, h, h)
	direct := &conv2D{pad: 1, stride: 1, inCL: true, outCL: true}
	dfwd, dgx, dgw := opFor(direct), opFor(&conv2DGradInput{fwd: direct}), opFor(&conv2DGradWeight{fwd: direct, k: 3})
	wfwd, wgx, wgw := winogradOps()
	for _, form := range []struct {
		name string
		step []func() (gorgonia.Value, error)
	}{
		{"direct", []func() (gorgonia.Value, error){
			func() (gorgonia.Value, error) { return dfwd.Do(x, w) },
			func() (gorgonia.Value, error) { return dgx.Do(w, dy) },
			func() (gorgonia.Value, error) { return dgw.Do(x, dy) },
		}},
		{"winograd", []func() (gorgonia.Value, error){
			func() (gorgonia.Value, error) { return wfwd.Do(x, w) },
			func() (gorgonia.Value, error) { return wgx.Do(w, dy, x) },
			func() (gorgonia.Value, error) { return wgw.Do(w, x) }, // x: the shape of dL/dx, which only orders the ops
		}},
	} {
		b.Run(form.name, func(b *testing.B) {
			for b.Loop() {
				for _, do := range form.step {
					if _, err := do(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
