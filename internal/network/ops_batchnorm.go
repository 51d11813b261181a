package network

// Batch normalisation. Input x is N×C×(spatial...), 2-D N×F or 4-D
// N×C×H×W in practice; channel c is normalised over its M = N·H·W values
// (M = N for 2-D):
//
//	μ_c = (1/M) Σ x,  σ²_c = (1/M) Σ (x - μ_c)²,  r_c = 1/sqrt(σ²_c + eps)
//	x̂ = (x - μ_c)·r_c,  y = γ_c·x̂ + β_c
//
// Backward, with g = dL/dy summed over the channel's M values:
//
//	dL/dβ_c = Σ g,  dL/dγ_c = Σ g·x̂
//	dL/dx   = γ_c·r_c·(g - dL/dβ_c/M - x̂·dL/dγ_c/M)
//
// the last because μ and σ² depend on every x of the channel: the two
// subtracted terms are the paths through μ and through σ². In inference
// mode μ and σ² are the running statistics, constants of the graph, and
// dL/dx = γ_c·r_c·g.

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
)

// BNState is a batch-norm layer's non-trainable state, shared by every
// graph of a Net (both twin branches and the inference graph). Mean and Var
// have one entry per channel (4-D input N×C×H×W, statistics over N, H, W)
// or per feature (2-D input N×F, statistics over N).
//
// A training-mode BatchNorm updates Mean and Var in place at every run, as
//
//	Mean = (1-Momentum)·Mean + Momentum·batch mean
//	Var  = (1-Momentum)·Var  + Momentum·batch variance·M/(M-1)
//
// (PyTorch's rule: the running variance is the unbiased estimate, while
// the batch is normalised with the biased one). Each BatchNorm node of a
// graph updates the state once per run, so a pair graph whose two branches
// share one BNState updates it twice per step, once per branch, as PyTorch
// does when a module is called twice. Graphs sharing a state must not run
// concurrently, except the graphs that run side by side: the twins of a
// PairGraph, whose second defers its update until both have run (twin.go),
// keeping that order; the halves of a BatchGraph, of which only the first
// updates it, with the whole batch's statistics; and the halves of an
// Embedder, which only read it.
type BNState struct {
	Mean, Var []float32
	Momentum  float32 // weight of the newest batch, in [0, 1]
	Eps       float32 // added to the variance before the square root, > 0
}

// NewBNState is the state of a fresh layer of the given number of channels:
// Mean 0, Var 1, Momentum 0.1 and Eps 1e-5, PyTorch's defaults.
func NewBNState(channels int) *BNState {
	st := &BNState{
		Mean:     make([]float32, channels),
		Var:      make([]float32, channels),
		Momentum: 0.1,
		Eps:      1e-5,
	}
	for i := range st.Var {
		st.Var[i] = 1
	}
	return st
}

// check validates the state for a layer of c channels.
func (st *BNState) check(c int) error {
	if st == nil {
		return fmt.Errorf("batchnorm: state is nil")
	}
	if len(st.Mean) != c || len(st.Var) != c {
		return fmt.Errorf("batchnorm: state has %d means and %d variances, input has %d channels", len(st.Mean), len(st.Var), c)
	}
	if !(st.Momentum >= 0 && st.Momentum <= 1) {
		return fmt.Errorf("batchnorm: momentum %v, want it in [0, 1]", st.Momentum)
	}
	if !(st.Eps > 0) || math.IsInf(float64(st.Eps), 1) {
		return fmt.Errorf("batchnorm: eps %v, want a finite value > 0", st.Eps)
	}
	return nil
}

// BatchNorm normalises x (N×C or N×C×H×W; any rank >= 2 with channels on
// axis 1) per channel and applies the affine map y = gamma·x̂ + beta, gamma
// and beta having C entries. With training true it uses the statistics of
// the batch and updates st's running statistics at every run; with training
// false it uses st's running statistics as they are when the graph runs.
// Both modes have gradients for x, gamma and beta (in inference mode the
// statistics are constants), so a graph may also fine-tune with frozen
// statistics.
func BatchNorm(x, gamma, beta *gorgonia.Node, st *BNState, training bool) (*gorgonia.Node, error) {
	return batchNormLayout(x, gamma, beta, st, training, false, false)
}

