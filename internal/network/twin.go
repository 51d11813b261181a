package network

// The two halves of a training step run at the same time, each a graph of
// its own on its own goroutine: the twins of a PairGraph, or the two
// halves of a BatchGraph's batch. Splitting every op across the cores
// instead (parallelRange) costs a fork and a join per op, about 200 per
// step of the photos preset, and leaves the second core idle in every
// serial stretch between them; two whole towers have neither cost.
//
// The towers meet at the head: each tower's last op hands its embeddings
// to a twinHead and waits for the other's. The second to arrive runs the
// head (a PairGraph's distance and loss, a BatchGraph's loss over every
// pair of the whole batch) and its gradient with respect to both towers'
// embeddings; each tower then back-propagates its share. The halves of a
// batch also meet at every batch norm (statPair), which normalises with
// the statistics of the whole batch, as one graph would. The gradient of
// the loss with respect to a weight is the sum of the towers' two
// gradients, added in a fixed order, so a step gives the same bits every
// time and at any number of cores.

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/parallel"
)

// errTwinAborted is what a tower waiting for the other gets when the other
// failed before reaching the meeting point.
var errTwinAborted = errors.New("the other tower failed")

// rendezvous is where the towers of a step meet: each hands over its
// part, the last to arrive runs the work on all the parts, and every party
// returns once it has. It serves many meetings, one after another; abort
// releases a party waiting for one that failed, until reset.
//
// A party that arrives first polls for the meeting's end for up to
// rendezvousSpin before it sleeps on the condition: the towers run in step
// and arrive within microseconds of each other, while a party put to
// sleep is woken through another thread, tens of microseconds later on a
// VM, and the photos preset's towers meet at every batch norm, twice.
type rendezvous struct {
	mu      sync.Mutex
	met     *sync.Cond
	parties int
	arrived int
	err     error // the last meeting's work
	// Written under mu, and read outside it by a polling party.
	gen     atomic.Uint64 // meetings completed
	aborted atomic.Bool
}

// rendezvousSpin is how long a party polls before it sleeps.
const rendezvousSpin = 200 * time.Microsecond

func newRendezvous(parties int) *rendezvous {
	r := &rendezvous{parties: parties}
	r.met = sync.NewCond(&r.mu)
	return r
}

// join runs deposit under the lock, then work if this party is the last
// to arrive, and returns work's error, or errTwinAborted. collect, also
// under the lock, runs after work on every party that gets no error.
func (r *rendezvous) join(deposit func(), work func() error, collect func()) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aborted.Load() {
		return errTwinAborted
	}
	deposit()
	r.arrived++
	if r.arrived == r.parties {
		r.err = work()
		r.arrived = 0
		r.gen.Add(1)
		r.met.Broadcast()
	} else {
		gen := r.gen.Load()
		ended := func() bool { return r.gen.Load() != gen || r.aborted.Load() }
		r.mu.Unlock()
		parallel.Poll(rendezvousSpin, ended)
		r.mu.Lock()
		for !ended() {
			r.met.Wait()
		}
		if r.gen.Load() == gen {
			return errTwinAborted
		}
	}
	if r.err != nil {
		return r.err
	}
	collect()
	return nil
}

// reset readies the rendezvous for the next step; no party may be in it.
func (r *rendezvous) reset() {
	r.mu.Lock()
	r.arrived = 0
	r.aborted.Store(false)
	r.mu.Unlock()
}

// abort releases a party waiting for one that has failed.
func (r *rendezvous) abort() {
	r.mu.Lock()
	r.aborted.Store(true)
	r.met.Broadcast()
	r.mu.Unlock()
}

// twinHead is the meeting point of the two towers and the head that runs
// on both towers' embeddings.
type twinHead struct {
	*rendezvous // of 2 towers, or 1 for a batch too small to split

	in    [2][]float32    // the towers' embeddings, views of all
	all   []float32       // in[0] then in[1]
	shape [2]tensor.Shape // their shapes, rows×dim
	// run computes loss and grad (∂L/∂embeddings of each tower) from in.
	run  func() error
	loss float32
	grad [2][]float32
}

