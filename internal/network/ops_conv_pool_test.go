package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConvPoolCLMatchesSeparateOps runs convReLUPoolCL's forward, kernel
// gradient and routing against the three ops it stands for, conv2D
// (channel-first in, channels-last out), reluPoolCLKernel and their
// gradients, and wants the same bits, training and inference: on the
// default towers' input layers, odd sides (a row and column no window
// covers), stride 2 without padding, a 5×5 kernel, and channel counts of
// the products pooled in registers (linalg.ProductsReLUPool2x2Arg, a
// multiple of 32; at stride 1 read in place, padded, at stride 2
// unfolded), of the assembly pooling (a multiple of 8) and of its Go
// form. Every output buffer starts as garbage, so whatever the fused
// ops do not write shows.
func TestConvPoolCLMatchesSeparateOps(t *testing.T) {
	for _, c := range []struct{ n, c, h, w, o, k, pad, stride int }{
		{3, 1, 28, 28, 32, 3, 1, 1}, // the default tower
		{2, 3, 12, 12, 32, 3, 1, 1}, // the colour default tower
		{2, 3, 9, 11, 16, 3, 1, 1},  // odd sides
		{2, 1, 9, 11, 32, 3, 1, 1},  // odd sides, pooled in registers
		{1, 2, 10, 10, 64, 3, 1, 1},
		{2, 1, 10, 10, 32, 3, 0, 1}, // no padding, read in place
		{1, 1, 7, 7, 32, 5, 2, 1},   // 5×5, read in place
		{2, 1, 10, 10, 12, 3, 0, 2}, // stride 2; 12 channels pool in Go
		{2, 1, 10, 10, 32, 3, 1, 2}, // stride 2, unfolded
		{1, 2, 7, 7, 8, 5, 2, 1},
	} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			r := newRand(uint64(c.h*100 + c.o))
			xs, ws := tensor.Shape{c.n, c.c, c.h, c.w}, tensor.Shape{c.o, c.c, c.k, c.k}
			x, w := uniform(r, xs.TotalSize(), -1, 1), uniform(r, ws.TotalSize(), -0.5, 0.5)

			conv := &conv2D{pad: c.pad, stride: c.stride, outCL: true}
			g, err := conv.geometry(xs, ws)
			if err != nil {
				t.Fatal(err)
			}
			zs := tensor.Shape{g.n, g.o, g.oh, g.ow}
			y, ys, dy, dz := separatePooling(t, r, conv, xs, ws, x, w)
			dw, err := (&conv2DGradWeight{fwd: conv, k: c.k}).forward([][]float32{x, dz}, []tensor.Shape{xs, zs}, nil)
			if err != nil {
				t.Fatal(err)
			}

			fused := &convPoolCL{conv: &conv2D{pad: c.pad, stride: c.stride, outCL: true}, training: true, out: uniform(r, ys.TotalSize(), 5, 6)}
			if got, err := fused.shape([]tensor.Shape{xs, ws}); err != nil || !got.Eq(ys) {
				t.Fatalf("shape %v, %v; want %v", got, err, ys)
			}
			fy, err := fused.forward([][]float32{x, w}, []tensor.Shape{xs, ws}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "output", fy, y)
			infer := &convPoolCL{conv: &conv2D{pad: c.pad, stride: c.stride, outCL: true}, out: uniform(r, ys.TotalSize(), 5, 6)}
			iy, err := infer.forward([][]float32{x, w}, []tensor.Shape{xs, ws}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "inference output", iy, y)
			in, shapes := [][]float32{x, w, dy}, []tensor.Shape{xs, ws, ys}
			fdw, err := (&convPoolGradWeight{fwd: fused, out: uniform(r, len(dw), 5, 6)}).forward(in, shapes, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "kernel gradient", fdw, dw)
			fdz, err := (&convPoolRoute{fwd: fused, out: uniform(r, len(dz), 5, 6)}).forward(in, shapes, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "output gradient of the convolution", fdz, dz)
		})
	}
}

