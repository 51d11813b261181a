package network

import (
	"fmt"
	"hash"
	"math"
	"unsafe"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
)

// MaxPool2D takes the maximum of each non-overlapping size×size window of
// every channel: x is N×C×H×W and the result N×C×⌊H/size⌋×⌊W/size⌋. Rows
// and columns left over at the bottom and right are dropped (PyTorch's
// floor mode) and get zero gradient.
func MaxPool2D(x *gorgonia.Node, size int) (*gorgonia.Node, error) {
	return applyPool("maxpool2d", x, &maxPool2DOp{size: size})
}

// applyPool adds op, a pooling of 4-D x, to x's graph; name prefixes its
// errors.
func applyPool(name string, x *gorgonia.Node, op *maxPool2DOp) (*gorgonia.Node, error) {
	if err := checkFloat32Node(name, "input", x); err != nil {
		return nil, err
	}
	if x.Dims() != 4 {
		return nil, fmt.Errorf("%s: input %v must be 4-D (N×C×H×W)", name, x.Shape())
	}
	if _, err := op.geometry(x.Shape()); err != nil {
		return nil, err
	}
	y, err := gorgonia.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}

type poolGeometry struct {
	n, c, h, w int // input
	size       int
	oh, ow     int // output plane
}

func (g poolGeometry) inPlane() int  { return g.h * g.w }
func (g poolGeometry) outPlane() int { return g.oh * g.ow }
func (g poolGeometry) inSize() int   { return g.c * g.inPlane() }  // one input image
func (g poolGeometry) outSize() int  { return g.c * g.outPlane() } // one output image

// maxPool2DOp remembers, for every output element, the flat input index of
// the maximum it picked; the gradient flows back to exactly that element.
// Ties go to the first element in row-major window order (−0 counts as
// less than +0).
type maxPool2DOp struct {
	size int
	// inference ops keep no argmax (there is no backward pass). Either
	// kind may fold a preceding ReLU in: max(0, max(window)) = max(window
	// of ReLU), at a quarter of the ReLU work, and in training the
	// gradient (reluPoolGradOp) goes to the window's first maximum only
	// where that maximum is > 0, exactly as ReLU's gradient would have let
	// it through.
	inference, relu bool

	out      []float32
	argmax   []int32
	argmaxOf []float32 // the input data argmax was computed from
	argGeo   poolGeometry
	scratch  []float32 // per worker: an image's pair maxima (reluPool2, inference)
	// pairs keeps the batch's pair maxima of a fused training pooling for
	// its gradient, which then reads x once instead of twice; pairsOf is
	// the input they were computed from.
	pairs, pairsOf []float32
}

func (op *maxPool2DOp) geometry(xs tensor.Shape) (poolGeometry, error) {
	if len(xs) != 4 {
		return poolGeometry{}, fmt.Errorf("maxpool2d: input %v must be 4-D", xs)
	}
	g := poolGeometry{n: xs[0], c: xs[1], h: xs[2], w: xs[3], size: op.size}
	if g.size < 1 || g.size*g.size > 1<<keyTagBits {
		return g, fmt.Errorf("maxpool2d: window size %d, want 1 to 256", g.size)
	}
	g.oh, g.ow = g.h/g.size, g.w/g.size
	if g.oh < 1 || g.ow < 1 {
		return g, fmt.Errorf("maxpool2d: window %d×%d larger than input %v", g.size, g.size, xs)
	}
	if xs.TotalSize() > math.MaxInt32 {
		return g, fmt.Errorf("maxpool2d: input %v has more than 2^31-1 elements", xs)
	}
	return g, nil
}

func (op *maxPool2DOp) Arity() int    { return 1 }
func (op *maxPool2DOp) Type() hm.Type { return hm.NewFnType(tensorType(4), tensorType(4)) }

