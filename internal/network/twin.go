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

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// errTwinAborted is what a tower waiting for the other gets when the other
// failed before reaching the meeting point.
var errTwinAborted = errors.New("the other tower failed")

// twinHead is the meeting point of the two towers and the head that runs
// on both towers' embeddings.
type twinHead struct {
	mu      sync.Mutex
	met     *sync.Cond
	parties int // towers that meet here: 2, or 1 for a batch too small to split
	arrived int
	done    bool // the head ran this step
	aborted bool
	err     error

	in    [2][]float32    // the towers' embeddings
	shape [2]tensor.Shape // their shapes, rows×dim
	// run computes loss and grad (∂L/∂embeddings of each tower) from in.
	run  func() error
	loss float32
	grad [2][]float32
}

func newTwinHead(rows [2]int, dim int) *twinHead {
	h := &twinHead{parties: 2}
	if rows[1] == 0 {
		h.parties = 1
	}
	h.met = sync.NewCond(&h.mu)
	for side, n := range rows {
		h.in[side] = make([]float32, n*dim)
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
	var lossVal, distVal G.Value
	readLoss, readDist := G.Read(l, &lossVal), G.Read(d, &distVal)
	grads, err := G.Grad(l, nodes[0], nodes[1])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("differentiate loss: %w", err)
	}
	roots := append(G.Nodes{readLoss, readDist}, grads...)
	vm := G.NewTapeMachine(g.SubgraphRoots(roots...), G.BindDualValues(nodes[0], nodes[1]))
	h.run = func() error {
		for _, n := range nodes {
			// The machine adds gradients into the dual values; start clean.
			if gv, err := n.Grad(); err == nil && gv != nil {
				clear(gv.Data().([]float32))
			}
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return fmt.Errorf("distance head: %w", err)
		}
		for side, n := range nodes {
			gv, err := n.Grad()
			if err != nil {
				return fmt.Errorf("distance head: %w", err)
			}
			h.grad[side] = gv.Data().([]float32)
		}
		h.loss = scalarOf(lossVal)
		return nil
	}
	return h, y, &distVal, nil
}

