package network

import (
	"errors"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestProgramMatchesTapeMachine runs graphs of gorgonia's own ops and this
// package's, with their gradients, through a program and through
// gorgonia's tape machine, and requires every root's value to be the
// same to the bit: the program runs the same ops on the same inputs in an
// order that respects the same dependencies.
func TestProgramMatchesTapeMachine(t *testing.T) {
	type graph struct {
		g     *G.ExprGraph
		roots G.Nodes
	}
	matrix := func(g *G.ExprGraph, name string, rows, cols int, seed uint64) *G.Node {
		v := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(uniform(newRand(seed), rows*cols, -1, 1)))
		return G.NewMatrix(g, tensor.Float32, G.WithShape(rows, cols), G.WithName(name), G.WithValue(v))
	}
	// withGrads is graph g with roots and the gradients of cost with
	// respect to wrt.
	withGrads := func(t *testing.T, g *G.ExprGraph, roots G.Nodes, cost *G.Node, wrt ...*G.Node) graph {
		t.Helper()
		grads, err := G.Grad(cost, wrt...)
		if err != nil {
			t.Fatal(err)
		}
		return graph{g, append(roots, grads...)}
	}
	for _, c := range []struct {
		name  string
		build func(t *testing.T) graph
		spent int // the ops that write into an input (spentInputs)
	}{
		{"gorgonia ops: a non-commuting difference, a product, a sum and their gradients", func(t *testing.T) graph {
			g := G.NewGraph()
			a, b, w := matrix(g, "a", 5, 4, 1), matrix(g, "b", 5, 4, 2), matrix(g, "w", 4, 3, 3)
			d := G.Must(G.Sub(a, b))
			y := G.Must(G.Mul(d, w))
			cost := G.Must(G.Sum(G.Must(G.Square(y))))
			return withGrads(t, g, G.Nodes{cost, d}, cost, a, w)
		}, 0},
		{"this package's ops: a dense layer and the distance head", func(t *testing.T) graph {
			g := G.NewGraph()
			x, w := matrix(g, "x", 6, 5, 4), matrix(g, "w", 5, 3, 5)
			bias := G.NewVector(g, tensor.Float32, G.WithShape(3), G.WithName("bias"),
				G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{0.1, -0.2, 0.3}))))
			e := G.Must(Dense(x, w, bias))
			other := matrix(g, "other", 6, 3, 6)
			dist := G.Must(Distance(e, other, DistanceEps))
			cost := G.Must(G.Sum(dist))
			return withGrads(t, g, G.Nodes{dist, cost}, cost, w, bias)
		}, 0},
		{"a node read twice: gorgonia sums its gradients, in the tensor of one of them", func(t *testing.T) graph {
			g := G.NewGraph()
			x, w := matrix(g, "x", 6, 5, 7), matrix(g, "w", 5, 3, 8)
			e := G.Must(Dense(x, w, nil))
			near, far := matrix(g, "near", 6, 3, 9), matrix(g, "far", 6, 3, 10)
			cost := G.Must(G.Add(G.Must(G.Sum(G.Must(Distance(e, near, DistanceEps)))), G.Must(G.Sum(G.Must(Distance(e, far, DistanceEps))))))
			return withGrads(t, g, G.Nodes{cost}, cost, w)
		}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Each runner gets a graph of its own, built alike, so neither
			// sees values the other bound.
			want := c.build(t)
			vm := G.NewTapeMachine(want.g.SubgraphRoots(want.roots...), G.WithEngine(engine{}))
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			got := c.build(t)
			p, err := compile(got.g, got.roots...)
			if err != nil {
				t.Fatal(err)
			}
			for run := range 2 { // a second run reuses what the first left
				if err := p.run(); err != nil {
					t.Fatal(err)
				}
				for i, n := range got.roots {
					v := p.value(n)
					if v == nil {
						t.Fatalf("run %d: root %v has no value", run, n)
					}
					w := want.roots[i].Value()
					if !v.Shape().Eq(w.Shape()) {
						t.Fatalf("run %d: root %v shape %v, tape machine %v", run, n, v.Shape(), w.Shape())
					}
					sameBits(t, n.Name(), valueFloats(t, v), valueFloats(t, w))
				}
			}
			// Where the program sums into an input's tensor, the sum is in
			// that tensor's memory.
			spent := 0
			for i, k := range p.spend {
				if k < 0 {
					continue
				}
				spent++
				v, in := p.vals[i], p.vals[p.args[i][k]]
				if v.Uintptr() != in.Uintptr() {
					t.Errorf("%v: its value is not in the tensor of input %d, which it may overwrite", p.nodes[i], k)
				}
			}
			if spent != c.spent {
				t.Errorf("%d ops write into an input, want %d", spent, c.spent)
			}
			if p.value(matrix(G.NewGraph(), "elsewhere", 1, 1, 7)) != nil {
				t.Error("a node of another graph has a value")
			}
		})
	}
}

