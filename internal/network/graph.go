package network

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DistanceEps keeps the distance differentiable at zero: the gradient of
// sqrt(s) is infinite at s=0, which two identical images would hit.
const DistanceEps = 1e-6

// LossFunc builds a scalar loss from the batch of distances d and labels y
// (1 = similar). contrastive.Loss satisfies it through its Node method.
type LossFunc func(d, y *G.Node) (*G.Node, error)

// PairLossGrad is a pair loss on plain slices: the mean loss over the
// batch of distances d and labels y, with its gradient with respect to
// every distance written into grad (contrastive's built-in losses, through
// their PairGrad method, give their graphs' values to the bit).
type PairLossGrad func(d, y, grad []float32) float32

// apply runs the tower on x with the given weight nodes. Calling it twice
// with the same weights is the Siamese twin: one set of parameters, two
// inputs, and gorgonia sums the gradients of both branches.
func (n *Net) apply(x *G.Node, weights G.Nodes, mode *applyMode) (*G.Node, error) {
	byName := make(map[string]*G.Node, len(weights))
	for i, p := range n.Params {
		byName[p.Name] = weights[i]
	}
	var err error
	// cl: x is channels-last now. The input images are channel-first.
	cl, toCL := false, n.Spec.channelsLast() && !n.channelFirst
	pooled := -1 // a max pooling layer that convReLUPoolCL took in
	for i, l := range n.Spec.Layers {
		pre := fmt.Sprintf("layer%d", i)
		switch l.Kind {
		case KindConv:
			var fused, cf bool
			x, fused, cf, err = n.conv(x, byName[pre+".conv.weight"], i, cl, toCL, mode.training)
			if fused {
				pooled = i + 2
			}
			cl = toCL && !cf
		case KindReLU:
			if n.Spec.reluBeforePool(i) {
				continue // folded into the pooling below
			}
			if n.Spec.reluAfterBatchNorm(i) {
				continue // fused into the batch norm above
			}
			x, err = ReLU(x)
		case KindMaxPool:
			reluBefore := n.Spec.reluBeforePool(i - 1)
			switch {
			case i == pooled:
			case cl: // channelsLast allows only 2×2 pooling after a ReLU
				x, err = reluPoolCL(x, mode.training)
			case !mode.training:
				x, err = maxPoolInference(x, l.poolSize(), reluBefore)
			case reluBefore:
				x, err = reluMaxPool2D(x, l.poolSize())
			default:
				x, err = MaxPool2D(x, l.poolSize())
			}
		case KindDense:
			if cl && x.Dims() == 4 {
				if x, err = toChannelFirst(x); err != nil {
					break
				}
				cl = false
			}
			x, err = Dense(x, byName[pre+".dense.weight"], byName[pre+".dense.bias"])
		case KindBatchNorm:
			x, err = n.batchNorm(x, byName, pre+".bn", mode, cl && x.Dims() == 4, n.Spec.reluAfterBatchNorm(i+1))
		case KindDropout:
			if mode.training && l.Rate > 0 {
				x, err = Dropout(x, l.Rate, uint64(i)<<8|uint64(mode.branch))
				if err == nil {
					mode.dropouts = append(mode.dropouts, x.Op().(*DropoutOp))
				}
			}
		case KindL2Norm:
			x, err = L2Normalize(x, l2Eps)
		case KindGAP:
			x, err = globalAvgPoolLayout(x, cl)
			cl = false
		case KindResidual:
			x, err = n.residual(x, l, byName, pre+".res", mode, cl, toCL)
			cl = toCL
		default:
			err = fmt.Errorf("unknown layer kind %q", l.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Kind, err)
		}
	}
	if x.Dims() != 2 {
		// A tower that ends in conv/pool yields N×C×H×W; the embedding is
		// its flattening, in channel-first order.
		if cl {
			if x, err = toChannelFirst(x); err != nil {
				return nil, fmt.Errorf("flatten embedding: %w", err)
			}
		}
		shp := x.Shape()
		x, err = G.Reshape(x, tensor.Shape{shp[0], shp.TotalSize() / shp[0]})
		if err != nil {
			return nil, fmt.Errorf("flatten embedding: %w", err)
		}
	}
	return x, nil
}

// conv applies conv layer i, channels-last in if cl and out if toCL,
// with w its kernel. fused says that it took in the ReLU and the pooling
// after it as well: the input layer in convReLUPoolCL, a Winograd layer
// in convReLUPoolWinograd. cf says that its output is channel-first even
// so: a pooled Winograd layer's that a dense layer reads, or that ends
// the tower.
func (n *Net) conv(x, w *G.Node, i int, cl, toCL, training bool) (y *G.Node, fused, cf bool, err error) {
	l := n.Spec.Layers[i]
	switch {
	case toCL && !cl && n.Spec.fusesConvPool(i, x.Shape()[1]):
		y, err = convReLUPoolCL(x, w, l.pad(), l.stride(), training)
		return y, true, false, err
	case cl && !n.direct && n.Spec.reluBeforePool(i+1):
		cf = i+3 == len(n.Spec.Layers) || n.Spec.Layers[i+3].Kind == KindDense
		if y, fused, err = convReLUPoolWinograd(x, w, l.pad(), l.stride(), cf); fused || err != nil {
			return y, fused, cf && fused, err
		}
	}
	y, err = applyConv(&conv2D{pad: l.pad(), stride: l.stride(), inCL: cl, outCL: toCL, winograd: !n.direct, bnGradApart: n.fusionsApart}, x, w)
	return y, false, false, err
}