func (op *maxPool2DOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("maxpool2d", ds, 0)
	if err != nil {
		return nil, err
	}
	g, err := op.geometry(xs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{g.n, g.c, g.oh, g.ow}, nil
}

func (op *maxPool2DOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vals, shapes, err := float32Inputs("maxpool2d", inputs, "input")
	if err != nil {
		return nil, err
	}
	x, xs := vals[0], shapes[0]
	g, err := op.geometry(xs)
	if err != nil {
		return nil, err
	}
	op.out = grow(op.out, g.n*g.c*g.outPlane())
	if op.inference || op.relu {
		// The fused ReLU+pooling keeps no argmax either: its gradient
		// finds each window's maximum again from x and this output.
		op.poolForward(op.out, x, g)
	} else {
		op.pool(op.out, x, g)
	}
	return wrap(op.out, g.n, g.c, g.oh, g.ow), nil
}

// reluMaxPool2D is MaxPool2D(ReLU(x), size) as one op, for training: one
// pass over x instead of three forward (ReLU, pooling) and backward
// (pooling gradient, ReLU gradient), and no ReLU output to keep.
func reluMaxPool2D(x *gorgonia.Node, size int) (*gorgonia.Node, error) {
	return applyPool("relu+maxpool2d", x, &maxPool2DOp{size: size, relu: true})
}

// maxPoolInference is MaxPool2D for inference graphs, optionally with the
// ReLU before it folded in. It has no gradient.
func maxPoolInference(x *gorgonia.Node, size int, relu bool) (*gorgonia.Node, error) {
	return applyPool("maxpool2d", x, &maxPool2DOp{size: size, inference: true, relu: relu})
}

// poolForward is the inference pooling: plain maxima, no argmax.
func (op *maxPool2DOp) poolForward(out, x []float32, g poolGeometry) {
	var floor float32 = float32(math.Inf(-1))
	if op.relu {
		floor = 0
	}
	workers := workersFor(g.n)
	if op.relu && g.evenPairs() {
		half := g.c * g.inPlane() / 2
		keep := !op.inference
		if keep {
			op.pairs = grow(op.pairs, g.n*half)
		} else {
			op.scratch = grow(op.scratch, workers*half)
		}
		parallel.Range(g.n, workers, func(wk, lo, hi int) {
			for i := lo; i < hi; i++ {
				var h []float32
				if keep {
					h = op.pairs[i*half : (i+1)*half]
				} else {
					h = op.scratch[wk*half : (wk+1)*half]
				}
				reluPool2(out[i*g.c*g.outPlane():(i+1)*g.c*g.outPlane()], x[i*2*half:(i+1)*2*half], h, g)
			}
		})
		op.pairsOf = nil
		if keep {
			op.pairsOf = x
		}
		return
	}
	parallel.Range(g.n, workers, func(_, lo, hi int) {
		for p := lo * g.c; p < hi*g.c; p++ {
			plane := x[p*g.inPlane() : (p+1)*g.inPlane()]
			po := out[p*g.outPlane() : (p+1)*g.outPlane()]
			if op.relu && g.size == 2 {
				reluPoolPlane2(po, plane, g)
				continue
			}
			for oy := 0; oy < g.oh; oy++ {
				for ox := 0; ox < g.ow; ox++ {
					m := floor
					for dy := 0; dy < g.size; dy++ {
						row := plane[(oy*g.size+dy)*g.w+ox*g.size:][:g.size]
						for _, v := range row {
							m = max(m, v)
						}
					}
					po[oy*g.ow+ox] = m
				}
			}
		}
	})
}

// pool fills argmax, and out unless it is nil, from x, image by image in
// parallel.
func (op *maxPool2DOp) pool(out, x []float32, g poolGeometry) {
	size := g.n * g.c * g.outPlane()
	if cap(op.argmax) < size {
		op.argmax = make([]int32, size)
	}
	op.argmax = op.argmax[:size]
	parallel.Range(g.n, workersFor(g.n), func(_, lo, hi int) {
		for p := lo * g.c; p < hi*g.c; p++ { // p: one (image, channel) plane
			in := p * g.inPlane()
			o := p * g.outPlane()
			var po []float32
			if out != nil {
				po = out[o : o+g.outPlane()]
			}
			if g.size == 2 {
				poolPlane2(po, op.argmax[o:o+g.outPlane()], x[in:in+g.inPlane()], in, g)
			} else {
				poolPlane(po, op.argmax[o:o+g.outPlane()], x[in:in+g.inPlane()], in, g)
			}
		}
	})
	op.argmaxOf, op.argGeo = x, g
}

// The window maximum is found without branches: with random activations
// "is this element larger?" is a coin flip, and the mispredictions cost
// several times the comparisons themselves. Each element becomes an int64
// key, its float order in the high bits and a tag in the low 16 bits that
// is larger for earlier window positions; the largest key names both the
// maximum and, on ties, the first position holding it.

const keyTagBits = 16 // window positions are tagged in the low bits: size² ≤ 2^16

// orderedKey maps v to an integer with the same order as the floats, −0
// just below +0 and NaNs beyond ±Inf by their sign bit, shifted to make
// room for a tag.
func orderedKey(v float32) int64 {
	b := int32(math.Float32bits(v))
	return int64(b^((b>>31)&0x7fffffff)) << keyTagBits
}

// keyValue inverts orderedKey, dropping the tag.
func keyValue(key int64) float32 {
	b := int32(key >> keyTagBits)
	return math.Float32frombits(uint32(b ^ ((b >> 31) & 0x7fffffff)))
}

// maxKey is max(a, b) by arithmetic, which the compiler keeps branch-free;
// keys use 48 bits, so a-b cannot overflow.
func maxKey(a, b int64) int64 {
	d := a - b
	return a - (d & (d >> 63))
}

// poolPlane2 pools one H×W plane by 2×2 windows; base is the plane's flat
// offset in the whole input, which argmax records.
func poolPlane2(out []float32, argmax []int32, plane []float32, base int, g poolGeometry) {
	// Tag t = 3 - position; offset of that position from the window's corner.
	offset := [4]int32{int32(g.w + 1), int32(g.w), 1, 0}
	for oy := 0; oy < g.oh; oy++ {
		r0 := plane[2*oy*g.w : 2*oy*g.w+g.w]
		r1 := plane[(2*oy+1)*g.w : (2*oy+1)*g.w+g.w]
		args := argmax[oy*g.ow : (oy+1)*g.ow]
		corner := int32(base + 2*oy*g.w)
		for ox := range args {
			j := 2 * ox
			m := maxKey(
				maxKey(orderedKey(r0[j])|3, orderedKey(r0[j+1])|2),
				maxKey(orderedKey(r1[j])|1, orderedKey(r1[j+1])))
			args[ox] = corner + int32(j) + offset[m&3]
			if out != nil {
				out[oy*g.ow+ox] = keyValue(m)
			}
		}
	}
}

// poolPlane pools one H×W plane by size×size windows, as poolPlane2.
func poolPlane(out []float32, argmax []int32, plane []float32, base int, g poolGeometry) {
	last := int64(g.size*g.size - 1)
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			corner := (oy*g.size)*g.w + ox*g.size
			m := orderedKey(plane[corner]) | last // the first element; maxKey needs a finite start
			tag := last
			for dy := 0; dy < g.size; dy++ {
				row := plane[(oy*g.size+dy)*g.w+ox*g.size:][:g.size]
				for _, v := range row {
					m = maxKey(m, orderedKey(v)|tag)
					tag--
				}
			}
			pos := int(last - m&(1<<keyTagBits-1))
			dy, dx := pos/g.size, pos%g.size
			argmax[oy*g.ow+ox] = int32(base + (oy*g.size+dy)*g.w + ox*g.size + dx)
			if out != nil {
				out[oy*g.ow+ox] = keyValue(m)
			}
		}
	}
}

