package network

// The twins of a PairGraph run at the same time, each tower a graph of its
// own on its own goroutine. Splitting every op across the cores instead
// (parallelRange) costs a fork and a join per op, about 200 per step of
// the photos preset, and leaves the second core idle in every serial
// stretch between them; two whole towers have neither cost.
//
// The towers meet once per step, at the distance head: each tower's last
// op hands its embeddings to a twinHead and waits for the other's. The
// second to arrive runs the head (distance and loss, their own small
// graph) and its gradient with respect to both batches of embeddings;
// each tower then back-propagates its share. The gradient of the loss
// with respect to a weight is the sum of the towers' two gradients, which
// PairGraph.Grads adds in a fixed order, so a step gives the same bits
// every time.

import (
	"errors"
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// errTwinAborted is what a tower waiting at the head gets when the other
// tower failed before reaching it.
var errTwinAborted = errors.New("the other tower failed")

// twinHead is the meeting point of the two towers, and the graph of the
// distance head and the loss on their embeddings.
type twinHead struct {
	mu      sync.Mutex
	met     *sync.Cond
	arrived int
	done    bool // the head ran this step
	aborted bool
	err     error

	in       [2]*tensor.Dense // the towers' embeddings, batch×dim
	nodes    [2]*G.Node
	y        *tensor.Dense
	vm       G.VM
	lossVal  G.Value
	distVal  G.Value
	gradData [2][]float32 // ∂L/∂embeddings of each tower after the head ran
}

// newTwinHead compiles the head for batches of batch embeddings of dim
// values: dist = ‖a - b‖, the loss on (dist, y), and the loss's gradient
// with respect to a and b.
func newTwinHead(batch, dim int, loss LossFunc) (*twinHead, error) {
	h := &twinHead{}
	h.met = sync.NewCond(&h.mu)
	g := G.NewGraph()
	for side, name := range []string{"ea", "eb"} {
		h.in[side] = tensor.New(tensor.WithShape(batch, dim), tensor.Of(tensor.Float32))
		h.nodes[side] = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, dim), G.WithName(name), G.WithValue(h.in[side]))
	}
	h.y = tensor.New(tensor.WithShape(batch), tensor.Of(tensor.Float32))
	y := G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("y"), G.WithValue(h.y))
	dist, err := Distance(h.nodes[0], h.nodes[1], DistanceEps)
	if err != nil {
		return nil, fmt.Errorf("distance head: %w", err)
	}
	l, err := loss(dist, y)
	if err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	readLoss := G.Read(l, &h.lossVal)
	readDist := G.Read(dist, &h.distVal)
	grads, err := G.Grad(l, h.nodes[0], h.nodes[1])
	if err != nil {
		return nil, fmt.Errorf("differentiate loss: %w", err)
	}
	roots := append(G.Nodes{readLoss, readDist}, grads...)
	h.vm = G.NewTapeMachine(g.SubgraphRoots(roots...), G.BindDualValues(h.nodes[0], h.nodes[1]))
	return h, nil
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
	copy(h.in[side].Data().([]float32), e)
	h.arrived++
	if h.arrived == 2 {
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

// run computes the loss, the distances and the embeddings' gradients.
func (h *twinHead) run() error {
	for _, n := range h.nodes {
		// The machine adds gradients into the dual values; start clean.
		if gv, err := n.Grad(); err == nil && gv != nil {
			clear(gv.Data().([]float32))
		}
	}
	h.vm.Reset()
	if err := h.vm.RunAll(); err != nil {
		return fmt.Errorf("distance head: %w", err)
	}
	for side, n := range h.nodes {
		gv, err := n.Grad()
		if err != nil {
			return fmt.Errorf("distance head: %w", err)
		}
		h.gradData[side] = gv.Data().([]float32)
	}
	return nil
}

// twinHeadKernel is a tower's last op: it meets the other tower at the
// head and outputs the loss, so that the tower's graph differentiates the
// loss through the gradient the head computed for this tower's side.
type twinHeadKernel struct {
	head *twinHead
	side int
	out  []float32
}

func (k *twinHeadKernel) name() string     { return "distance head" }
func (k *twinHeadKernel) inputs() []string { return []string{"embeddings"} }

func (k *twinHeadKernel) shape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in[0]) != 2 {
		return nil, fmt.Errorf("%s: embeddings %v, want batch×dim", k.name(), in[0])
	}
	return tensor.Shape{1}, nil
}

func (k *twinHeadKernel) forward(in [][]float32, _ []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	if err := k.head.meet(k.side, in[0]); err != nil {
		return nil, err
	}
	k.out = grow(k.out, 1)
	k.out[0] = scalarOf(k.head.lossVal)
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

func (k *twinHeadGrad) name() string     { return "distance head gradient" }
func (k *twinHeadGrad) inputs() []string { return []string{"loss", "output gradient"} }

func (k *twinHeadGrad) shape(in []tensor.Shape) (tensor.Shape, error) {
	if in[1].TotalSize() != 1 {
		return nil, fmt.Errorf("%s: output gradient %v, want one value", k.name(), in[1])
	}
	return k.fwd.head.in[k.fwd.side].Shape().Clone(), nil
}

func (k *twinHeadGrad) forward(in [][]float32, _ []tensor.Shape, out tensor.Shape) ([]float32, error) {
	g := k.fwd.head.gradData[k.fwd.side]
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

// towerGraph is one twin: its input batch through the tower to the head,
// and back to the gradient of every weight.
type towerGraph struct {
	x        *tensor.Dense
	weights  G.Nodes
	vm       G.VM
	dropouts []*DropoutOp
	// batch norms whose running statistics PairGraph folds in after the
	// step (the second tower's), so the update order is the same as when
	// the twins ran one after the other.
	deferredBN []*batchNormOp
}

// newTowerGraph builds twin side (0 or 1) of a pair graph. The head is
// compiled once the first tower gives the embedding width.
func (n *Net) newTowerGraph(batch, side int, head **twinHead, loss LossFunc) (*towerGraph, error) {
	g := G.NewGraph()
	tg := &towerGraph{}
	var x *G.Node
	x, tg.x = n.inputNode(g, batch, []string{"xa", "xb"}[side])
	tg.weights = n.weightNodes(g)
	mode := &applyMode{training: true, branch: side}
	e, err := n.apply(x, tg.weights, mode)
	if err != nil {
		return nil, err
	}
	tg.dropouts = mode.dropouts
	if *head == nil {
		if *head, err = newTwinHead(batch, e.Shape()[1], loss); err != nil {
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
	if side == 1 {
		for _, nd := range g.AllNodes() {
			if op, ok := nd.Op().(*batchNormOp); ok && op.training {
				op.deferRunning = true
				tg.deferredBN = append(tg.deferredBN, op)
			}
		}
	}
	// Run only what the weight gradients need: the gradient with respect
	// to the input images, which Grad also builds, is work thrown away.
	tg.vm = G.NewTapeMachine(g.SubgraphRoots(grads...), G.BindDualValues(tg.weights...))
	return tg, nil
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