// batchNorm applies the batch norm whose tensors are named prefix.*, and
// the ReLU after it if relu.
func (n *Net) batchNorm(x *G.Node, w map[string]*G.Node, prefix string, mode *applyMode, cl, relu bool) (*G.Node, error) {
	return batchNormLayout(x, w[prefix+".weight"], w[prefix+".bias"], n.bn[prefix], mode.training, cl, relu)
}

// reluBeforePool says whether layer i is a ReLU that the max pooling
// after it takes in (reluPoolCL, reluMaxPool2D).
func (s Spec) reluBeforePool(i int) bool {
	return i >= 0 && i+1 < len(s.Layers) && s.Layers[i].Kind == KindReLU && s.Layers[i+1].Kind == KindMaxPool
}

// reluAfterBatchNorm says whether layer i is a ReLU that the batch norm
// before it takes in: one that no pooling takes in first.
func (s Spec) reluAfterBatchNorm(i int) bool {
	return i > 0 && i < len(s.Layers) && s.Layers[i].Kind == KindReLU && s.Layers[i-1].Kind == KindBatchNorm && !s.reluBeforePool(i)
}

// residual applies the residual block whose tensors are named pre.*.
func (n *Net) residual(x *G.Node, l Layer, w map[string]*G.Node, pre string, mode *applyMode, inCL, outCL bool) (*G.Node, error) {
	p := residualParams{
		fusionsApart: n.fusionsApart,
		conv1:        w[pre+".conv1.weight"], gamma1: w[pre+".bn1.weight"], beta1: w[pre+".bn1.bias"], bn1: n.bn[pre+".bn1"],
		conv2: w[pre+".conv2.weight"], gamma2: w[pre+".bn2.weight"], beta2: w[pre+".bn2.bias"], bn2: n.bn[pre+".bn2"],
	}
	if l.residualProjects(x.Shape()[1]) {
		p.proj, p.gammaP, p.betaP, p.bnP = w[pre+".proj.weight"], w[pre+".bnp.weight"], w[pre+".bnp.bias"], n.bn[pre+".bnp"]
	}
	return residualBlock(x, p, l.stride(), mode.training, inCL, outCL, !n.direct)
}

// l2Eps keeps the normalisation finite for an all-zero embedding.
const l2Eps = 1e-10

// applyMode says which graph a tower is built for: training (batch
// statistics, dropout) or inference, and which twin branch.
type applyMode struct {
	training bool
	branch   int
	dropouts []*DropoutOp // collected, so the trainer can position their masks
}

func (n *Net) weightNodes(g *G.ExprGraph) G.Nodes {
	nodes := make(G.Nodes, len(n.Params))
	for i, p := range n.Params {
		t := tensor.New(tensor.WithShape(p.Shape...), tensor.WithBacking(p.Data))
		nodes[i] = G.NodeFromAny(g, t, G.WithName(p.Name))
	}
	return nodes
}

func (n *Net) inputNode(g *G.ExprGraph, batch int, name string) (*G.Node, *tensor.Dense) {
	s := n.Spec
	t := tensor.New(tensor.WithShape(batch, s.Channels, s.Size, s.Size), tensor.Of(tensor.Float32))
	return G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, s.Channels, s.Size, s.Size), G.WithName(name), G.WithValue(t)), t
}

// PairGraph is the training graph: two inputs through one tower, the
// distance head and the loss, with gradients for every weight. The two
// twins are graphs of their own that run side by side (twin.go).
type PairGraph struct {
	twins
	batch int
	y     *tensor.Dense // the labels the head reads
	dist  *G.Value      // the distances the head leaves
}

// NewPairGraph compiles the training graph for a fixed batch of pairs.
func (n *Net) NewPairGraph(batch int, loss LossFunc) (*PairGraph, error) {
	return n.newPairGraph(batch, func(dim int) (*twinHead, *tensor.Dense, *G.Value, error) {
		return newPairHead(batch, dim, loss)
	})
}

// NewPairGraphGrad is NewPairGraph with a loss computed on plain slices:
// its head runs no graph, which saves the towers most of their wait at
// the head (twin.go, newPairHeadGrad).
func (n *Net) NewPairGraphGrad(batch int, loss PairLossGrad) (*PairGraph, error) {
	return n.newPairGraph(batch, func(dim int) (*twinHead, *tensor.Dense, *G.Value, error) {
		h, y, dist := newPairHeadGrad(batch, dim, loss)
		return h, y, dist, nil
	})
}