func newTwinHead(rows [2]int, dim int) *twinHead {
	h := &twinHead{rendezvous: newRendezvous(2)}
	if rows[1] == 0 {
		h.parties = 1
	}
	h.all = make([]float32, (rows[0]+rows[1])*dim)
	k := rows[0] * dim
	h.in[0], h.in[1] = h.all[:k:k], h.all[k:]
	for side, n := range rows {
		h.shape[side] = tensor.Shape{n, dim}
	}
	return h
}

// newPairHead is the head of a PairGraph, batch pairs of dim-wide
// embeddings: dist = ‖a - b‖, the loss on (dist, y) and its gradient with
// respect to a and b, as a small graph of its own. dist and y are the
// tensors it reads the labels from and leaves the distances in.
func newPairHead(batch, dim int, loss LossFunc) (h *twinHead, y *tensor.Dense, dist *G.Value, err error) {
	h = newTwinHead([2]int{batch, batch}, dim)
	g := G.NewGraph()
	var nodes [2]*G.Node
	for side, name := range []string{"ea", "eb"} {
		t := tensor.New(tensor.WithShape(batch, dim), tensor.WithBacking(h.in[side]))
		nodes[side] = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, dim), G.WithName(name), G.WithValue(t))
	}
	y = tensor.New(tensor.WithShape(batch), tensor.Of(tensor.Float32))
	yn := G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("y"), G.WithValue(y))
	d, err := Distance(nodes[0], nodes[1], DistanceEps)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("distance head: %w", err)
	}
	l, err := loss(d, yn)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("loss: %w", err)
	}
	grads, err := G.Grad(l, nodes[0], nodes[1])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("differentiate loss: %w", err)
	}
	prog, err := compile(g, append(G.Nodes{l, d}, grads...)...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("distance head: %w", err)
	}
	// distVal is the distances' tensor itself, which the next run
	// overwrites: PairGraph.Step copies it out before that.
	var distVal G.Value
	h.run = func() error {
		if err := prog.run(); err != nil {
			return fmt.Errorf("distance head: %w", err)
		}
		for side, n := range grads {
			gv := prog.value(n)
			if gv == nil {
				return fmt.Errorf("distance head: gradient of side %d not computed", side)
			}
			h.grad[side] = gv.Data().([]float32)
		}
		h.loss = scalarOf(prog.value(l))
		distVal = prog.value(d)
		return nil
	}
	return h, y, &distVal, nil
}

// newPairHeadGrad is newPairHead with the loss and its gradient computed
// by loss on plain slices, and the distances and their gradients by the
// Distance ops' own loops: no graph. The graph of a loss and of its
// gradient is about 25 gorgonia ops on vectors of batch distances, 124-133
// µs of a 7 ms step at 28 px (batch 64, 2 cores), all of it while the
// other tower waits; from cache, 41 µs as a graph and 14 on slices
// (BenchmarkPairHead), most of that the distances' sums.
func newPairHeadGrad(batch, dim int, loss PairLossGrad) (*twinHead, *tensor.Dense, *G.Value) {
	h := newTwinHead([2]int{batch, batch}, dim)
	y := tensor.New(tensor.WithShape(batch), tensor.Of(tensor.Float32))
	labels := y.Data().([]float32)
	d, dd := make([]float32, batch), make([]float32, batch)
	h.grad[0], h.grad[1] = make([]float32, batch*dim), make([]float32, batch*dim)
	var dist G.Value = tensor.New(tensor.WithShape(batch), tensor.WithBacking(d))
	h.run = func() error {
		pairDistances(d, h.in[0], h.in[1], dim, DistanceEps)
		h.loss = loss(d, labels, dd)
		pairDistanceGrad(h.grad[0], h.in[0], h.in[1], d, dd, dim, 1)
		pairDistanceGrad(h.grad[1], h.in[0], h.in[1], d, dd, dim, -1)
		return nil
	}
	return h, y, &dist
}

