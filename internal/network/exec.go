package network

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// program runs a graph's ops in order on the calling goroutine: gorgonia
// builds the graphs and their gradients, and this runs them, in place of
// its tape machine. The tape machine's RunAll locks its goroutine to its
// thread and runs the ops on a second goroutine, so every run hands the
// processor to another thread and back: two thread wake-ups, 44-69 µs a
// run on a 2-core VM for a graph of two small ops, where a program takes
// 1.3-1.5 µs (BenchmarkRunner). Both towers and the distance head paid it
// every training step, and both halves every batch of embeddings, while
// the other tower or half waited. Run here instead, a 28 px training step
// on two goroutines took 12% less time and an embedding batch 14% less
// (BenchmarkTrainStep, BenchmarkEmbedBatch, Zen 5), with the same bits.
// The ops are a few dozen, nearly all this package's own, which keep
// their outputs from one run to the next; of what the tape machine does
// besides, the program keeps what these graphs need: gorgonia's sums of
// gradients write into one of the gradients they add (spentInputs) or
// into last run's tensor (do), and nothing is bound to the nodes.
type program struct {
	nodes []*G.Node // the ops and their inputs, every node after its inputs
	args  [][]int   // per node, its inputs' positions in nodes
	vals  []G.Value // per node, its value from the last run
	at    map[*G.Node]int
	in    []G.Value // scratch for one op's inputs
	// per node, the input its op may overwrite (spentInputs), or -1
	spend []int
	// per node, the time its op has taken over all runs, when not nil
	// (BenchmarkTrainStepOps): where a step's time goes, op by op.
	clock []time.Duration
}

// compile orders the ops that roots depend on in g for run.
func compile(g *G.ExprGraph, roots ...*G.Node) (*program, error) {
	sub := g.SubgraphRoots(roots...)
	sorted, err := G.Sort(sub)
	if err != nil {
		return nil, fmt.Errorf("order the graph: %w", err)
	}
	p := &program{at: make(map[*G.Node]int, len(sorted))}
	// Sort puts every node before its inputs.
	for i := len(sorted) - 1; i >= 0; i-- {
		n := sorted[i]
		var args []int
		for in := sub.From(n.ID()); in.Next(); {
			c := in.Node().(*G.Node)
			j, ok := p.at[c]
			if !ok {
				return nil, fmt.Errorf("order the graph: %v comes before its input %v", n, c)
			}
			args = append(args, j)
		}
		p.at[n] = len(p.nodes)
		p.nodes = append(p.nodes, n)
		p.args = append(p.args, args)
	}
	p.spend = spentInputs(p.nodes, p.args, roots)
	p.vals = make([]G.Value, len(p.nodes))
	for i, n := range p.nodes {
		if len(p.args[i]) == 0 {
			// Inputs, weights and constants: tensors bound once, over
			// memory the caller refills before a run.
			if p.vals[i] = n.Value(); p.vals[i] == nil {
				return nil, fmt.Errorf("graph input %v has no value", n)
			}
		}
	}
	return p, nil
}

// run runs every op once. An op's error is returned as it is: the ops
// name themselves in their errors.
func (p *program) run() error {
	for i, n := range p.nodes {
		args := p.args[i]
		if len(args) == 0 {
			continue
		}
		p.in = p.in[:0]
		for _, j := range args {
			p.in = append(p.in, p.vals[j])
		}
		var start time.Time
		if p.clock != nil {
			start = time.Now()
		}
		v, err := p.do(i, n.Op())
		if p.clock != nil {
			p.clock[i] += time.Since(start)
		}
		if err != nil {
			return err
		}
		// A tensor computes with its own engine: this package's, whose
		// addition is linalg's, for the sums of a node's gradients that
		// gorgonia's differentiation adds (see engine).
		if t, ok := v.(tensor.Tensor); ok {
			tensor.WithEngine(engine{})(t)
		}
		p.vals[i] = v
	}
	clear(p.in)
	return nil
}

