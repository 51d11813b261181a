package network

import (
	"fmt"
	"hash"
	"math"
	"math/rand/v2"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/parallel"
)

// Dropout is inverted dropout, for training graphs only: each element of x
// is kept with probability 1-rate and scaled by 1/(1-rate), or set to 0, so
// the expected output equals x and an inference graph simply leaves the
// layer out. The gradient is dL/dx = dL/dy·mask/(1-rate), mask the 0/1
// draw of the same run.
//
// The mask is drawn from PCG generators reseeded at every run from
// (seed, run), run counting the op's forward runs from 0 (see
// dropoutChunk). The sequence of masks is therefore fixed by seed alone,
// whatever GOMAXPROCS, and a checkpoint restores it
// by saving RunIndex and calling SetRunIndex on the op, reached as
// y.Op().(*DropoutOp). Give every Dropout of a graph (and each twin
// branch) its own seed, or they drop the same elements.
//
// rate must be in [0, 1).
func Dropout(x *gorgonia.Node, rate float64, seed uint64) (*gorgonia.Node, error) {
	const name = "dropout"
	if err := checkFloat32Node(name, "input", x); err != nil {
		return nil, err
	}
	if x.Dims() < 1 {
		return nil, fmt.Errorf("%s: input %s is a scalar, want a tensor", name, x.Name())
	}
	if !(rate >= 0 && rate < 1) {
		return nil, fmt.Errorf("%s: rate %v, want it in [0, 1)", name, rate)
	}
	y, err := gorgonia.ApplyOp(newDropoutOp(x.Dims(), rate, seed), x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}

// DropoutOp is the op behind a Dropout node. Its exported methods read and
// set the position of its mask sequence; the rest is gorgonia's Op
// interface.
type DropoutOp struct {
	dims      int
	rate      float64
	seed      uint64
	threshold uint32
	scale     float32
	run       uint64 // index of the next run

	out  []float32
	mask []float32 // last run's mask, already scaled: 0 or 1/(1-rate)
}

// newDropoutOp is the op for a dims-dimensional input; rate is in [0, 1).
func newDropoutOp(dims int, rate float64, seed uint64) *DropoutOp {
	return &DropoutOp{
		dims: dims,
		rate: rate,
		seed: seed,
		// Keep iff a uniform 32-bit draw u >= rate·2³², so P(keep) is
		// 1-rate to within 2⁻³²; rate < 1 keeps the product below 2³².
		threshold: uint32(rate * (1 << 32)),
		scale:     float32(1 / (1 - rate)),
	}
}

// Rate is the probability that an element is dropped.
func (op *DropoutOp) Rate() float64 { return op.rate }

// Seed is the seed of the mask sequence.
func (op *DropoutOp) Seed() uint64 { return op.seed }

// RunIndex is the number of forward runs so far, which is also the index of
// the mask the next run draws.
func (op *DropoutOp) RunIndex() uint64 { return op.run }

// SetRunIndex makes the next run draw mask number run, as a fresh op that
// had already run that many times would.
func (op *DropoutOp) SetRunIndex(run uint64) { op.run = run }

func (op *DropoutOp) Arity() int    { return 1 }
func (op *DropoutOp) Type() hm.Type { return hm.NewFnType(tensorType(op.dims), tensorType(op.dims)) }

func (op *DropoutOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg("dropout", ds, 0)
	if err != nil {
		return nil, err
	}
	return xs.Clone(), nil
}

// dropoutChunk is the number of elements that draw from one generator.
// Chunk k of run r draws from PCG(seed, r + k·φ), φ = 2⁶⁴/golden ratio:
// chunks can then be drawn on any number of goroutines with the same
// result, and a tensor of one chunk draws from PCG(seed, r) itself. The
// multiples of φ stay far from one another modulo 2⁶⁴, so no two
// (run, chunk) pairs of a plausible training run share a stream.
const (
	dropoutChunk  = minParallelElems
	dropoutStride = 0x9e3779b97f4a7c15
)

// Do draws this run's mask and applies it, chunk by chunk in parallel. One
// 64-bit draw decides two elements.
func (op *DropoutOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vals, shapes, err := float32Inputs("dropout", inputs, "input")
	if err != nil {
		return nil, err
	}
	x, xs := vals[0], shapes[0]
	n := len(x)
	op.out = grow(op.out, n)
	op.mask = grow(op.mask, n)
	run := op.run
	op.run++
	chunks := (n + dropoutChunk - 1) / dropoutChunk
	parallel.Range(chunks, workersFor(chunks), func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			start, end := k*dropoutChunk, min((k+1)*dropoutChunk, n)
			src := rand.NewPCG(op.seed, run+uint64(k)*dropoutStride)
			op.draw(src, x[start:end], op.mask[start:end], op.out[start:end])
		}
	})
	return wrap(op.out, xs...), nil
}