func (op *maxPool2DOp) ReturnsPtr() bool     { return false }
func (op *maxPool2DOp) CallsExtern() bool    { return false }
func (op *maxPool2DOp) OverwritesInput() int { return -1 }
func (op *maxPool2DOp) WriteHash(h hash.Hash) {
	writeOpHash(h, op, "MaxPool2D", op.size, op.inference, op.relu)
}
func (op *maxPool2DOp) Hashcode() uint32 { return hashOf(op) }
func (op *maxPool2DOp) String() string {
	return fmt.Sprintf("MaxPool2D{size=%d, inference=%t, relu=%t}", op.size, op.inference, op.relu)
}

func (op *maxPool2DOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *maxPool2DOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.inference {
		return nil, fmt.Errorf("maxpool2d: an inference pooling has no gradient")
	}
	if len(inputs) != 1 {
		return nil, fmt.Errorf("maxpool2d: differentiate: got %d inputs, want 1", len(inputs))
	}
	if op.relu {
		dx, err := apply(&reluPoolGradOp{size: op.size, fwd: op}, inputs[0], output, grad)
		if err != nil {
			return nil, err
		}
		return gorgonia.Nodes{dx}, nil
	}
	dx, err := gorgonia.ApplyOp(&maxPoolGradOp{fwd: op}, inputs[0], grad)
	if err != nil {
		return nil, fmt.Errorf("maxpool2d gradient: %w", err)
	}
	return gorgonia.Nodes{dx}, nil
}