// newPairGraph is a PairGraph whose head newHead makes for dim-wide
// embeddings.
func (n *Net) newPairGraph(batch int, newHead func(dim int) (*twinHead, *tensor.Dense, *G.Value, error)) (*PairGraph, error) {
	pg := &PairGraph{batch: batch}
	pg.net = n
	dim, err := n.Spec.EmbeddingSize()
	if err != nil {
		return nil, fmt.Errorf("pair graph: %w", err)
	}
	if pg.head, pg.y, pg.dist, err = newHead(dim); err != nil {
		return nil, err
	}
	for side := range pg.towers {
		tg, err := n.newTowerGraph(batch, side, pg.head)
		if err != nil {
			return nil, err
		}
		pg.towers[side] = tg
	}
	// Each twin normalises its own batch, as PyTorch's reference calls
	// the module twice; the second folds its statistics into the running
	// ones after the step, so the order stays a then b.
	fwd, _ := pg.towers[1].trainingBN()
	for _, op := range fwd {
		op.deferRunning = true
	}
	pg.towers[1].deferredBN = fwd
	return pg, nil
}

// Batch is the number of pairs per step.
func (pg *PairGraph) Batch() int { return pg.batch }

// Step runs forward and backward on one batch: xa and xb hold batch images
// each (C×H×W, concatenated), y the labels. It returns the mean loss and
// the batch's distances; the gradients are then in Grads.
func (pg *PairGraph) Step(xa, xb, y []float32) (float64, []float32, error) {
	copy(pg.towers[0].x.Data().([]float32), xa)
	copy(pg.towers[1].x.Data().([]float32), xb)
	copy(pg.y.Data().([]float32), y)
	if err := pg.step(); err != nil {
		return 0, nil, err
	}
	d := append([]float32(nil), (*pg.dist).Data().([]float32)...)
	return float64(pg.head.loss), d, nil
}

func scalarOf(v G.Value) float32 {
	switch x := v.Data().(type) {
	case float32:
		return x
	case []float32:
		return x[0]
	}
	return 0
}

// Embedder runs the tower alone, for inference, on batches of a fixed size.
// It shares the weights of its Net. A batch of 8 or more runs as two
// halves side by side, a graph each with half the cores (as training
// does, twin.go): images are independent at inference, so the halves give
// the embeddings one graph would.
type Embedder struct {
	net    *Net
	batch  int
	halves []*embedHalf // one, or two of (batch+1)/2 and batch/2 images
	dim    int
}

// embedHalf is the inference graph of one half of an Embedder's batch.
type embedHalf struct {
	rows int
	x    *tensor.Dense
	emb  *G.Node
	prog *program
}

// minSplitEmbed is the smallest batch an Embedder splits in halves.
const minSplitEmbed = 8

// NewEmbedder compiles an inference graph for batches of the given size.
func (n *Net) NewEmbedder(batch int) (*Embedder, error) {
	e := &Embedder{net: n, batch: batch}
	rows := []int{batch}
	if batch >= minSplitEmbed {
		rows = []int{(batch + 1) / 2, batch / 2}
	}
	for _, r := range rows {
		g := G.NewGraph()
		h := &embedHalf{rows: r}
		var x *G.Node
		x, h.x = n.inputNode(g, r, "x")
		emb, err := n.apply(x, n.weightNodes(g), &applyMode{})
		if err != nil {
			return nil, err
		}
		e.dim = emb.Shape()[1]
		h.emb = emb
		if h.prog, err = compile(g, emb); err != nil {
			return nil, err
		}
		e.halves = append(e.halves, h)
	}
	return e, nil
}

// Dim is the embedding width.
func (e *Embedder) Dim() int { return e.dim }

// Embed maps count images (C×H×W each, concatenated in x) to count
// embeddings of Dim values each, concatenated.
func (e *Embedder) Embed(x []float32, count int) ([]float32, error) {
	s := e.net.Spec
	per := s.Channels * s.Size * s.Size
	if len(x) != count*per {
		return nil, fmt.Errorf("embed: have %d values for %d images of %d", len(x), count, per)
	}
	out := make([]float32, 0, count*e.dim)
	for start := 0; start < count; start += e.batch {
		k := min(e.batch, count-start)
		// The halves this chunk fills; a short last chunk may need only
		// the first.
		use := e.halves
		if k <= e.halves[0].rows {
			use = use[:1]
		}
		at := start
		for _, h := range use {
			n := min(h.rows, start+k-at)
			buf := h.x.Data().([]float32)
			copy(buf, x[at*per:(at+n)*per])
			clear(buf[n*per:]) // pad a short batch; its rows are dropped below
			at += n
		}
		var errs [2]error
		if len(use) == 2 {
			errs = sideBySide(use[0].run, use[1].run, nil)
		} else {
			errs[0] = use[0].run()
		}
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("embed: %w", err)
			}
		}
		left := k
		for _, h := range use {
			n := min(h.rows, left)
			out = append(out, h.out()[:n*e.dim]...)
			left -= n
		}
	}
	return out, nil
}

func (h *embedHalf) run() error { return h.prog.run() }

// out is the embeddings of the last run.
func (h *embedHalf) out() []float32 { return h.prog.value(h.emb).Data().([]float32) }

// PairDistance is the distance head on plain vectors: sqrt(sum((a-b)^2)+eps).
func PairDistance(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s + DistanceEps)
}