// newBatchHead is the head of a BatchGraph whose batch is split into rows
// images per tower: the loss f over every pair of the whole batch, the
// first tower's images first, with the labels in *labels.
func newBatchHead(rows [2]int, dim int, f BatchLossFunc, labels *[]int) *twinHead {
	h := newTwinHead(rows, dim)
	n := rows[0] + rows[1]
	e := make([]float32, n*dim)
	shapes := []tensor.Shape{{n, dim}, {1}}
	loss := &batchLoss{f: f, labels: labels}
	grad := &batchLossGrad{fwd: loss}
	one := []float32{1}
	h.run = func() error {
		copy(e, h.in[0])
		copy(e[len(h.in[0]):], h.in[1])
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

// reset readies the head for the next step; no tower may be running.
func (h *twinHead) reset() {
	h.arrived, h.done, h.aborted, h.err = 0, false, false, nil
}

// abort releases a tower waiting at the head when the other has failed.
func (h *twinHead) abort() {
	h.mu.Lock()
	h.aborted = true
	h.met.Broadcast()
	h.mu.Unlock()
}

// meet hands tower side's embeddings to the head and returns once the head
// has run on both towers' embeddings.
func (h *twinHead) meet(side int, e []float32) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.aborted {
		return errTwinAborted
	}
	copy(h.in[side], e)
	h.arrived++
	if h.arrived == h.parties {
		h.err = h.run()
		h.done = true
		h.met.Broadcast()
		return h.err
	}
	for !h.done && !h.aborted {
		h.met.Wait()
	}
	if !h.done {
		return errTwinAborted
	}
	return h.err
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
	mu      sync.Mutex
	met     *sync.Cond
	arrived int
	gen     uint64
	aborted bool
	part    [2][]float64
	total   []float64
}

func newStatPair() *statPair {
	p := &statPair{}
	p.met = sync.NewCond(&p.mu)
	return p
}

// add replaces sums, side's partial sums, by the whole batch's: the first
// half's plus the second's, in that order on both sides.
func (p *statPair) add(side int, sums []float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aborted {
		return errTwinAborted
	}
	p.part[side] = append(p.part[side][:0], sums...)
	p.arrived++
	if p.arrived == 2 {
		if len(p.part[0]) != len(p.part[1]) {
			p.aborted = true
			p.met.Broadcast()
			return fmt.Errorf("batch halves have %d and %d sums", len(p.part[0]), len(p.part[1]))
		}
		p.total = append(p.total[:0], p.part[0]...)
		for i, v := range p.part[1] {
			p.total[i] += v
		}
		p.arrived = 0
		p.gen++
		p.met.Broadcast()
		copy(sums, p.total)
		return nil
	}
	gen := p.gen
	for p.gen == gen && !p.aborted {
		p.met.Wait()
	}
	if p.gen == gen {
		return errTwinAborted
	}
	copy(sums, p.total)
	return nil
}

func (p *statPair) reset() {
	p.mu.Lock()
	p.arrived, p.aborted = 0, false
	p.mu.Unlock()
}

func (p *statPair) abort() {
	p.mu.Lock()
	p.aborted = true
	p.met.Broadcast()
	p.mu.Unlock()
}

// towerGraph is one twin: its input batch through the tower to the head,
// and back to the gradient of every weight.
type towerGraph struct {
	g        *G.ExprGraph
	x        *tensor.Dense
	weights  G.Nodes
	vm       G.VM
	dropouts []*DropoutOp
	// batch norms whose running statistics the step folds in after both
	// towers ran (a PairGraph's second tower), so the update order is the
	// same as when the twins ran one after the other.
	deferredBN []*batchNormOp
}

// newTowerGraph builds tower side (0 or 1) on rows images. The head is
// made by newHead once the first tower gives the embedding width.
func (n *Net) newTowerGraph(rows, side int, head **twinHead, newHead func(dim int) (*twinHead, error)) (*towerGraph, error) {
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
	if *head == nil {
		if *head, err = newHead(e.Shape()[1]); err != nil {
			return nil, err
		}
	}
	out, err := apply(&twinHeadKernel{head: *head, side: side}, e)
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
	tg.vm = G.NewTapeMachine(g.SubgraphRoots(grads...), G.BindDualValues(tg.weights...))
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
		case *bnGradInputOp:
			if op.fwd.training {
				grad = append(grad, op)
			}
		}
	}
	return fwd, grad
}

// run is one forward and backward pass of the tower on its current input.
func (tg *towerGraph) run() error {
	// The tape machine adds each step's gradient into the weights' dual
	// values (gorgonia's own solvers zero them after use), so start clean.
	for _, w := range tg.weights {
		if gv, err := w.Grad(); err == nil && gv != nil {
			if d, ok := gv.Data().([]float32); ok {
				clear(d)
			}
		}
	}
	tg.vm.Reset()
	return tg.vm.RunAll()
}

// twins is what PairGraph and BatchGraph share: two towers, their head,
// the batch-norm pairs between them, and the sum of their gradients.
type twins struct {
	net    *Net
	towers [2]*towerGraph
	head   *twinHead
	pairs  []*statPair
	grads  [][]float32 // per parameter
}

func (tw *twins) allocGrads() {
	tw.grads = make([][]float32, len(tw.net.Params))
	for i, p := range tw.net.Params {
		tw.grads[i] = make([]float32, len(p.Data))
	}
}

// setMaskStream positions every dropout mask sequence of both towers.
func (tw *twins) setMaskStream(seed uint64, epoch int) {
	for _, tg := range tw.towers {
		for _, d := range tg.dropouts {
			d.SetRunIndex((seed*1_000_003 + uint64(epoch)) << 24)
		}
	}
}

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
		release := splitCores(2)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[1] = tw.towers[1].run(); errs[1] != nil {
				abort()
			}
		}()
		if errs[0] = tw.towers[0].run(); errs[0] != nil {
			abort()
		}
		wg.Wait()
		release()
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
	// The towers' gradients, the first tower's first.
	for i := range tw.grads {
		for side, tg := range tw.towers {
			if tg == nil {
				continue
			}
			gv, err := tg.weights[i].Grad()
			if err != nil {
				return fmt.Errorf("gradient of %s: %w", tw.net.Params[i].Name, err)
			}
			d := gv.Data().([]float32)
			if side == 0 {
				copy(tw.grads[i], d)
			} else {
				linalg.Add(tw.grads[i], d)
			}
		}
	}
	return nil
}