// maxPoolGradOp scatters dL/dy onto the argmax of each window. Inputs: x,
// dL/dy; x fixes the output shape and lets the op recompute the argmax
// should forward not have run on this x.
type maxPoolGradOp struct {
	fwd *maxPool2DOp

	out []float32
}

func (op *maxPoolGradOp) Arity() int { return 2 }
func (op *maxPoolGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(4), tensorType(4), tensorType(4))
}

func (op *maxPoolGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("maxpool2d gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	return xs.Clone(), nil
}

func (op *maxPoolGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "maxpool2d gradient"
	vals, shapes, err := float32Inputs(name, inputs, "input", "output gradient")
	if err != nil {
		return nil, err
	}
	x, xs, dy, gs := vals[0], shapes[0], vals[1], shapes[1]
	g, err := op.fwd.geometry(xs)
	if err != nil {
		return nil, err
	}
	if !gs.Eq(tensor.Shape{g.n, g.c, g.oh, g.ow}) {
		return nil, fmt.Errorf("%s: output gradient %v does not match input %v pooled by %d", name, gs, xs, g.size)
	}
	if !sameData(op.fwd.argmaxOf, x) || op.fwd.argGeo != g {
		// Only the argmax: forward's output buffer may hold a live value.
		op.fwd.pool(nil, x, g)
	}
	argmax := op.fwd.argmax
	op.out = grow(op.out, len(x))
	inSize, outSize := g.inSize(), g.outSize()
	parallel.Range(g.n, workersFor(g.n), func(_, lo, hi int) {
		clear(op.out[lo*inSize : hi*inSize])
		for o := lo * outSize; o < hi*outSize; o++ {
			op.out[argmax[o]] = dy[o] // windows do not overlap: one writer per element
		}
	})
	return wrap(op.out, xs...), nil
}

func (op *maxPoolGradOp) ReturnsPtr() bool     { return false }
func (op *maxPoolGradOp) CallsExtern() bool    { return false }
func (op *maxPoolGradOp) OverwritesInput() int { return -1 }
func (op *maxPoolGradOp) WriteHash(h hash.Hash) {
	writeOpHash(h, op, "MaxPoolGrad", op.fwd.size, op.fwd.relu)
}
func (op *maxPoolGradOp) Hashcode() uint32 { return hashOf(op) }
func (op *maxPoolGradOp) String() string   { return fmt.Sprintf("MaxPoolGrad{size=%d}", op.fwd.size) }

// reluPoolPlane2 is max(0, max of each 2×2 window). Non-negative floats
// order like their bit patterns read as int32, and negative ones read as
// negative int32, so an integer max against 0 does both the ReLU and the
// pooling without a data-dependent branch.
func reluPoolPlane2(out, plane []float32, g poolGeometry) {
	for oy := 0; oy < g.oh; oy++ {
		r0 := plane[2*oy*g.w : 2*oy*g.w+g.w]
		r1 := plane[(2*oy+1)*g.w : (2*oy+1)*g.w+g.w]
		o := out[oy*g.ow : (oy+1)*g.ow]
		for ox := range o {
			j := 2 * ox
			a := max(int32(math.Float32bits(r0[j])), int32(math.Float32bits(r0[j+1])))
			b := max(int32(math.Float32bits(r1[j])), int32(math.Float32bits(r1[j+1])))
			o[ox] = math.Float32frombits(uint32(max(a, b, 0)))
		}
	}
}

// int32Bits views float32s as their bit patterns. Reading the bits straight
// from memory keeps the pooling in integer registers; math.Float32bits on
// each loaded float moves every element from a vector register to an
// integer one, which cost more than the comparisons.
func int32Bits(x []float32) []int32 {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&x[0])), len(x))
}