// newBatchHead is the head of a BatchGraph whose batch is split into rows
// images per tower: the loss f over every pair of the whole batch, the
// first tower's images first, with the labels in *labels.
func newBatchHead(rows [2]int, dim int, f BatchLossFunc, labels *[]int) *twinHead {
	h := newTwinHead(rows, dim)
	n := rows[0] + rows[1]
	e := h.all // the towers' embeddings meet here, the first tower's first
	shapes := []tensor.Shape{{n, dim}, {1}}
	loss := &batchLoss{f: f, labels: labels}
	grad := &batchLossGrad{fwd: loss}
	one := []float32{1}
	h.run = func() error {
		l, err := loss.forward([][]float32{e}, shapes[:1], tensor.Shape{1})
		if err != nil {
			return err
		}
		de, err := grad.forward([][]float32{e, one}, shapes, shapes[0])
		if err != nil {
			return err
		}
		h.loss = l[0]
		h.grad[0], h.grad[1] = de[:len(h.in[0])], de[len(h.in[0]):]
		return nil
	}
	return h
}

// meet hands tower side's embeddings to the head and returns once the head
// has run on both towers' embeddings.
func (h *twinHead) meet(side int, e []float32) error {
	return h.join(func() { copy(h.in[side], e) }, h.run, func() {})
}

// twinHeadKernel is a tower's last op: it meets the other tower at the
// head and outputs the loss, so that the tower's graph differentiates the
// loss through the gradient the head computed for this tower's side.
type twinHeadKernel struct {
	head *twinHead
	side int
	out  []float32
}

func (k *twinHeadKernel) name() string     { return "head" }
func (k *twinHeadKernel) inputs() []string { return []string{"embeddings"} }

func (k *twinHeadKernel) shape(in []tensor.Shape) (tensor.Shape, error) {
	if want := k.head.shape[k.side]; !in[0].Eq(want) {
		return nil, fmt.Errorf("%s: embeddings %v, want %v", k.name(), in[0], want)
	}
	return tensor.Shape{1}, nil
}

func (k *twinHeadKernel) forward(in [][]float32, _ []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	if err := k.head.meet(k.side, in[0]); err != nil {
		return nil, err
	}
	k.out = grow(k.out, 1)
	k.out[0] = k.head.loss
	return k.out, nil
}

func (k *twinHeadKernel) backward(_ G.Nodes, y, dy *G.Node) (G.Nodes, error) {
	de, err := apply(&twinHeadGrad{fwd: k}, y, dy)
	if err != nil {
		return nil, err
	}
	return G.Nodes{de}, nil
}

// twinHeadGrad is ∂L/∂embeddings of one tower, scaled by the output
// gradient. Taking the head's output as an input orders it after the
// head, whose gradient it reads.
type twinHeadGrad struct {
	fwd *twinHeadKernel
	out []float32
}

func (k *twinHeadGrad) name() string     { return "head gradient" }
func (k *twinHeadGrad) inputs() []string { return []string{"loss", "output gradient"} }

func (k *twinHeadGrad) shape(in []tensor.Shape) (tensor.Shape, error) {
	if in[1].TotalSize() != 1 {
		return nil, fmt.Errorf("%s: output gradient %v, want one value", k.name(), in[1])
	}
	return k.fwd.head.shape[k.fwd.side].Clone(), nil
}

func (k *twinHeadGrad) forward(in [][]float32, _ []tensor.Shape, out tensor.Shape) ([]float32, error) {
	g := k.fwd.head.grad[k.fwd.side]
	if len(g) != out.TotalSize() {
		return nil, fmt.Errorf("%s: the head has not run this step", k.name())
	}
	dy := in[1][0]
	k.out = grow(k.out, len(g))
	for i, v := range g {
		k.out[i] = dy * v
	}
	return k.out, nil
}