// separatePooling runs conv on x and w, then reluPoolCLKernel and its
// gradient as separate ops, for a random gradient dy of the pooling:
// the pooling's output y (of shape ys) and the convolution's output
// gradient dz.
func separatePooling(t *testing.T, r *rand.Rand, conv *conv2D, xs, ws tensor.Shape, x, w []float32) (y []float32, ys tensor.Shape, dy, dz []float32) {
	t.Helper()
	g, err := conv.geometry(xs, ws)
	if err != nil {
		t.Fatal(err)
	}
	zs := tensor.Shape{g.n, g.o, g.oh, g.ow}
	z, err := conv.forward([][]float32{x, w}, []tensor.Shape{xs, ws}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool := &reluPoolCLKernel{training: true}
	if ys, err = pool.shape([]tensor.Shape{zs}); err != nil {
		t.Fatal(err)
	}
	if y, err = pool.forward([][]float32{z}, []tensor.Shape{zs}, nil); err != nil {
		t.Fatal(err)
	}
	dy = uniform(r, ys.TotalSize(), -1, 1)
	if dz, err = (&reluPoolCLGrad{fwd: pool}).forward([][]float32{z, dy}, []tensor.Shape{zs, ys}, nil); err != nil {
		t.Fatal(err)
	}
	return y, ys, dy, dz
}

// TestConvPoolCLRejects checks the shapes the fused op refuses, each with
// the op's name in the error.
func TestConvPoolCLRejects(t *testing.T) {
	for _, c := range []struct {
		name   string
		xs, ws tensor.Shape
	}{
		{"channels-last unfolding", tensor.Shape{2, 8, 8, 8}, tensor.Shape{16, 8, 3, 3}},
		{"1x1 output", tensor.Shape{2, 1, 3, 3}, tensor.Shape{8, 1, 3, 3}},
		{"kernel channels", tensor.Shape{2, 1, 8, 8}, tensor.Shape{8, 2, 3, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := &convPoolCL{conv: &conv2D{outCL: true}, training: true}
			if _, err := k.shape([]tensor.Shape{c.xs, c.ws}); err == nil {
				t.Fatalf("shape(%v, %v) = nil error", c.xs, c.ws)
			} else if want := k.name(); !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not name %q", err, want)
			}
		})
	}
}