// reluPoolGradOp is the gradient of the fused ReLU+pooling: dL/dy goes to
// the first element of each window equal to y, where y > 0; every other
// element gets 0. Inputs: x, y, dL/dy. Finding the maximum again from y
// costs less than writing and reading an argmax array, and every element
// of dx is written once, with no clearing pass.
type reluPoolGradOp struct {
	size int
	fwd  *maxPool2DOp // whose pair maxima the gradient reuses; nil recomputes them

	out     []float32
	scratch []float32 // per worker: an image's pair maxima and their gradient
}

func (op *reluPoolGradOp) name() string     { return "relu+maxpool2d gradient" }
func (op *reluPoolGradOp) inputs() []string { return []string{"input", "output", "output gradient"} }
func (op *reluPoolGradOp) String() string   { return fmt.Sprintf("ReLUMaxPoolGrad{size=%d}", op.size) }

func (op *reluPoolGradOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, err := (&maxPool2DOp{size: op.size}).geometry(in[0])
	if err != nil {
		return nil, err
	}
	want := tensor.Shape{g.n, g.c, g.oh, g.ow}
	if !in[1].Eq(want) || !in[2].Eq(want) {
		return nil, fmt.Errorf("%s: output %v and its gradient %v do not match input %v pooled by %d", op.name(), in[1], in[2], in[0], g.size)
	}
	return in[0].Clone(), nil
}

func (op *reluPoolGradOp) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	x, y, dy := in[0], in[1], in[2]
	g, err := (&maxPool2DOp{size: op.size}).geometry(shapes[0])
	if err != nil {
		return nil, err
	}
	op.out = grow(op.out, len(x))
	workers := workersFor(g.n)
	if g.evenPairs() {
		half, outSize := g.inSize()/2, g.outSize()
		op.scratch = grow(op.scratch, workers*2*half)
		cached := op.fwd != nil && sameData(op.fwd.pairsOf, x) && len(op.fwd.pairs) == g.n*half
		parallel.Range(g.n, workers, func(wk, lo, hi int) {
			h, gh := op.scratch[2*wk*half:(2*wk+1)*half], op.scratch[(2*wk+1)*half:(2*wk+2)*half]
			for i := lo; i < hi; i++ {
				if cached {
					h = op.fwd.pairs[i*half : (i+1)*half]
				} else {
					linalg.MaxPairs(h, x[i*2*half:(i+1)*2*half])
				}
				reluPoolGrad2(op.out[i*2*half:(i+1)*2*half], x[i*2*half:(i+1)*2*half],
					y[i*outSize:(i+1)*outSize], dy[i*outSize:(i+1)*outSize], h, gh, g)
			}
		})
		return op.out, nil
	}
	parallel.Range(g.n, workers, func(_, lo, hi int) {
		for p := lo * g.c; p < hi*g.c; p++ {
			at, o := p*g.inPlane(), p*g.outPlane()
			dx, xp := op.out[at:at+g.inPlane()], x[at:at+g.inPlane()]
			yp, dyp := y[o:o+g.outPlane()], dy[o:o+g.outPlane()]
			if g.size == 2 {
				reluPoolGradPlane2(dx, xp, yp, dyp, g)
			} else {
				reluPoolGradPlane(dx, xp, yp, dyp, g)
			}
		}
	})
	return op.out, nil
}

// eqMask is -1 when a == b, else 0, without a branch.
func eqMask(a, b int32) int32 {
	d := a ^ b
	return ^((d | -d) >> 31)
}

// reluPoolGradPlane2 is the fused gradient for one plane and 2×2 windows,
// on bit patterns: y's bits equal those of the element it was taken from,
// and masks pick the first such element without data-dependent branches.
func reluPoolGradPlane2(dx, x, y, dy []float32, g poolGeometry) {
	xb, yb, db, ob := int32Bits(x), int32Bits(y), int32Bits(dy), int32Bits(dx)
	for oy := 0; oy < g.oh; oy++ {
		x0 := xb[2*oy*g.w : 2*oy*g.w+g.w]
		x1 := xb[(2*oy+1)*g.w : (2*oy+1)*g.w+g.w]
		o0 := ob[2*oy*g.w : 2*oy*g.w+g.w]
		o1 := ob[(2*oy+1)*g.w : (2*oy+1)*g.w+g.w]
		ys := yb[oy*g.ow : (oy+1)*g.ow]
		ds := db[oy*g.ow : (oy+1)*g.ow]
		ds = ds[:len(ys)]
		for ox, m := range ys {
			j := 2 * ox
			d := ds[ox] &^ eqMask(m, 0) // y = +0: a dead window
			left := int32(-1)
			e := eqMask(x0[j], m)
			o0[j] = d & e
			left &^= e
			e = eqMask(x0[j+1], m) & left
			o0[j+1] = d & e
			left &^= e
			e = eqMask(x1[j], m) & left
			o1[j] = d & e
			left &^= e
			o1[j+1] = d & eqMask(x1[j+1], m) & left
		}
		// A dropped odd column gets no gradient.
		for j := 2 * g.ow; j < g.w; j++ {
			o0[j], o1[j] = 0, 0
		}
	}
	clear(ob[2*g.oh*g.w:]) // and neither does a dropped odd row
}