// batchNormLayout is BatchNorm on a channels-last input when cl is set
// (N×H×W×C data under an N×C×H×W shape, see channelsLast in graph.go),
// followed by a ReLU when relu is set: max(y, 0) is taken block by block
// as y is written, while the block is still in L1, rather than in a pass
// of its own over the whole batch.
func batchNormLayout(x, gamma, beta *gorgonia.Node, st *BNState, training, cl, relu bool) (*gorgonia.Node, error) {
	const name = "batchnorm"
	op, err := newBatchNorm(x, gamma, beta, st, training, cl, relu)
	if err != nil {
		return nil, err
	}
	y, err := gorgonia.ApplyOp(op, x, gamma, beta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}

// newBatchNorm is the op of batchNormLayout, its inputs checked.
func newBatchNorm(x, gamma, beta *gorgonia.Node, st *BNState, training, cl, relu bool) (*batchNormOp, error) {
	const name = "batchnorm"
	if err := checkFloat32Node(name, "input", x); err != nil {
		return nil, err
	}
	if err := checkFloat32Node(name, "scale", gamma); err != nil {
		return nil, err
	}
	if err := checkFloat32Node(name, "shift", beta); err != nil {
		return nil, err
	}
	op := &batchNormOp{dims: x.Dims(), training: training, cl: cl, relu: relu, st: st}
	g, err := op.geometry(x.Shape())
	if err != nil {
		return nil, err
	}
	if err := op.checkParams(g, gamma.Shape(), beta.Shape()); err != nil {
		return nil, err
	}
	if err := st.check(g.c); err != nil {
		return nil, err
	}
	return op, nil
}

// bnGeometry views the input as N×C×S, S the product of the dimensions
// after the channel axis (1 for a 2-D input).
type bnGeometry struct {
	n, c, s int
	cl      bool // the values are channels-last, (N·S)×C
}

// count is M = N·S, the number of values behind each channel's statistics,
// and the number of rows of a channels-last input.
func (g bnGeometry) count() int { return g.n * g.s }
func (g bnGeometry) size() int  { return g.n * g.c * g.s }

// forChannel runs fn on every plane of channel ch (the S contiguous values
// of one image in that channel), image by image; off is the plane's offset
// in x, and so in any tensor of x's shape.
func (g bnGeometry) forChannel(x []float32, ch int, fn func(plane []float32, off int)) {
	for i := range g.n {
		off := (i*g.c + ch) * g.s
		fn(x[off:off+g.s], off)
	}
}

// parallelChannels splits the channels across goroutines when the tensor
// is large enough to pay for them. Each goroutine owns whole channels, so
// every per-channel sum is computed by one goroutine in a fixed order and
// the results do not depend on GOMAXPROCS.
func (g bnGeometry) parallelChannels(fn func(lo, hi int)) {
	workers := 1
	if g.size() >= minParallelElems {
		workers = workersFor(g.c)
	}
	parallel.Range(g.c, workers, func(_, lo, hi int) { fn(lo, hi) })
}

// batchNormOp is the forward pass. Besides its output it caches each
// channel's mean and 1/sqrt(var+eps) of the last run, private to the op
// and its gradient ops, which need exactly these.
type batchNormOp struct {
	dims     int
	training bool
	cl       bool // the input is channels-last (see channelsLast in graph.go)
	relu     bool // a ReLU follows, fused into the output pass
	st       *BNState
	// deferRunning leaves the running statistics to foldRunning, for a
	// twin tower that runs beside the other (twin.go).
	deferRunning bool
	bnSide       // set when the batch is split in halves that share statistics

	out      []float32
	mean     []float32 // per channel: batch mean (training) or running mean
	invStd   []float32 // per channel: 1/sqrt(var + eps)
	batchVar []float32 // per channel: biased batch variance (training only)
	statsOf  []float32 // the input the statistics were computed from
	statsG   bnGeometry
	scale    []float32 // per channel: γ·invStd
	shift    []float32 // per channel: β of the last run, when a ReLU is fused
	mapped   []float32 // the input the last run mapped, scale and shift
	sums     []float64 // per channel: Σx, Σx², then per-slice partials
	count    float64   // values behind the statistics: the whole batch's
}

// bnSide is one half's end of a batch norm pass whose sums the two halves
// of a split batch add up (statPair in twin.go).
type bnSide struct {
	pair *statPair
	side int
	buf  []float64
}

// join replaces sums, this half's, by the whole batch's, and returns the
// whole batch's count for this half's count n: a no-op for an unsplit
// batch.
func (b *bnSide) join(sums []float64, n float64) (float64, error) {
	if b.pair == nil {
		return n, nil
	}
	b.buf = append(append(b.buf[:0], sums...), n)
	if err := b.pair.add(b.side, b.buf); err != nil {
		return 0, err
	}
	copy(sums, b.buf)
	return b.buf[len(sums)], nil
}

func (op *batchNormOp) name() string {
	if op.training {
		return "batchnorm"
	}
	return "batchnorm (inference)"
}

// geometry checks an input shape.
func (op *batchNormOp) geometry(xs tensor.Shape) (bnGeometry, error) {
	if len(xs) < 2 {
		return bnGeometry{}, fmt.Errorf("%s: input %v must be N×C or N×C×H×W", op.name(), xs)
	}
	g := bnGeometry{n: xs[0], c: xs[1], s: 1, cl: op.cl}
	for _, d := range xs[2:] {
		g.s *= d
	}
	if g.c < 1 || g.s < 1 || g.n < 1 {
		return g, fmt.Errorf("%s: empty input %v", op.name(), xs)
	}
	if op.training && g.count() < 2 {
		// A single value per channel has no variance: x̂ would be 0 and the
		// unbiased running variance 0/0. PyTorch refuses this too.
		return g, fmt.Errorf("%s: input %v has 1 value per channel, need at least 2 to train", op.name(), xs)
	}
	return g, nil
}

func (op *batchNormOp) checkParams(g bnGeometry, gs, bs tensor.Shape) error {
	if len(gs) != 1 || gs[0] != g.c || len(bs) != 1 || bs[0] != g.c {
		return fmt.Errorf("%s: scale %v and shift %v must both have %d entries, one per channel", op.name(), gs, bs, g.c)
	}
	return nil
}

func (op *batchNormOp) Arity() int { return 3 }
func (op *batchNormOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.dims), tensorType(1), tensorType(1), tensorType(op.dims))
}

