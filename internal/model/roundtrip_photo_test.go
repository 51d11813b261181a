package model

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/siamese-dev/siamese/internal/network"
)

// TestSaveLoadPhotoLayers round-trips a tower with every photo layer kind
// (strided conv, identity and projection residual blocks, gap): the spec,
// every weight and every batch-norm running statistic come back, and the
// loaded tower embeds exactly as the saved one.
func TestSaveLoadPhotoLayers(t *testing.T) {
	spec := network.Spec{Size: 8, Channels: 3, Layers: []network.Layer{
		{Kind: network.KindConv, Filters: 4, Stride: 2},
		{Kind: network.KindBatchNorm},
		{Kind: network.KindReLU},
		{Kind: network.KindResidual, Filters: 4},
		{Kind: network.KindResidual, Filters: 6, Stride: 2},
		{Kind: network.KindGAP},
		{Kind: network.KindDense, Units: 5},
		{Kind: network.KindL2Norm},
	}}
	net, err := network.New(spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range net.Buffers { // running statistics that moved
		b.Data[0] = 0.5 + float32(i)
	}
	path := filepath.Join(t.TempDir(), "p.safetensors")
	if err := Save(path, &Model{Net: net, Meta: Meta{Spec: spec}}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got.Meta.Spec.Layers, spec.Layers, func(a, b network.Layer) bool {
		return a.Kind == b.Kind && a.Filters == b.Filters && a.Stride == b.Stride && a.Units == b.Units
	}) {
		t.Fatalf("layers changed: %+v", got.Meta.Spec.Layers)
	}
	want, have := net.Tensors(), got.Net.Tensors()
	if len(have) != len(want) || len(got.Net.Buffers) != 12 {
		t.Fatalf("%d tensors (%d buffers) back, wrote %d (%d)", len(have), len(got.Net.Buffers), len(want), len(net.Buffers))
	}
	for i := range want {
		if have[i].Name != want[i].Name || !slices.Equal(have[i].Data, want[i].Data) || !slices.Equal(have[i].Shape, want[i].Shape) {
			t.Errorf("tensor %s changed in the round trip", want[i].Name)
		}
	}
	x := make([]float32, 2*3*8*8)
	for i := range x {
		x[i] = float32(i%17) / 17
	}
	embed := func(n *network.Net) []float32 {
		e, err := n.NewEmbedder(2)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.Embed(x, 2)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if a, b := embed(net), embed(got.Net); !slices.Equal(a, b) {
		t.Errorf("loaded tower embeds %v, saved one %v", b, a)
	}
}