// draw fills mask (0 or 1/(1-rate)) from src and sets out = x·mask.
func (op *DropoutOp) draw(src *rand.PCG, x, mask, out []float32) {
	scale, threshold := math.Float32bits(op.scale), op.threshold
	keep := func(u uint32) float32 {
		// Select on the bit pattern, as ReLU does: a kept/dropped branch
		// would mispredict on a random fraction of the elements.
		b := scale
		if u < threshold {
			b = 0
		}
		return math.Float32frombits(b)
	}
	mask, out = mask[:len(x)], out[:len(x)]
	i := 0
	for ; i+2 <= len(x); i += 2 {
		u := src.Uint64()
		mask[i], mask[i+1] = keep(uint32(u)), keep(uint32(u>>32))
		out[i], out[i+1] = x[i]*mask[i], x[i+1]*mask[i+1]
	}
	if i < len(x) {
		mask[i] = keep(uint32(src.Uint64()))
		out[i] = x[i] * mask[i]
	}
}

func (op *DropoutOp) ReturnsPtr() bool     { return false }
func (op *DropoutOp) CallsExtern() bool    { return false }
func (op *DropoutOp) OverwritesInput() int { return -1 }
func (op *DropoutOp) WriteHash(h hash.Hash) {
	writeOpHash(h, op, "Dropout", op.dims, op.rate, op.seed)
}
func (op *DropoutOp) Hashcode() uint32 { return hashOf(op) }
func (op *DropoutOp) String() string {
	return fmt.Sprintf("Dropout{rate=%g, seed=%d}", op.rate, op.seed)
}

func (op *DropoutOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *DropoutOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&dropoutGradOp{fwd: op}, grad)
	if err != nil {
		return nil, fmt.Errorf("dropout gradient: %w", err)
	}
	return gorgonia.Nodes{dx}, nil
}

// dropoutGradOp is dL/dx = dL/dy·mask/(1-rate), with the mask of forward's
// latest run. Input: dL/dy. Unlike the caches of the other ops the mask
// cannot be rebuilt from an input, so a gradient without its forward run
// is an error rather than a recomputation.
type dropoutGradOp struct {
	fwd *DropoutOp

	out []float32
}

func (op *dropoutGradOp) Arity() int { return 1 }
func (op *dropoutGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.fwd.dims), tensorType(op.fwd.dims))
}

func (op *dropoutGradOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	gs, err := shapeArg("dropout gradient", ds, 0)
	if err != nil {
		return nil, err
	}
	return gs.Clone(), nil
}

func (op *dropoutGradOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "dropout gradient"
	vals, shapes, err := float32Inputs(name, inputs, "output gradient")
	if err != nil {
		return nil, err
	}
	dy, gs := vals[0], shapes[0]
	mask := op.fwd.mask
	if op.fwd.run == 0 || len(mask) != len(dy) {
		return nil, fmt.Errorf("%s: output gradient %v has no mask of its size; forward has not run on it", name, gs)
	}
	op.out = grow(op.out, len(dy))
	parallelElems(len(dy), func(lo, hi int) {
		out, mask := op.out[lo:hi], mask[lo:hi]
		for i, v := range dy[lo:hi] {
			out[i] = v * mask[i]
		}
	})
	return wrap(op.out, gs...), nil
}

func (op *dropoutGradOp) ReturnsPtr() bool      { return false }
func (op *dropoutGradOp) CallsExtern() bool     { return false }
func (op *dropoutGradOp) OverwritesInput() int  { return -1 }
func (op *dropoutGradOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "DropoutGrad", op.fwd.rate) }
func (op *dropoutGradOp) Hashcode() uint32      { return hashOf(op) }
func (op *dropoutGradOp) String() string        { return fmt.Sprintf("DropoutGrad{rate=%g}", op.fwd.rate) }
