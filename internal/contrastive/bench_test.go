package contrastive

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func benchBatch(n int) (d, y []float32) {
	rng := rand.New(rand.NewPCG(1, 2))
	d, y = make([]float32, n), make([]float32, n)
	for i := range d {
		d[i] = 2 * rng.Float32()
		y[i] = float32(i % 2)
	}
	return d, y
}

func BenchmarkValue(b *testing.B) {
	d, y := benchBatch(256)
	for _, l := range []Loss{Contrastive(1), Huber(1, 0.5), MSE(1)} {
		b.Run(l.Name(), func(b *testing.B) {
			for b.Loop() {
				l.Value(d, y)
			}
		})
	}
}

// BenchmarkNodeStep measures one forward and backward pass of the loss graph
// alone, the share of a training step the loss itself costs.
func BenchmarkNodeStep(b *testing.B) {
	d32, y32 := benchBatch(256)
	for _, l := range []Loss{Contrastive(1), Huber(1, 0.5), MSE(1)} {
		b.Run(l.Name(), func(b *testing.B) {
			g := G.NewGraph()
			d := G.NewVector(g, tensor.Float32, G.WithShape(len(d32)), G.WithName("d"), G.WithValue(tensor.New(tensor.WithBacking(d32))))
			y := G.NewVector(g, tensor.Float32, G.WithShape(len(y32)), G.WithName("y"), G.WithValue(tensor.New(tensor.WithBacking(y32))))
			cost, err := l.Node(d, y)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := G.Grad(cost, d); err != nil {
				b.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			for b.Loop() {
				if err := vm.RunAll(); err != nil {
					b.Fatal(err)
				}
				vm.Reset()
			}
		})
	}
}