func (op *batchNormOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg(op.name(), ds, 0)
	if err != nil {
		return nil, err
	}
	return xs.Clone(), nil
}

func (op *batchNormOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name()
	vals, shapes, err := float32Inputs(name, inputs, "input", "scale", "shift")
	if err != nil {
		return nil, err
	}
	x, xs, beta := vals[0], shapes[0], vals[2]
	g, err := op.begin(vals, shapes)
	if err != nil {
		return nil, err
	}
	op.out = grow(op.out, g.size())
	g.channelAffine(op.out, x, op.mean, op.scale, beta, op.relu)
	if op.relu {
		op.shift = append(op.shift[:0], beta...)
		op.mapped = x
	}
	op.end(g)
	return wrap(op.out, xs...), nil
}

// begin checks x, γ and β (vals and their shapes) and computes the
// statistics and the scale γ·r that the output pass (channelAffine) then
// applies.
func (op *batchNormOp) begin(vals [][]float32, shapes []tensor.Shape) (bnGeometry, error) {
	x, xs, gamma, gs, bs := vals[0], shapes[0], vals[1], shapes[1], shapes[2]
	g, err := op.geometry(xs)
	if err != nil {
		return g, err
	}
	if err := op.checkParams(g, gs, bs); err != nil {
		return g, err
	}
	if err := op.st.check(g.c); err != nil {
		return g, err
	}
	if err := op.computeStats(x, g); err != nil {
		return g, fmt.Errorf("%s: %w", op.name(), err)
	}
	op.scale = grow(op.scale, g.c)
	for ch := range g.c {
		op.scale[ch] = gamma[ch] * op.invStd[ch]
	}
	return g, nil
}

