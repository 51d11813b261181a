package network

import (
	"fmt"
	"math"
	"testing"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// clSpec is a small tower that runs channels-last: a strided stem, an
// identity block and a projecting strided block, global average pooling.
func clSpec() Spec {
	return Spec{Size: 9, Channels: 3, Layers: []Layer{
		{Kind: KindConv, Filters: 16, Kernel: 3, Stride: 2},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindResidual, Filters: 16},
		{Kind: KindResidual, Filters: 24, Stride: 2},
		{Kind: KindConv, Filters: 8, Kernel: 3},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindGAP},
		{Kind: KindDense, Units: 5},
		{Kind: KindL2Norm},
	}}
}

// clSmallSpec runs channels-last with few enough channels that a step of
// 1e-4 in one weight seldom moves a ReLU input across zero, which would
// put a kink inside a finite difference (clSpec's 16 channels at batch 4
// do: its one-sided slopes differ there, the analytic gradient being the
// left one).
func clSmallSpec() Spec {
	return Spec{Size: 8, Channels: 3, Layers: []Layer{
		{Kind: KindConv, Filters: 6, Kernel: 3, Stride: 2},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindResidual, Filters: 6},
		{Kind: KindConv, Filters: 7, Kernel: 3, Stride: 2},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindGAP},
		{Kind: KindDense, Units: 5},
	}}
}

func TestChannelsLastRule(t *testing.T) {
	conv := func(f, k int) Layer { return Layer{Kind: KindConv, Filters: f, Kernel: k} }
	gap, relu := Layer{Kind: KindGAP}, Layer{Kind: KindReLU}
	for _, tc := range []struct {
		name string
		spec Spec
		want bool
	}{
		{"photo tower", clSpec(), true},
		{"small photo tower", clSmallSpec(), true},
		{"residual too thin", Spec{Channels: 3, Layers: []Layer{conv(5, 3), {Kind: KindResidual, Filters: 5}, gap}}, false},
		{"first layer residual", Spec{Channels: 3, Layers: []Layer{{Kind: KindResidual, Filters: 16}, gap}}, false},
		{"thin later conv", Spec{Channels: 1, Layers: []Layer{conv(4, 3), conv(8, 1), gap}}, false},
		{"narrow projection", photoSpec(), false},
		{"max pooling without relu", Spec{Channels: 1, Layers: []Layer{conv(16, 3), {Kind: KindMaxPool}, gap}}, false},
		{"3×3 max pooling", Spec{Channels: 1, Layers: []Layer{conv(16, 3), relu, {Kind: KindMaxPool, Size: 3}, gap}}, false},
		{"l2norm of a 4-D activation", Spec{Channels: 1, Layers: []Layer{conv(16, 3), {Kind: KindL2Norm}}}, false},
		{"flattened", Spec{Channels: 1, Layers: []Layer{conv(16, 3), {Kind: KindDense, Units: 4}}}, true},
		{"ends in a convolution", Spec{Channels: 1, Layers: []Layer{conv(16, 3), relu, conv(8, 3)}}, true},
		{"default tower", Spec{Size: 28, Channels: 1, Layers: DefaultLayers()}, true},
		{"with dropout", Spec{Channels: 1, Layers: []Layer{conv(16, 3), {Kind: KindDropout, Rate: 0.5}, gap}}, true},
	} {
		if got := tc.spec.channelsLast(); got != tc.want {
			t.Errorf("%s: channelsLast = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// poolSpec is the default tower's kinds at a small odd size: the pooling
// drops a row and a column, and the flattening crosses back to channel-
// first before the dense layer.
func poolSpec() Spec {
	return Spec{Size: 11, Channels: 1, Layers: []Layer{
		{Kind: KindConv, Filters: 8, Kernel: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, Size: 2},
		{Kind: KindConv, Filters: 16, Kernel: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, Size: 2},
		{Kind: KindDense, Units: 6},
	}}
}

// TestChannelsLastMatchesChannelFirst: a tower run channels-last gives the
// loss, distances, gradients, running statistics and embeddings of the
// same tower run channel-first, to float32 rounding.
func TestChannelsLastMatchesChannelFirst(t *testing.T) {
	endsInConv := Spec{Size: 10, Channels: 3, Layers: []Layer{
		{Kind: KindConv, Filters: 8, Kernel: 3, Stride: 2}, {Kind: KindReLU},
		{Kind: KindConv, Filters: 4, Kernel: 3}, {Kind: KindReLU}, {Kind: KindMaxPool, Size: 2},
	}}
	for name, spec := range map[string]Spec{"photo": clSpec(), "pooling": poolSpec(), "ends in a convolution": endsInConv} {
		t.Run(name, func(t *testing.T) {
			if !spec.channelsLast() {
				t.Fatal("the spec does not run channels-last")
			}
			compareNets(t, spec, func(n *Net) { n.channelFirst = true }, "channel-first", "channels-last")
		})
	}
}

// compareNets runs two nets of one spec and seed, the second as built
// and the first after tweak (named a and b), through two pair steps and
// an embedding, and checks that they agree to float32 rounding on loss,
// distances, gradients, running statistics and embeddings.
func compareNets(t *testing.T, spec Spec, tweak func(*Net), a, b string) {
	const batch = 6
	per := spec.Channels * spec.Size * spec.Size
	xa, xb := uniform(newRand(3), batch*per, 0, 1), uniform(newRand(4), batch*per, 0, 1)
	y := []float32{1, 0, 1, 0, 0, 1}
	type result struct {
		loss  float64
		dist  []float32
		grads [][]float32
		bufs  [][]float32
		emb   []float32
	}
	run := func(tweaked bool) result {
		net, err := New(spec, 11)
		if err != nil {
			t.Fatal(err)
		}
		if tweaked {
			tweak(net)
		}
		pg, err := net.NewPairGraph(batch, contrastive.Contrastive(1).Node)
		if err != nil {
			t.Fatal(err)
		}
		var r result
		// Two steps: the second reads running statistics the first wrote.
		for range 2 {
			if r.loss, r.dist, err = pg.Step(xa, xb, y); err != nil {
				t.Fatal(err)
			}
		}
		gs, _ := pg.Grads()
		for _, g := range gs {
			r.grads = append(r.grads, append([]float32(nil), g...))
		}
		for _, b := range net.Buffers {
			r.bufs = append(r.bufs, append([]float32(nil), b.Data...))
		}
		e, err := net.NewEmbedder(batch)
		if err != nil {
			t.Fatal(err)
		}
		if r.emb, err = e.Embed(xa, batch); err != nil {
			t.Fatal(err)
		}
		return r
	}
	cf, cl := run(true), run(false)
	near := func(what string, got, want []float32) {
		t.Helper()
		var scale float64
		for _, v := range want {
			scale = max(scale, math.Abs(float64(v)))
		}
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*max(scale, 1e-3) {
				t.Errorf("%s[%d] = %v %s, %v %s", what, i, got[i], b, want[i], a)
				return
			}
		}
	}
	if math.Abs(cl.loss-cf.loss) > 1e-5 {
		t.Errorf("loss %v %s, %v %s", cl.loss, b, cf.loss, a)
	}
	near("distance", cl.dist, cf.dist)
	for i := range cf.grads {
		near(fmt.Sprintf("gradient %d", i), cl.grads[i], cf.grads[i])
	}
	for i := range cf.bufs {
		near("buffer", cl.bufs[i], cf.bufs[i])
	}
	near("embedding", cl.emb, cf.emb)
}