// TestTowersFuseInputLayer checks which towers' graphs take their input
// layer's ReLU and pooling into convReLUPoolCL and a Winograd layer's
// into the layer (convReLUPoolWinograd), with its output channel-first
// for the dense layer and no layout op left, by the ops their nodes hold, and
// that the fused graph's gradients of the weights match the graph
// of separate ops (the tower built channel-first, which fuses nothing) to
// float32 rounding.
func TestTowersFuseInputLayer(t *testing.T) {
	for _, c := range []struct {
		name            string
		spec            Spec
		fused, winograd bool
	}{
		{"default gray", Spec{Size: 12, Channels: 1, Layers: DefaultLayers()}, true, true},
		{"default colour", Spec{Size: 12, Channels: 3, Layers: DefaultLayers()}, true, true},
		{"batch norm between", Spec{Size: 12, Channels: 1, Layers: []Layer{
			{Kind: KindConv, Filters: 16, Kernel: 3}, {Kind: KindBatchNorm}, {Kind: KindReLU}, {Kind: KindMaxPool, Size: 2}, {Kind: KindDense, Units: 8}}}, false, false},
		{"colour under a 7x7 kernel", Spec{Size: 12, Channels: 3, Layers: []Layer{
			{Kind: KindConv, Filters: 16, Kernel: 7}, {Kind: KindReLU}, {Kind: KindMaxPool, Size: 2}, {Kind: KindDense, Units: 8}}}, false, false},
		{"a 5x5 second layer", Spec{Size: 12, Channels: 1, Layers: []Layer{
			{Kind: KindConv, Filters: 16, Kernel: 3}, {Kind: KindReLU}, {Kind: KindMaxPool, Size: 2},
			{Kind: KindConv, Filters: 16, Kernel: 5}, {Kind: KindReLU}, {Kind: KindMaxPool, Size: 2}, {Kind: KindDense, Units: 8}}}, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			grads := map[bool][]float32{}
			for _, first := range []bool{false, true} {
				net, err := New(c.spec, 3)
				if err != nil {
					t.Fatal(err)
				}
				net.channelFirst = first
				g := G.NewGraph()
				n := 2
				x := uniform(newRand(4), n*c.spec.Channels*c.spec.Size*c.spec.Size, -1, 1)
				xn := inputNode(g, "x", []int{n, c.spec.Channels, c.spec.Size, c.spec.Size}, x)
				weights := net.weightNodes(g)
				out, err := net.apply(xn, weights, &applyMode{training: true})
				if err != nil {
					t.Fatal(err)
				}
				if !first {
					fused := holds(g, func(k kernel) bool { _, ok := k.(*convPoolCL); return ok })
					if fused != c.fused {
						t.Fatalf("input layer fused: %t, want %t", fused, c.fused)
					}
					pools := holds(g, func(k kernel) bool { w, ok := k.(*conv2D); return ok && w.pool && w.poolCF })
					if pools != c.winograd {
						t.Fatalf("Winograd layer pools to channel-first: %t, want %t", pools, c.winograd)
					}
					// A layout op is left only where no layer writes the
					// dense layer's layout.
					layout := holds(g, func(k kernel) bool { _, ok := k.(*layoutKernel); return ok })
					if layout == c.winograd {
						t.Fatalf("layout op: %t with the Winograd layer pooling %t", layout, c.winograd)
					}
				}
				cost, err := G.Sum(G.Must(G.Square(out)))
				if err != nil {
					t.Fatal(err)
				}
				dw, err := G.Grad(cost, weights...)
				if err != nil {
					t.Fatal(err)
				}
				vals := make([]G.Value, len(dw))
				for i := range dw {
					G.Read(dw[i], &vals[i])
				}
				if err := G.NewTapeMachine(g).RunAll(); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					grads[first] = append(grads[first], v.Data().([]float32)...)
				}
			}
			for i, want := range grads[true] {
				if got := grads[false][i]; math.Abs(float64(got-want)) > 1e-4*(1+math.Abs(float64(want))) {
					t.Fatalf("weight gradient[%d] = %v, channel-first %v", i, got, want)
				}
			}
		})
	}
}

// holds says whether a node of g holds a kernel that is.
func holds(g *G.ExprGraph, is func(kernel) bool) bool {
	for _, n := range g.AllNodes() {
		if op, ok := n.Op().(*diffKernelOp); ok && is(op.k) {
			return true
		}
	}
	return false
}