// end updates the running statistics after the output pass, unless the
// twin that runs beside this one leaves them to foldRunning.
func (op *batchNormOp) end(g bnGeometry) {
	if op.training && !op.deferRunning {
		op.updateRunning(g)
	}
}

// computeStats fills mean and invStd for x: the batch's in training mode,
// the running ones otherwise. It never touches the running statistics, so
// a gradient op may call it to rebuild the cache.
func (op *batchNormOp) computeStats(x []float32, g bnGeometry) error {
	op.mean = grow(op.mean, g.c)
	op.invStd = grow(op.invStd, g.c)
	op.batchVar = grow(op.batchVar, g.c)
	eps := float64(op.st.Eps)
	op.count = float64(g.count())
	if !op.training {
		for ch := range g.c {
			op.mean[ch] = op.st.Mean[ch]
			op.invStd[ch] = float32(1 / math.Sqrt(float64(op.st.Var[ch])+eps))
		}
	} else {
		op.sums = growSums(op.sums, g.c)
		sum, sq := op.sums[:g.c], op.sums[g.c:2*g.c]
		g.channelSums(x, sum, sq, op.sums[2*g.c:])
		m, err := op.join(op.sums[:2*g.c], op.count)
		if err != nil {
			return err
		}
		op.count = m
		for ch := range g.c {
			// One pass, E[x²] - mean², in float64: it loses digits only
			// when mean²/var approaches 1e9, far beyond activations.
			mean := sum[ch] / m
			v := max(sq[ch]/m-mean*mean, 0)
			op.mean[ch], op.batchVar[ch] = float32(mean), float32(v)
			op.invStd[ch] = float32(1 / math.Sqrt(v+eps))
		}
	}
	op.statsOf, op.statsG = x, g
	return nil
}

// statsFor returns the cached statistics of x, recomputing them if the
// cache holds another input (a gradient op run without its forward).
func (op *batchNormOp) statsFor(x []float32, g bnGeometry) (mean, invStd []float32, err error) {
	if err := op.st.check(g.c); err != nil {
		return nil, nil, err
	}
	if !sameData(op.statsOf, x) || op.statsG != g {
		if op.pair != nil {
			// The other half is not computing its statistics now.
			return nil, nil, fmt.Errorf("gradient of a split batch without its forward pass")
		}
		if err := op.computeStats(x, g); err != nil {
			return nil, nil, err
		}
	}
	return op.mean, op.invStd, nil
}

// reluMask returns the scale and shift of the affine map the last run
// applied to x before its fused ReLU, from which the gradient ops take the
// ReLU's mask (the map > 0) rather than reading the output: channels-last
// in training mode, when that run mapped this x with these statistics.
// Otherwise both are nil, and the ops mask by the output.
func (op *batchNormOp) reluMask(x []float32, g bnGeometry) (scale, shift []float32) {
	if !op.relu || !g.cl || !op.training || !sameData(op.mapped, x) || op.statsG != g || len(op.shift) != g.c {
		return nil, nil
	}
	return op.scale, op.shift
}