// valueFloats is v's data, a scalar as one value.
func valueFloats(t *testing.T, v G.Value) []float32 {
	t.Helper()
	if d, ok := v.Data().(float32); ok {
		return []float32{d}
	}
	return float32s(t, v)
}

// TestProgramReturnsOpError requires an op's error to come back as it is,
// without a wrapping of the runner's, and the ops after it not to run.
func TestProgramReturnsOpError(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))))
	failing := &failingKernel{err: errors.New("failing op: bad input")}
	y, err := apply(failing, x)
	if err != nil {
		t.Fatal(err)
	}
	after := &failingKernel{}
	z, err := apply(after, y)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compile(g, z)
	if err != nil {
		t.Fatal(err)
	}
	err = p.run()
	if !errors.Is(err, failing.err) || err.Error() != "failing op: bad input" {
		t.Fatalf("run: %v, want the op's error as it is", err)
	}
	if after.runs != 0 {
		t.Errorf("the op after the failing one ran %d times", after.runs)
	}
}

// TestProgramClock runs a program with its clock on: every op's time adds
// up over the runs, which a sleeping op's shows, and the inputs, which no
// op computes, take none.
func TestProgramClock(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))))
	slow := &failingKernel{sleep: time.Millisecond}
	y, err := apply(slow, x)
	if err != nil {
		t.Fatal(err)
	}
	z := G.Must(G.Sum(y))
	p, err := compile(g, z)
	if err != nil {
		t.Fatal(err)
	}
	p.clock = make([]time.Duration, len(p.nodes))
	const runs = 3
	for range runs {
		if err := p.run(); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range p.nodes {
		switch d := p.clock[i]; {
		case n == x && d != 0:
			t.Errorf("input %v: %v, want none", n, d)
		case n == y && d < runs*slow.sleep:
			t.Errorf("%v: %v over %d runs, want at least %v", n, d, runs, runs*slow.sleep)
		case n == z && d <= 0:
			t.Errorf("%v: %v, want some time", n, d)
		}
	}
}

// failingKernel returns its input, or err when set, after sleep.
type failingKernel struct {
	err   error
	sleep time.Duration
	runs  int
}

func (k *failingKernel) name() string                                  { return "failing" }
func (k *failingKernel) inputs() []string                              { return []string{"x"} }
func (k *failingKernel) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0].Clone(), nil }
func (k *failingKernel) forward(in [][]float32, _ []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	k.runs++
	time.Sleep(k.sleep)
	return in[0], k.err
}

// BenchmarkRunner runs a graph of two small ops (an addition and its sum)
// through gorgonia's tape machine and through a program: what running a
// graph costs besides its ops. On a 2-core VM, at -cpu 1 or 2, 44-69 µs a
// run for the tape machine, which hands every run to another thread and
// back (see program), 1.3-1.5 µs for a program.
func BenchmarkRunner(b *testing.B) {
	build := func() (*G.ExprGraph, *G.Node) {
		g := G.NewGraph()
		x := G.NewVector(g, tensor.Float32, G.WithShape(10), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(10), tensor.WithBacking(make([]float32, 10)))))
		return g, G.Must(G.Sum(G.Must(G.Add(x, x))))
	}
	b.Run("tape_machine", func(b *testing.B) {
		g, _ := build()
		vm := G.NewTapeMachine(g, G.WithEngine(engine{}))
		for b.Loop() {
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("program", func(b *testing.B) {
		g, sum := build()
		p, err := compile(g, sum)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := p.run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