// TestConvReLUPoolWinogradMatchesSeparateOps runs a Winograd layer that
// pools its own output (conv2D.pool) against the layer and
// reluPoolCLKernel as separate ops, forward and both gradients, and wants
// the same bits: in F(4×4) on a plane of whole tiles, on the default
// tower's 14×14 (tiles past the edge), on 10×10 (whose tiles pool to 6×6,
// the output to 5×5) and on 13×13 (to 8×8 and 6×6, which the fused
// kernels do not take: winograd.fused), each with the pooling in the
// transforms where the CPU runs that and apart (conv2D.poolApart), F(2×2)
// on 6×6, an odd 7×7 plane (a row and column no window covers), stride 2,
// and channel counts of the assembly pooling and of its Go form; with the
// output channels-last and channel-first (conv2D.poolCF). Output buffers
// start as garbage.
func TestConvReLUPoolWinogradMatchesSeparateOps(t *testing.T) {
	for _, c := range []struct{ n, c, h, o, stride int }{
		{2, 16, 16, 32, 1}, // F(4×4), whole tiles
		{3, 32, 14, 64, 1}, // the default tower's conv2 at 28 px
		{2, 16, 13, 32, 1}, // F(4×4), a row and column no window covers
		{2, 16, 10, 16, 1}, // F(4×4), tiles past a pooled edge
		{2, 8, 6, 16, 1},   // F(2×2)
		{2, 8, 7, 12, 1},   // odd plane; 12 channels pool in Go
		{2, 8, 16, 16, 2},  // stride 2
	} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			r := newRand(uint64(c.h*100 + c.o + c.stride))
			xs, ws := tensor.Shape{c.n, c.c, c.h, c.h}, tensor.Shape{c.o, c.c, 3, 3}
			x, w := uniform(r, xs.TotalSize(), -1, 1), uniform(r, ws.TotalSize(), -0.5, 0.5)

			conv := &conv2D{pad: 1, stride: c.stride, inCL: true, outCL: true, winograd: true}
			g, err := conv.geometry(xs, ws)
			if err != nil {
				t.Fatal(err)
			}
			if !conv.useWinograd(g) {
				t.Fatalf("%v does not run in a Winograd form", g)
			}
			zs := tensor.Shape{g.n, g.o, g.oh, g.ow}
			y, ys, dy, dz := separatePooling(t, r, conv, xs, ws, x, w)
			gi := &winogradGradInput{fwd: conv}
			dx, err := gi.forward([][]float32{w, dz, x}, []tensor.Shape{ws, zs, xs}, nil)
			if err != nil {
				t.Fatal(err)
			}

			for _, form := range []struct{ cf, apart bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
				cf := form.cf
				// Channel-first, the fused op's output and its gradient
				// are y's and dy's, each image transposed.
				wantY, fdyIn := y, dy
				if cf {
					wantY, fdyIn = toCF(y, ys), toCF(dy, ys)
				}
				fused := &conv2D{pad: 1, stride: c.stride, inCL: true, outCL: true, winograd: true, pool: true, poolCF: cf, poolApart: form.apart, out: uniform(r, ys.TotalSize(), 5, 6)}
				if got, err := fused.shape([]tensor.Shape{xs, ws}); err != nil || !got.Eq(ys) {
					t.Fatalf("shape %v, %v; want %v", got, err, ys)
				}
				fy, err := fused.forward([][]float32{x, w}, []tensor.Shape{xs, ws}, nil)
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("%+v: output", form), fy, wantY)
				fgi := &winogradGradInput{fwd: fused, out: uniform(r, len(dx), 5, 6)}
				in, shapes := [][]float32{w, fdyIn, x}, []tensor.Shape{ws, ys, xs}
				if _, err := fgi.shape(shapes); err != nil {
					t.Fatal(err)
				}
				fdx, err := fgi.forward(in, shapes, nil)
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("%+v: input gradient", form), fdx, dx)
				sameBits(t, fmt.Sprintf("%+v: kernel gradient", form), fgi.dw, gi.dw)
			}
		})
	}
}