// growSums returns s grown to the per-channel sums of c channels and the
// partials of the channels-last slices (see sumRows).
func growSums(s []float64, c int) []float64 {
	n := 2*c + 2*bnRowChunks*c
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// foldRunning folds the statistics of the last forward pass into the
// running ones, for an op whose forward pass deferred it.
func (op *batchNormOp) foldRunning() { op.updateRunning(op.statsG) }

// updateRunning folds the batch statistics just computed into the running
// ones.
func (op *batchNormOp) updateRunning(g bnGeometry) {
	st := op.st
	m := float64(st.Momentum)
	unbias := op.count / (op.count - 1)
	for ch := range g.c {
		v := float64(op.batchVar[ch])
		st.Mean[ch] = float32((1-m)*float64(st.Mean[ch]) + m*float64(op.mean[ch]))
		st.Var[ch] = float32((1-m)*float64(st.Var[ch]) + m*v*unbias)
	}
}

func (op *batchNormOp) ReturnsPtr() bool     { return false }
func (op *batchNormOp) CallsExtern() bool    { return false }
func (op *batchNormOp) OverwritesInput() int { return -1 }
func (op *batchNormOp) WriteHash(h hash.Hash) {
	writeOpHash(h, op, "BatchNorm", op.dims, op.training, op.relu)
}
func (op *batchNormOp) Hashcode() uint32 { return hashOf(op) }
func (op *batchNormOp) String() string {
	return fmt.Sprintf("BatchNorm{training=%t,relu=%t}", op.training, op.relu)
}

func (op *batchNormOp) DiffWRT(inputs int) []bool { return []bool{true, true, true} }

// SymDiff builds dL/dβ and dL/dγ first (in one pass, see bnGradShiftOp)
// and feeds them to dL/dx, which needs exactly those two channel sums:
// the graph then orders the three ops and no sum is computed twice. A
// fused ReLU's gradient is taken in the same pass, from the output.
func (op *batchNormOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("%s: differentiate: got %d inputs, want 3", op.name(), len(inputs))
	}
	x, gamma := inputs[0], inputs[1]
	shift := &bnGradShiftOp{fwd: op}
	in := gorgonia.Nodes{x, grad}
	if op.relu {
		in = append(in, output)
	}
	dbeta, err := gorgonia.ApplyOp(shift, in...)
	if err != nil {
		return nil, fmt.Errorf("%s shift gradient: %w", op.name(), err)
	}
	dgamma, err := gorgonia.ApplyOp(&bnGradScaleOp{src: shift}, dbeta)
	if err != nil {
		return nil, fmt.Errorf("%s scale gradient: %w", op.name(), err)
	}
	gi := &bnGradInputOp{fwd: op, src: shift, args: gorgonia.Nodes{x, gamma, grad, dgamma, dbeta}}
	dx, err := gorgonia.ApplyOp(gi, gi.args...)
	if err != nil {
		return nil, fmt.Errorf("%s input gradient: %w", op.name(), err)
	}
	return gorgonia.Nodes{dx, dgamma, dbeta}, nil
}

// channelsOf is the C entries a per-channel gradient has for input shape s.
func (op *batchNormOp) channelsOf(what string, s tensor.Shape) (tensor.Shape, error) {
	if len(s) != op.dims || len(s) < 2 {
		return nil, fmt.Errorf("%s: shape %v is not %d-D", what, s, op.dims)
	}
	return tensor.Shape{s[1]}, nil
}

// bnGradShiftOp is dL/dβ_c = Σ g over channel c, g = dL/dy. Inputs: x,
// dL/dy, and the output y when a ReLU is fused, whose gradient g is then
// dL/dy where y > 0, else 0. In the same pass over dL/dy it sums g·x̂ for
// dL/dγ, which bnGradScaleOp hands on, and keeps g for bnGradInputOp:
// one read of dL/dy for the ReLU and both weight gradients rather than
// one each. Channels-last in training mode, the mask comes from x instead,
// through the forward pass's map (reluMask), and bnGradInputOp takes it
// again: neither reads y nor is g written, two passes fewer over memory
// in a step where batch norm's passes wait on memory bandwidth.
type bnGradShiftOp struct {
	fwd *batchNormOp

	out    []float32
	dgamma []float32 // dL/dγ of the last run, for bnGradScaleOp
	masked []float32 // g of the last run when a fused ReLU masks by its output
	sums   []float64 // Σ g, Σ g·(x - μ), then per-slice partials
	// The forward pass's map when the last run took the ReLU's mask from
	// the input instead (reluMask), for bnGradInputOp to mask dL/dy again.
	maskScale, maskShift []float32
}