// reluPoolGradPlane is reluPoolGradPlane2 for any window size.
func reluPoolGradPlane(dx, x, y, dy []float32, g poolGeometry) {
	clear(dx)
	xb := int32Bits(x)
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			m := int32(math.Float32bits(y[oy*g.ow+ox]))
			if m == 0 {
				continue
			}
		window:
			for dy2 := 0; dy2 < g.size; dy2++ {
				at := (oy*g.size+dy2)*g.w + ox*g.size
				for dx2, b := range xb[at : at+g.size] {
					if b == m {
						dx[at+dx2] = dy[oy*g.ow+ox]
						break window
					}
				}
			}
		}
	}
}

// evenPairs reports 2×2 windows that tile every plane exactly (even H and
// W): the planes of an image are then one run of row pairs, and an output
// row's windows are the pair maxima of two input rows.
func (g poolGeometry) evenPairs() bool {
	return g.size == 2 && g.h%2 == 0 && g.w%2 == 0
}

// reluPool2 is max(0, max of each 2×2 window) over an image's planes (see
// evenPairs), in two steps: the maxima of horizontal pairs, h, in vector
// code over the whole image, then the larger of two consecutive rows of h
// per output row. Both compare bit patterns as int32, as reluPoolPlane2
// does, and give its results bit for bit. h holds len(x)/2 floats.
func reluPool2(out, x, h []float32, g poolGeometry) {
	linalg.MaxPairs(h, x)
	hb, ob := int32Bits(h), int32Bits(out)
	ow := g.ow
	for r := 0; r < len(ob)/ow; r++ {
		h0, h1, o := hb[2*r*ow:(2*r+1)*ow], hb[(2*r+1)*ow:(2*r+2)*ow], ob[r*ow:(r+1)*ow]
		h1 = h1[:len(h0)]
		o = o[:len(h0)]
		for j, a := range h0 {
			o[j] = max(a, h1[j], 0)
		}
	}
}

// reluPoolGrad2 is reluPoolGradPlane2 over an image's planes (see
// evenPairs), given h, the pair maxima of x (linalg.MaxPairs), and
// following the steps of reluPool2 backwards: per output, the row of
// its window that holds y (the first, on a tie) gets dL/dy in gh, the pair
// gradient; then linalg.RoutePairs sends each pair's gradient to the
// element of the pair that holds the maximum (the first, on a tie). A
// window whose y is +0 (no positive element) gets nothing. h and gh hold
// len(x)/2 floats each.
func reluPoolGrad2(dx, x, y, dy, h, gh []float32, g poolGeometry) {
	hb, gb, yb, db := int32Bits(h), int32Bits(gh), int32Bits(y), int32Bits(dy)
	ow := g.ow
	for r := 0; r < len(yb)/ow; r++ {
		h0, h1 := hb[2*r*ow:(2*r+1)*ow], hb[(2*r+1)*ow:(2*r+2)*ow]
		g0, g1 := gb[2*r*ow:(2*r+1)*ow], gb[(2*r+1)*ow:(2*r+2)*ow]
		ys, ds := yb[r*ow:(r+1)*ow], db[r*ow:(r+1)*ow]
		h0, h1, g0, g1, ds = h0[:len(ys)], h1[:len(ys)], g0[:len(ys)], g1[:len(ys)], ds[:len(ys)]
		for j, m := range ys {
			d := ds[j] &^ eqMask(m, 0)
			e := eqMask(h0[j], m)
			g0[j] = d & e
			g1[j] = d &^ e & eqMask(h1[j], m)
		}
	}
	linalg.RoutePairs(dx, x, h, gh)
}