// BenchmarkConvPoolWinograd is the default tower's pooled Winograd layer
// (conv2D with pool and poolCF) at 28 and 48 px, batch 64, with the pooling
// in the F(4×4) transforms (winograd.fused, where the CPU runs that) and
// apart. Each iteration runs both, in turns, and the metrics are each
// form's median µs for the forward pass and for the gradients: a few per
// cent between two forms is less than this VM's drift from one run to the
// next, which the turns cancel.
func BenchmarkConvPoolWinograd(b *testing.B) {
	r := newRand(1)
	for _, h := range []int{14, 24} {
		const n, c, o = 64, 32, 64
		x := wrap(uniform(r, n*c*h*h, -1, 1), n, c, h, h)
		w := wrap(uniform(r, o*c*9, -0.1, 0.1), o, c, 3, 3)
		dy := wrap(uniform(r, n*o*h*h/4, -1, 1), n, o, h/2, h/2)
		type form struct {
			name      string
			fwd, grad *kernelOp
			µs        [2][]float64 // forward, gradients
		}
		var forms []*form
		for _, apart := range []bool{false, true} {
			k := &conv2D{pad: 1, stride: 1, inCL: true, outCL: true, winograd: true, pool: true, poolCF: true, poolApart: apart}
			name := "fused"
			if apart {
				name = "apart"
			}
			forms = append(forms, &form{name: name, fwd: opFor(k), grad: opFor(&winogradGradInput{fwd: k})})
		}
		b.Run(fmt.Sprintf("%dx%dx%d", h, h, c), func(b *testing.B) {
			turn := 0
			for b.Loop() {
				for j := range forms {
					f := forms[(j+turn)%len(forms)]
					t0 := time.Now()
					if _, err := f.fwd.Do(x, w); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if _, err := f.grad.Do(w, dy, x); err != nil {
						b.Fatal(err)
					}
					f.µs[0] = append(f.µs[0], float64(t1.Sub(t0).Nanoseconds())/1e3)
					f.µs[1] = append(f.µs[1], float64(time.Since(t1).Nanoseconds())/1e3)
				}
				turn++
			}
			for _, f := range forms {
				b.ReportMetric(median(f.µs[0]), f.name+"-forward-µs")
				b.ReportMetric(median(f.µs[1]), f.name+"-gradients-µs")
				f.µs = [2][]float64{}
			}
		})
	}
}

// median is the middle of v (the upper of the two for an even count); it
// sorts v.
func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// toCF is channels-last v of shape s (N×C×H×W) laid out channel-first.
func toCF(v []float32, s tensor.Shape) []float32 {
	out := make([]float32, len(v))
	c, hw := s[1], s[2]*s[3]
	for i := range s[0] {
		for p := range hw {
			for k := range c {
				out[i*c*hw+k*hw+p] = v[i*c*hw+p*c+k]
			}
		}
	}
	return out
}

// BenchmarkConvPoolCL is the default tower's fused input layer
// (convReLUPoolCL) at 28 px gray and 48 px colour, batch 64: the forward
// pass and the kernel gradient. Convolving a band of a few rows at a time,
// so that the pooling read it from L1 rather than a whole image's from L2,
// was slower at bands of 2-4 rows (382 µs against 336 at 28 px, 2.53 ms
// against 2.05 at 48 px, one core), the same at 10-18.
func BenchmarkConvPoolCL(b *testing.B) {
	r := newRand(1)
	for _, sh := range []struct{ n, c, h int }{{64, 1, 28}, {64, 3, 48}} {
		const o = 32
		x := wrap(uniform(r, sh.n*sh.c*sh.h*sh.h, 0, 1), sh.n, sh.c, sh.h, sh.h)
		w := wrap(uniform(r, o*sh.c*9, -0.3, 0.3), o, sh.c, 3, 3)
		dy := wrap(uniform(r, sh.n*o*sh.h*sh.h/4, -1, 1), sh.n, o, sh.h/2, sh.h/2)
		fused := &convPoolCL{conv: &conv2D{pad: 1, stride: 1, outCL: true}, training: true}
		fwd, gw := opFor(fused), opFor(&convPoolGradWeight{fwd: fused})
		name := fmt.Sprintf("n%d_%dx%dx%d", sh.n, sh.h, sh.h, sh.c)
		b.Run(name+"/forward", func(b *testing.B) {
			for b.Loop() {
				if _, err := fwd.Do(x, w); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*sh.n)/b.Elapsed().Seconds(), "images/s")
		})
		b.Run(name+"/kernel_gradient", func(b *testing.B) {
			for b.Loop() {
				if _, err := gw.Do(x, w, dy); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*sh.n)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