func (op *bnGradShiftOp) name() string { return op.fwd.name() + " shift gradient" }
func (op *bnGradShiftOp) Arity() int {
	if op.fwd.relu {
		return 3
	}
	return 2
}
func (op *bnGradShiftOp) Type() hm.Type {
	t := tensorType(op.fwd.dims)
	if op.fwd.relu {
		return hm.NewFnType(t, t, t, tensorType(1))
	}
	return hm.NewFnType(t, t, tensorType(1))
}

func (op *bnGradShiftOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg(op.name(), ds, 0)
	if err != nil {
		return nil, err
	}
	return op.fwd.channelsOf(op.name(), xs)
}

func (op *bnGradShiftOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	name := op.name()
	what := []string{"input", "output gradient", "output"}[:op.Arity()]
	vals, shapes, err := float32Inputs(name, inputs, what...)
	if err != nil {
		return nil, err
	}
	x, xs, dy := vals[0], shapes[0], vals[1]
	for i := 1; i < len(shapes); i++ {
		if !xs.Eq(shapes[i]) {
			return nil, fmt.Errorf("%s: input %v and %s %v differ in shape", name, xs, what[i], shapes[i])
		}
	}
	g, err := op.fwd.geometry(xs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	mean, invStd, err := op.fwd.statsFor(x, g)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	op.out = grow(op.out, g.c)
	op.dgamma = grow(op.dgamma, g.c)
	op.sums = growSums(op.sums, g.c)
	var y []float32
	op.maskScale, op.maskShift = op.fwd.reluMask(x, g)
	if op.fwd.relu && op.maskScale == nil {
		y = vals[2]
		op.masked = grow(op.masked, g.size())
	}
	g.channelSumDots(dy, x, mean, y, op.masked, op.maskScale, op.maskShift, op.sums[:g.c], op.sums[g.c:2*g.c], op.sums[2*g.c:])
	for ch := range g.c {
		op.out[ch] = float32(op.sums[ch])
		op.dgamma[ch] = float32(op.sums[g.c+ch] * float64(invStd[ch]))
	}
	return wrap(op.out, g.c), nil
}

func (op *bnGradShiftOp) ReturnsPtr() bool      { return false }
func (op *bnGradShiftOp) CallsExtern() bool     { return false }
func (op *bnGradShiftOp) OverwritesInput() int  { return -1 }
func (op *bnGradShiftOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "BatchNormGradShift") }
func (op *bnGradShiftOp) Hashcode() uint32      { return hashOf(op) }
func (op *bnGradShiftOp) String() string        { return "BatchNormGradShift" }

// bnGradScaleOp is dL/dγ_c = Σ dL/dy·x̂ over channel c, x̂ from forward's
// cached statistics, as src summed it. Input: dL/dβ, src's output, which
// orders the two ops.
type bnGradScaleOp struct {
	src *bnGradShiftOp

	out []float32
}

func (op *bnGradScaleOp) name() string { return op.src.fwd.name() + " scale gradient" }
func (op *bnGradScaleOp) Arity() int   { return 1 }
func (op *bnGradScaleOp) Type() hm.Type {
	c := tensorType(1)
	return hm.NewFnType(c, c)
}

func (op *bnGradScaleOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	cs, err := shapeArg(op.name(), ds, 0)
	if err != nil {
		return nil, err
	}
	return cs.Clone(), nil
}