// statPair is where the two halves of a batch add up the partial sums of
// one batch-norm pass (the channel sums of the forward pass, or of a
// gradient), so both normalise with the whole batch's statistics.
type statPair struct {
	*rendezvous
	part  [2][]float64
	total []float64
}

func newStatPair() *statPair { return &statPair{rendezvous: newRendezvous(2)} }

// add replaces sums, side's partial sums, by the whole batch's: the first
// half's plus the second's, in that order on both sides.
func (p *statPair) add(side int, sums []float64) error {
	return p.join(
		func() { p.part[side] = append(p.part[side][:0], sums...) },
		func() error {
			if len(p.part[0]) != len(p.part[1]) {
				return fmt.Errorf("batch halves have %d and %d sums", len(p.part[0]), len(p.part[1]))
			}
			p.total = append(p.total[:0], p.part[0]...)
			for i, v := range p.part[1] {
				p.total[i] += v
			}
			return nil
		},
		func() { copy(sums, p.total) })
}

// towerGraph is one twin: its input batch through the tower to the head,
// and back to the gradient of every weight.
type towerGraph struct {
	g       *G.ExprGraph
	x       *tensor.Dense
	weights G.Nodes
	// grads[i] is the node whose value is the gradient of weights[i],
	// read after a run (see newTowerGraph)
	grads    G.Nodes
	prog     *program
	dropouts []*DropoutOp
	// batch norms whose running statistics the step folds in after both
	// towers ran (a PairGraph's second tower), so the update order is the
	// same as when the twins ran one after the other.
	deferredBN []*batchNormOp
}

// newTowerGraph builds tower side (0 or 1) on rows images, ending at head.
func (n *Net) newTowerGraph(rows, side int, head *twinHead) (*towerGraph, error) {
	g := G.NewGraph()
	tg := &towerGraph{g: g}
	var x *G.Node
	x, tg.x = n.inputNode(g, rows, []string{"xa", "xb"}[side])
	tg.weights = n.weightNodes(g)
	mode := &applyMode{training: true, branch: side}
	e, err := n.apply(x, tg.weights, mode)
	if err != nil {
		return nil, err
	}
	tg.dropouts = mode.dropouts
	out, err := apply(&twinHeadKernel{head: head, side: side}, e)
	if err != nil {
		return nil, err
	}
	cost, err := G.Sum(out)
	if err != nil {
		return nil, fmt.Errorf("tower cost: %w", err)
	}
	grads, err := G.Grad(cost, tg.weights...)
	if err != nil {
		return nil, fmt.Errorf("differentiate loss: %w", err)
	}
	// Run only what the weight gradients need: the gradient with respect
	// to the input images, which Grad also builds, is work thrown away.
	// The gradients are read from their nodes' values in the program, not
	// bound to the weights' dual values: gorgonia's tape machine, which
	// ran the graphs before, added each one into a dual value that every
	// run had to clear first, two passes over every gradient (2.7% of a
	// 28 px training step on one core) for a copy.
	tg.grads = grads
	if tg.prog, err = compile(g, grads...); err != nil {
		return nil, err
	}
	return tg, nil
}

// trainingBN lists the tower's training batch norms and their input
// gradient ops, each kind in the order the graph made them.
func (tg *towerGraph) trainingBN() (fwd []*batchNormOp, grad []*bnGradInputOp) {
	for _, nd := range tg.g.AllNodes() {
		switch op := nd.Op().(type) {
		case *batchNormOp:
			if op.training {
				fwd = append(fwd, op)
			}
		case *diffKernelOp:
			if k, ok := op.k.(*bnAddReLU); ok && k.bn.training {
				fwd = append(fwd, k.batchNorms()...)
			}
		case *bnGradInputOp:
			if op.fwd.training {
				grad = append(grad, op)
			}
		}
	}
	return fwd, grad
}

// run is one forward and backward pass of the tower on its current input.
func (tg *towerGraph) run() error { return tg.prog.run() }