// do runs op, node i's, on p.in. gorgonia's ops that can write into a
// given tensor (the sums of a node's gradients) get the one they made last
// run, as the tape machine gave them their registers: allocating them
// afresh cost the photos preset's step 23 MB and a third of its speed.
// Not when that tensor shares memory with an input: an op may return its
// input (a repeat to the same shape returns the constant it repeats,
// which both towers' graphs share), and writing into it would change the
// input.
func (p *program) do(i int, op G.Op) (G.Value, error) {
	if k := p.spend[i]; k >= 0 && p.ownsValue(p.args[i][k]) {
		return op.(G.UnsafeDoer).UnsafeDo(p.in...)
	}
	if pd, ok := op.(G.UsePreallocDoer); ok && p.vals[i] != nil && !overlapsAny(p.vals[i], p.in) {
		if v, err := pd.UsePreallocDo(p.vals[i], p.in...); err == nil {
			return v, nil
		}
		// As the tape machine does: an op that cannot reuse the tensor
		// (its shape changed) makes a new one.
	}
	return op.Do(p.in...)
}

// spentInputs finds, for every node, an input its op may overwrite: the
// sums of a node's gradients that gorgonia's differentiation adds (in a
// residual block, the input's gradient through the block and through the
// shortcut) would otherwise each take a tensor of their own, as large as
// the block's input for the whole batch (the photos preset: 23 MB a
// step), where the tape machine reused dead registers. An op may overwrite
// input k (G.UnsafeDoer, OverwritesInput) when that input is the output
// of one of this package's ops, which own their outputs and rewrite them
// every run; when this op is the last to read it, and every other reader
// is one of this package's ops too (which never pass an input on as their
// output, so nothing read later sees it through them); and when it is not
// a root, read after the run. At run time do also checks that the input's
// op did not hand on one of its own inputs. It returns -1 for a node with
// none.
func spentInputs(nodes []*G.Node, args [][]int, roots G.Nodes) []int {
	last := make([]int, len(nodes))    // per node, its last reader
	foreign := make([]int, len(nodes)) // per node, reads of it by ops not of this package
	for i, a := range args {
		for _, j := range a {
			last[j] = max(last[j], i)
			if !ours(nodes[i].Op()) {
				foreign[j]++
			}
		}
	}
	root := make(map[*G.Node]bool, len(roots))
	for _, r := range roots {
		root[r] = true
	}
	spend := make([]int, len(nodes))
	for i, n := range nodes {
		spend[i] = -1
		if _, ok := n.Op().(G.UnsafeDoer); !ok || ours(n.Op()) {
			continue
		}
		k := n.Op().OverwritesInput()
		if k < 0 || k >= len(args[i]) {
			continue
		}
		j := args[i][k]
		// foreign[j] == 1: this op, gorgonia's, reads the input once (not
		// x + x, to keep to the plain case) and every other reader is
		// this package's.
		if last[j] == i && foreign[j] == 1 && !root[nodes[j]] && len(args[j]) > 0 && ours(nodes[j].Op()) {
			spend[i] = k
		}
	}
	return spend
}

// ours says whether op is one of this package's.
func ours(op G.Op) bool {
	if op == nil {
		return false
	}
	t := reflect.TypeOf(op)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == reflect.TypeFor[program]().PkgPath()
}

// ownsValue says whether node j's value shares no memory with its
// inputs' values.
func (p *program) ownsValue(j int) bool {
	for _, a := range p.args[j] {
		if overlaps(p.vals[j], p.vals[a]) {
			return false
		}
	}
	return true
}

// overlapsAny says whether v's memory overlaps that of any of in.
func overlapsAny(v G.Value, in []G.Value) bool {
	return slices.ContainsFunc(in, func(u G.Value) bool { return overlaps(v, u) })
}

// overlaps says whether the memory of v and u overlap.
func overlaps(v, u G.Value) bool {
	return v != nil && u != nil && u.Uintptr() < v.Uintptr()+v.MemSize() && v.Uintptr() < u.Uintptr()+u.MemSize()
}

// value is n's value from the last run, nil before one or for a node the
// program does not hold.
func (p *program) value(n *G.Node) G.Value {
	i, ok := p.at[n]
	if !ok {
		return nil
	}
	return p.vals[i]
}