func (op *bnGradScaleOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vals, shapes, err := float32Inputs(op.name(), inputs, "shift gradient")
	if err != nil {
		return nil, err
	}
	if c := len(vals[0]); len(op.src.dgamma) != c {
		return nil, fmt.Errorf("%s: shift gradient %v, but the shift op summed %d channels", op.name(), shapes[0], len(op.src.dgamma))
	}
	op.out = append(op.out[:0], op.src.dgamma...)
	return wrap(op.out, len(op.out)), nil
}

func (op *bnGradScaleOp) ReturnsPtr() bool      { return false }
func (op *bnGradScaleOp) CallsExtern() bool     { return false }
func (op *bnGradScaleOp) OverwritesInput() int  { return -1 }
func (op *bnGradScaleOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "BatchNormGradScale") }
func (op *bnGradScaleOp) Hashcode() uint32      { return hashOf(op) }
func (op *bnGradScaleOp) String() string        { return "BatchNormGradScale" }

// bnGradInputOp is dL/dx. Inputs: x, γ, dL/dy, dL/dγ, dL/dβ. In training
// mode it expands to
//
//	dL/dx = a·g + k·(x - μ) + b,  a = γ·r,  k = -a·r·dL/dγ/M,  b = -a·dL/dβ/M
//
// with one set of a, k, b per channel; in inference mode k = b = 0.
type bnGradInputOp struct {
	fwd  *batchNormOp
	src  *bnGradShiftOp // holds dL/dy masked by a fused ReLU
	args gorgonia.Nodes // its inputs, for the ops that take it in (convBNGradWeight, winogradGradInput.bn)
	// In a split batch, dL/dγ and dL/dβ are this half's sums (the weight
	// gradients, which the halves add), and dL/dx needs the whole batch's.
	bnSide
	whole []float64
	sums  []float32 // the whole batch's dL/dγ, then dL/dβ

	out  []float32
	coef []float32 // per channel: a, k, b, and zeros for inference
}

func (op *bnGradInputOp) name() string { return op.fwd.name() + " input gradient" }
func (op *bnGradInputOp) Arity() int   { return 5 }
func (op *bnGradInputOp) Type() hm.Type {
	t, c := tensorType(op.fwd.dims), tensorType(1)
	return hm.NewFnType(t, c, t, c, c, t)
}

func (op *bnGradInputOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := shapeArg(op.name(), ds, 0)
	if err != nil {
		return nil, err
	}
	return xs.Clone(), nil
}

func (op *bnGradInputOp) Do(inputs ...gorgonia.Value) (gorgonia.Value, error) {
	vals, shapes, err := float32Inputs(op.name(), inputs, bnGradInputNames()...)
	if err != nil {
		return nil, err
	}
	c, err := op.prepare(vals, shapes)
	if err != nil {
		return nil, err
	}
	op.out = grow(op.out, c.g.size())
	switch {
	case !op.fwd.training:
		c.g.channelAffine(op.out, c.dy, c.zero, c.a, c.zero, false)
	case c.g.cl:
		c.g.mapRows(func(lo, hi int) { c.rows(op.out[lo:hi], lo, hi) })
	default:
		c.g.channelCombine(op.out, c.dy, c.x, c.a, c.k, c.mean, c.b)
	}
	return wrap(op.out, shapes[0]...), nil
}

// bnGradInputNames names bnGradInputOp's inputs.
func bnGradInputNames() []string {
	return []string{"input", "scale", "output gradient", "scale gradient", "shift gradient"}
}

// bnCombine is dL/dx of one run of a bnGradInputOp, ready to be written
// a range of values at a time (rows).
type bnCombine struct {
	g                  bnGeometry
	dy, x              []float32
	a, k, mean, b      []float32
	zero               []float32
	maskScale, maskShf []float32 // the fused ReLU's mask from x (reluMask), or nil
}

