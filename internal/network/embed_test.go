package network

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The inference graph folds ReLU into max pooling and drops the argmax
// bookkeeping; its embeddings must equal those of the training-mode tower.
func TestEmbedderMatchesTrainingForward(t *testing.T) {
	specs := []Spec{
		{Size: 28, Channels: 1, Layers: DefaultLayers()},
		{Size: 9, Channels: 3, Layers: []Layer{
			{Kind: KindConv, Filters: 4}, {Kind: KindReLU}, {Kind: KindMaxPool, Size: 3},
			{Kind: KindConv, Filters: 5}, {Kind: KindMaxPool, Size: 2}, {Kind: KindReLU}, {Kind: KindDense, Units: 6},
		}},
	}
	for si, spec := range specs {
		net, err := New(spec, 11)
		if err != nil {
			t.Fatal(err)
		}
		const n = 5
		per := spec.Channels * spec.Size * spec.Size
		x := randomImages(n*per/(28*28)+1, uint64(si))[:n*per]
		for i := range x {
			x[i] -= 0.5 // negative inputs too, so the ReLUs matter
		}
		e, err := net.NewEmbedder(3) // a short last batch as well
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Embed(x, n)
		if err != nil {
			t.Fatal(err)
		}

		g := G.NewGraph()
		in := tensor.New(tensor.WithShape(n, spec.Channels, spec.Size, spec.Size), tensor.WithBacking(append([]float32(nil), x...)))
		xn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(n, spec.Channels, spec.Size, spec.Size), G.WithValue(in))
		out, err := net.apply(xn, net.weightNodes(g), &applyMode{training: true})
		if err != nil {
			t.Fatal(err)
		}
		var v G.Value
		G.Read(out, &v)
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		want := v.Data().([]float32)
		if len(want) != len(got) {
			t.Fatalf("spec %d: %d values, want %d", si, len(got), len(want))
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-5 {
				t.Fatalf("spec %d: embedding value %d = %v, training forward gives %v", si, i, got[i], want[i])
			}
		}
	}
}

// TestEmbedderHalvesMatchWhole: an Embedder whose batch runs as two halves
// side by side gives the embeddings of one that runs it whole, for counts
// that fill both halves, only the first, or leave a short last batch.
func TestEmbedderHalvesMatchWhole(t *testing.T) {
	for name, spec := range map[string]Spec{"photo": clSmallSpec(), "pooling": poolSpec(), "channel-first": photoSpec()} {
		net, err := New(spec, 4)
		if err != nil {
			t.Fatal(err)
		}
		per := spec.Channels * spec.Size * spec.Size
		for _, count := range []int{1, 4, 5, 9, 19} {
			x := uniform(newRand(uint64(count)), count*per, -1, 1)
			var ref []float32
			for _, batch := range []int{minSplitEmbed - 1, minSplitEmbed, minSplitEmbed + 1} {
				e, err := net.NewEmbedder(batch)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := len(e.halves), 1+min(1, batch/minSplitEmbed); got != want {
					t.Fatalf("batch %d: %d graphs, want %d", batch, got, want)
				}
				emb, err := e.Embed(x, count)
				if err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					ref = emb
					continue
				}
				checkClose(t, fmt.Sprintf("%s: %d images in batches of %d", name, count, batch), emb, to64(ref), 1e-6)
			}
		}
	}
}