// twins is what PairGraph and BatchGraph share: two towers, their head,
// the batch-norm pairs between them, and the sum of their gradients.
type twins struct {
	net    *Net
	towers [2]*towerGraph
	head   *twinHead
	pairs  []*statPair
	// per parameter: the first tower's gradient, into which step adds the
	// second's
	grads [][]float32
}

// SetMaskStream positions every dropout mask sequence at a point fixed by
// (seed, epoch), so that an epoch's masks do not depend on how many steps
// ran before it in this process: a resumed run draws the same masks.
func (tw *twins) SetMaskStream(seed uint64, epoch int) {
	for _, tg := range tw.towers {
		for _, d := range tg.dropouts {
			d.SetRunIndex((seed*1_000_003 + uint64(epoch)) << 24)
		}
	}
}

// Grads returns the gradient of the loss for every parameter, aligned with
// Net.Params, after a Step that succeeded (nil before the first Step).
// The slices are the first tower's gradients, into which the Step added
// the second's: they belong to the graph and change with the next Step.
func (tw *twins) Grads() ([][]float32, error) { return tw.grads, nil }

// step runs both towers side by side on their current inputs and sums
// their weight gradients into grads.
func (tw *twins) step() error {
	tw.head.reset()
	for _, p := range tw.pairs {
		p.reset()
	}
	abort := func() {
		tw.head.abort()
		for _, p := range tw.pairs {
			p.abort()
		}
	}
	var errs [2]error
	if tw.towers[1] == nil {
		errs[0] = tw.towers[0].run()
	} else {
		errs = sideBySide(tw.towers[0].run, tw.towers[1].run, abort)
	}
	for _, err := range errs {
		// The tower that failed first, not the one it left waiting.
		if err != nil && !errors.Is(err, errTwinAborted) {
			return fmt.Errorf("training step: %w", err)
		}
	}
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("training step: %w", err)
		}
	}
	if tw.towers[1] != nil {
		for _, op := range tw.towers[1].deferredBN {
			op.foldRunning()
		}
	}
	// The towers' gradients, the first tower's first: the second's is
	// added into the first's, which the next run clears before use.
	if tw.grads == nil {
		tw.grads = make([][]float32, len(tw.net.Params))
	}
	for i := range tw.grads {
		var sum []float32
		for side, tg := range tw.towers {
			if tg == nil {
				continue
			}
			gv := tg.prog.value(tg.grads[i])
			if gv == nil {
				return fmt.Errorf("gradient of %s: not computed", tw.net.Params[i].Name)
			}
			d, ok := gv.Data().([]float32)
			if !ok || len(d) != len(tw.net.Params[i].Data) {
				return fmt.Errorf("gradient of %s: %v, want %d float32s", tw.net.Params[i].Name, gv.Shape(), len(tw.net.Params[i].Data))
			}
			if side == 0 {
				sum = d
			} else {
				// Split among the cores: the dense layer's gradient is
				// hundreds of thousands of floats. An element's sum is the
				// same whichever core adds it.
				parallelElems(len(sum), func(lo, hi int) { linalg.Add(sum[lo:hi], d[lo:hi]) })
			}
		}
		tw.grads[i] = sum
	}
	return nil
}

// sideBySide runs a on this goroutine and b on another, each with half the
// cores (parallel.SplitCores), and returns their errors; onErr, unless
// nil, runs as soon as either fails, to release the other from a meeting
// it waits at. b runs on a helper (parallel.Start), which is most often
// still polling after the last step's optimiser update and starts it at
// once, where a new goroutine waits for the runtime to wake a thread.
func sideBySide(a, b func() error, onErr func()) [2]error {
	var errs [2]error
	release := parallel.SplitCores(2)
	defer release()
	wait := parallel.Start(func() {
		if errs[1] = b(); errs[1] != nil && onErr != nil {
			onErr()
		}
	})
	if errs[0] = a(); errs[0] != nil && onErr != nil {
		onErr()
	}
	wait()
	return errs
}