// rows writes dL/dx of values [lo, hi), whole channels-last rows, into
// out, in training mode: a fused ReLU's gradient taken with the mask from
// x (reluMask) when the forward pass mapped it.
func (c bnCombine) rows(out []float32, lo, hi int) {
	if c.maskScale != nil {
		linalg.CombineCentredReLURows(out, c.dy[lo:hi], c.x[lo:hi], c.a, c.k, c.mean, c.b, c.maskScale, c.maskShf)
		return
	}
	linalg.CombineCentredRows(out, c.dy[lo:hi], c.x[lo:hi], c.a, c.k, c.mean, c.b)
}

// prepare checks the inputs (bnGradInputNames) and computes the
// per-channel coefficients of dL/dx, the whole batch's when it is split.
func (op *bnGradInputOp) prepare(vals [][]float32, shapes []tensor.Shape) (bnCombine, error) {
	name := op.name()
	x, gamma, dy, dgamma, dbeta := vals[0], vals[1], vals[2], vals[3], vals[4]
	xs := shapes[0]
	if !xs.Eq(shapes[2]) {
		return bnCombine{}, fmt.Errorf("%s: input %v and output gradient %v differ in shape", name, xs, shapes[2])
	}
	if op.fwd.relu && op.src.maskScale == nil {
		if len(op.src.masked) != len(dy) {
			return bnCombine{}, fmt.Errorf("%s: output gradient %v, but the shift op masked %d values", name, xs, len(op.src.masked))
		}
		dy = op.src.masked
	}
	g, err := op.fwd.geometry(xs)
	if err != nil {
		return bnCombine{}, fmt.Errorf("%s: %w", name, err)
	}
	for _, i := range [3]int{1, 3, 4} {
		if s := shapes[i]; len(s) != 1 || s[0] != g.c {
			return bnCombine{}, fmt.Errorf("%s: %s %v, want %d entries", name, bnGradInputNames()[i], s, g.c)
		}
	}
	mean, invStd, err := op.fwd.statsFor(x, g)
	if err != nil {
		return bnCombine{}, fmt.Errorf("%s: %w", name, err)
	}
	m := float32(op.fwd.count)
	if op.fwd.training && op.pair != nil {
		op.whole = op.whole[:0]
		for _, v := range dgamma {
			op.whole = append(op.whole, float64(v))
		}
		for _, v := range dbeta {
			op.whole = append(op.whole, float64(v))
		}
		if _, err := op.join(op.whole, 0); err != nil {
			return bnCombine{}, fmt.Errorf("%s: %w", name, err)
		}
		op.sums = grow(op.sums, 2*g.c)
		for i, v := range op.whole {
			op.sums[i] = float32(v)
		}
		dgamma, dbeta = op.sums[:g.c], op.sums[g.c:]
	}
	op.coef = grow(op.coef, 4*g.c)
	a, k, b, zero := op.coef[:g.c], op.coef[g.c:2*g.c], op.coef[2*g.c:3*g.c], op.coef[3*g.c:]
	clear(zero)
	for ch := range g.c {
		r := invStd[ch]
		a[ch] = gamma[ch] * r
		k[ch], b[ch] = -a[ch]*r*dgamma[ch]/m, -a[ch]*dbeta[ch]/m
	}
	c := bnCombine{g: g, dy: dy, x: x, a: a, k: k, mean: mean, b: b, zero: zero}
	if op.fwd.relu {
		c.maskScale, c.maskShf = op.src.maskScale, op.src.maskShift
	}
	return c, nil
}

func (op *bnGradInputOp) ReturnsPtr() bool      { return false }
func (op *bnGradInputOp) CallsExtern() bool     { return false }
func (op *bnGradInputOp) OverwritesInput() int  { return -1 }
func (op *bnGradInputOp) WriteHash(h hash.Hash) { writeOpHash(h, op, "BatchNormGradInput") }
func (op *bnGradInputOp) Hashcode() uint32      { return hashOf(op) }
func (op *bnGradInputOp) String() string        { return "BatchNormGradInput" }
