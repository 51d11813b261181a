package network

import (
	"strings"
	"testing"
)

// photoSpec is a tiny tower with every photo layer kind: a strided conv,
// an identity residual block, a strided projection block and global
// average pooling.
func photoSpec() Spec {
	return Spec{Size: 8, Channels: 3, Layers: []Layer{
		{Kind: KindConv, Filters: 4, Kernel: 3, Stride: 2},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindResidual, Filters: 4},
		{Kind: KindResidual, Filters: 6, Stride: 2},
		{Kind: KindGAP},
		{Kind: KindDense, Units: 5},
	}}
}

// TestPlanPhotoLayers checks shapes and parameter counts by hand:
// conv 3→4 at stride 2 on 8×8 gives 4×4 ((8+2-3)/2+1) and 4·3·9 = 108
// weights; batch norm 2·4; the identity block two 4·4·9 convs and two
// batch norms (2·144+2·8 = 304); the projection block 6·4·9 + 6·6·9 +
// 6·4 (1×1) weights and three batch norms (216+324+24+3·12 = 600) and a
// 2×2 plane; gap leaves 6 values; dense 6·5+5 = 35.
func TestPlanPhotoLayers(t *testing.T) {
	shapes, params, err := photoSpec().Plan()
	if err != nil {
		t.Fatal(err)
	}
	want := []Shape{{4, 4, 4}, {4, 4, 4}, {4, 4, 4}, {4, 4, 4}, {6, 2, 2}, {6, 1, 1}, {5, 1, 1}}
	for i, s := range shapes {
		if s != want[i] {
			t.Errorf("layer %d: shape %v, want %v", i+1, s, want[i])
		}
	}
	trained, buffers := 0, 0
	for _, p := range params {
		if p.Buffer {
			buffers += numel(p.Shape)
		} else {
			trained += numel(p.Shape)
		}
	}
	if trained != 108+8+304+600+35 || buffers != 2*(4+2*4+3*6) {
		t.Errorf("%d trained values and %d buffer values, want 1055 and 60", trained, buffers)
	}
	net, err := New(photoSpec(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(net.bn) != 6 {
		t.Errorf("%d batch-norm states, want 6 (one layer, two in the identity block, three in the projection block)", len(net.bn))
	}
}

func TestPlanRejectsBadPhotoLayers(t *testing.T) {
	zero, three := 0, 3
	for _, tc := range []struct {
		name   string
		layers []Layer
		want   string
	}{
		{"negative stride", []Layer{{Kind: KindConv, Filters: 2, Stride: -1}}, "stride >= 1"},
		{"residual without filters", []Layer{{Kind: KindResidual}}, "filters >= 1"},
		{"residual with a kernel", []Layer{{Kind: KindResidual, Filters: 2, Kernel: 5}}, "fixed 3x3"},
		{"residual with pad", []Layer{{Kind: KindResidual, Filters: 2, Pad: &three}}, "fixed 3x3"},
		{"conv after gap", []Layer{{Kind: KindGAP}, {Kind: KindConv, Filters: 2}}, "cannot follow a dense or gap layer"},
		{"residual after dense", []Layer{{Kind: KindDense, Units: 2}, {Kind: KindResidual, Filters: 2}}, "cannot follow a dense or gap layer"},
		{"gap twice", []Layer{{Kind: KindGAP}, {Kind: KindGAP}}, "image-shaped input"},
		{"kernel larger than padded input", []Layer{{Kind: KindConv, Filters: 2, Kernel: 9, Pad: &zero, Stride: 2}}, "too small"},
		{"unknown kind", []Layer{{Kind: "resnet"}}, "gap, residual"},
		{"nothing to train", []Layer{{Kind: KindReLU}, {Kind: KindMaxPool}, {Kind: KindGAP}, {Kind: KindL2Norm}}, "no layer with weights"},
	} {
		_, _, err := Spec{Size: 8, Channels: 1, Layers: tc.layers}.Plan()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line saying %q", tc.name, err, tc.want)
		}
	}
}

// TestEmbedderPhotoLayers: in inference mode every image is embedded on
// its own (running statistics, no batch statistics), so the embeddings do
// not depend on the batch size or on the other images of the batch.
func TestEmbedderPhotoLayers(t *testing.T) {
	spec := photoSpec()
	net, err := New(spec, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range net.Buffers { // running statistics that moved away from 0 and 1
		for i := range b.Data {
			b.Data[i] += 0.1 * float32(i+1)
		}
	}
	const n = 5
	x := uniform(newRand(4), n*3*8*8, -1, 1)
	var first []float32
	for _, batch := range []int{1, 2, n} {
		e, err := net.NewEmbedder(batch)
		if err != nil {
			t.Fatal(err)
		}
		if e.Dim() != 5 {
			t.Fatalf("embedding width %d, want 5", e.Dim())
		}
		got, err := e.Embed(x, n)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = got
			continue
		}
		checkClose(t, "embedding", got, to64(first), 1e-6)
	}
}

// TestInferenceBatch checks the embedder batch against activation sizes
// counted by hand.
func TestInferenceBatch(t *testing.T) {
	def := Spec{Size: 28, Channels: 1, Layers: DefaultLayers()}
	// conv 32x28x28, relu, maxpool 32x14x14, conv 64x14x14, relu, maxpool
	// 64x7x7, dense 128: 84,640 floats, 338,560 bytes an image.
	perDefault := int64(4 * (2*32*28*28 + 32*14*14 + 2*64*14*14 + 64*7*7 + 128))
	res := Spec{Size: 8, Channels: 3, Layers: []Layer{{Kind: KindResidual, Filters: 4, Stride: 2}, {Kind: KindGAP}}}
	perRes := int64(4 * (8*4*4*4 + 4)) // eight outputs of 4x4x4, then GAP's 4
	for _, tc := range []struct {
		name   string
		spec   Spec
		budget int64
		most   int
		want   int
	}{
		{"default, 64 MiB", def, 64 << 20, 256, int((64 << 20) / perDefault)},
		{"default, capped", def, 1 << 40, 256, 256},
		{"default, tiny budget", def, 10, 256, 1},
		{"residual counts eight outputs", res, 10 * perRes, 256, 10},
		{"invalid spec keeps most", Spec{Size: 0}, 1 << 20, 32, 32},
	} {
		if got := tc.spec.InferenceBatch(tc.budget, tc.most); got != tc.want {
			t.Errorf("%s: InferenceBatch = %d, want %d", tc.name, got, tc.want)
		}
	}
}
