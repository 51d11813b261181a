package export

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/onnx/onnxpb"
)

func intp(v int) *int { return &v }

func newModel(t *testing.T, spec network.Spec) *model.Model {
	t.Helper()
	net, err := network.New(spec, 7)
	if err != nil {
		t.Fatal(err)
	}
	return &model.Model{Meta: model.Meta{Spec: spec, Threshold: 0.625, Loss: model.LossInfo{Name: "contrastive", Margin: 1}}, Net: net}
}

func opTypes(g *onnxpb.GraphProto) []string {
	var ops []string
	for _, n := range g.GetNode() {
		ops = append(ops, n.GetOpType())
	}
	return ops
}

// attr returns the integer list attribute name of node n.
func attr(n *onnxpb.NodeProto, name string) []int64 {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			if a.GetType() == onnxpb.AttributeProto_INT {
				return []int64{a.GetI()}
			}
			return a.GetInts()
		}
	}
	return nil
}

func TestBuildOperators(t *testing.T) {
	cases := []struct {
		name   string
		spec   network.Spec
		ops    []string
		dim    int64
		inits  int // initializers of the embedding model
		checks func(t *testing.T, g *onnxpb.GraphProto)
	}{
		{
			name: "default tower",
			spec: network.Spec{Size: 28, Channels: 1, Layers: network.DefaultLayers()},
			ops:  []string{"Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Identity"},
			dim:  128, inits: 4,
			checks: func(t *testing.T, g *onnxpb.GraphProto) {
				conv := g.GetNode()[0]
				if got := attr(conv, "pads"); !slices.Equal(got, []int64{1, 1, 1, 1}) {
					t.Errorf("conv pads %v, want the tower's default kernel/2", got)
				}
				if got := attr(g.GetNode()[2], "strides"); !slices.Equal(got, []int64{2, 2}) {
					t.Errorf("maxpool strides %v, want the window size", got)
				}
				gemm := g.GetNode()[7]
				if attr(gemm, "transB") != nil {
					t.Errorf("gemm must read the In×Out weight as it is")
				}
			},
		},
		{
			name: "batchnorm, dropout, l2norm on an image-shaped activation",
			spec: network.Spec{Size: 8, Channels: 3, Layers: []network.Layer{
				{Kind: network.KindConv, Filters: 4, Kernel: 3, Pad: intp(0)},
				{Kind: network.KindBatchNorm},
				{Kind: network.KindDropout, Rate: 0.5},
				{Kind: network.KindL2Norm},
			}},
			ops: []string{"Conv", "BatchNormalization", "ReduceSumSquare", "Add", "Sqrt", "Div", "Flatten"},
			dim: 4 * 6 * 6, inits: 1 + 4 + 1,
			checks: func(t *testing.T, g *onnxpb.GraphProto) {
				if got := attr(g.GetNode()[2], "axes"); !slices.Equal(got, []int64{1, 2, 3}) {
					t.Errorf("l2norm of an image-shaped activation reduces over %v, want all of a sample [1 2 3]", got)
				}
			},
		},
		{
			name: "l2norm after dense",
			spec: network.Spec{Size: 4, Channels: 1, Layers: []network.Layer{
				{Kind: network.KindDense, Units: 5},
				{Kind: network.KindBatchNorm},
				{Kind: network.KindL2Norm},
			}},
			ops: []string{"Flatten", "Gemm", "BatchNormalization", "ReduceSumSquare", "Add", "Sqrt", "Div", "Identity"},
			dim: 5, inits: 2 + 4 + 1,
			checks: func(t *testing.T, g *onnxpb.GraphProto) {
				if got := attr(g.GetNode()[3], "axes"); !slices.Equal(got, []int64{1}) {
					t.Errorf("l2norm after dense reduces over %v, want [1]", got)
				}
			},
		},
		{
			name: "strided conv, residual with projection, gap",
			spec: network.Spec{Size: 9, Channels: 1, Layers: []network.Layer{
				{Kind: network.KindConv, Filters: 4, Kernel: 3, Stride: 2},
				{Kind: network.KindResidual, Filters: 4},
				{Kind: network.KindResidual, Filters: 6, Stride: 2},
				{Kind: network.KindGAP},
			}},
			ops: []string{"Conv",
				"Conv", "BatchNormalization", "Relu", "Conv", "BatchNormalization", "Add", "Relu",
				"Conv", "BatchNormalization", "Conv", "BatchNormalization", "Relu", "Conv", "BatchNormalization", "Add", "Relu",
				"GlobalAveragePool", "Flatten"},
			dim: 6, inits: 1 + (2 + 8) + (3 + 12),
			checks: func(t *testing.T, g *onnxpb.GraphProto) {
				if got := attr(g.GetNode()[0], "strides"); !slices.Equal(got, []int64{2, 2}) {
					t.Errorf("strided conv strides %v", got)
				}
				proj := g.GetNode()[8]
				if got := attr(proj, "kernel_shape"); !slices.Equal(got, []int64{1, 1}) || !slices.Equal(attr(proj, "strides"), []int64{2, 2}) {
					t.Errorf("projection kernel %v strides %v, want 1x1 with the block's stride", got, attr(proj, "strides"))
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newModel(t, c.spec)
			mp, err := Build(m, false)
			if err != nil {
				t.Fatal(err)
			}
			g := mp.GetGraph()
			if got := opTypes(g); !slices.Equal(got, c.ops) {
				t.Errorf("operators %v\nwant      %v", got, c.ops)
			}
			if n := len(g.GetInitializer()); n != c.inits {
				t.Errorf("%d initializers, want %d", n, c.inits)
			}
			out := g.GetOutput()[0].GetType().GetTensorType().GetShape().GetDim()
			if len(out) != 2 || out[0].GetDimParam() != "N" || out[1].GetDimValue() != c.dim {
				t.Errorf("output shape %v, want [N %d]", out, c.dim)
			}
			if c.checks != nil {
				c.checks(t, g)
			}

			pair, err := Build(m, true)
			if err != nil {
				t.Fatal(err)
			}
			pg := pair.GetGraph()
			// One set of weights for both towers, plus the distance's eps.
			if n := len(pg.GetInitializer()); n != c.inits+1 {
				t.Errorf("pair model has %d initializers, want the tower's %d shared plus 1", n, c.inits)
			}
			if len(pg.GetNode()) != 2*len(g.GetNode())+4 {
				t.Errorf("pair model has %d nodes, want two towers of %d and 4 for the distance", len(pg.GetNode()), len(g.GetNode()))
			}
			var outs []string
			for _, o := range pg.GetOutput() {
				outs = append(outs, o.GetName())
			}
			if !slices.Equal(outs, []string{"embedding_a", "embedding_b", "distance"}) {
				t.Errorf("pair outputs %v", outs)
			}
			names := map[string]bool{}
			for _, n := range pg.GetNode() {
				for _, o := range n.GetOutput() {
					if names[o] {
						t.Errorf("value %s is produced twice", o)
					}
					names[o] = true
				}
			}
		})
	}
}

func TestMetadata(t *testing.T) {
	for _, channels := range []int{1, 3} {
		m := newModel(t, network.Spec{Size: 10, Channels: channels, Layers: []network.Layer{{Kind: network.KindDense, Units: 3}}})
		mp, err := Build(m, false)
		if err != nil {
			t.Fatal(err)
		}
		meta := map[string]string{}
		for _, kv := range mp.GetMetadataProps() {
			meta[kv.GetKey()] = kv.GetValue()
		}
		want := map[string]string{MetaSize: "10", MetaThreshold: "0.625", MetaEmbedding: "3"}
		want[MetaChannels] = map[int]string{1: "1", 3: "3"}[channels]
		for k, v := range want {
			if meta[k] != v {
				t.Errorf("channels %d: %s = %q, want %q", channels, k, meta[k], v)
			}
		}
		for _, k := range metaKeys {
			if meta[k] == "" {
				t.Errorf("channels %d: metadata %s is empty", channels, k)
			}
		}
		// The loader rounds L to a byte (dataset's toPlanes): a runtime
		// that did not would miss the 1e-4 parity (7e-4 measured).
		if gray := strings.Contains(meta[MetaGray], "0.299") && strings.Contains(meta[MetaGray], "rounded to the nearest integer"); gray != (channels == 1) {
			t.Errorf("channels %d: gray conversion %q", channels, meta[MetaGray])
		}
		if mp.GetOpsetImport()[0].GetVersion() != Opset || mp.GetIrVersion() != irVersion {
			t.Errorf("opset %v, IR %d", mp.GetOpsetImport(), mp.GetIrVersion())
		}
	}
}

// TestMetadataResize checks that the resize note follows the mode the
// model was trained with: a runtime that squashed pictures a model saw
// cropped would feed it shapes it never learnt.
func TestMetadataResize(t *testing.T) {
	for _, tc := range []struct{ mode, says, not string }{
		{"", "aspect ratio not kept", "centre"},
		{dataset.ResizeSquash, "aspect ratio not kept", "centre"},
		{dataset.ResizeCrop, "centre size x size kept", "not kept"},
		{dataset.ResizePad, "mean colour", "not kept"},
	} {
		m := newModel(t, network.Spec{Size: 10, Channels: 3, Resize: tc.mode, Layers: []network.Layer{{Kind: network.KindDense, Units: 3}}})
		mp, err := Build(m, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range mp.GetMetadataProps() {
			if kv.GetKey() != MetaResize {
				continue
			}
			if v := kv.GetValue(); !strings.Contains(v, tc.says) || strings.Contains(v, tc.not) {
				t.Errorf("resize %q: %s = %q, want it to say %q and not %q", tc.mode, MetaResize, v, tc.says, tc.not)
			}
		}
	}
}

func TestBuildRefusesUnknownLayer(t *testing.T) {
	m := newModel(t, network.Spec{Size: 4, Channels: 1, Layers: []network.Layer{{Kind: network.KindDense, Units: 2}}})
	m.Net.Spec.Layers = append(m.Net.Spec.Layers, network.Layer{Kind: "attention"})
	_, err := Build(m, false)
	if err == nil || !strings.Contains(err.Error(), "layer 2 (attention)") {
		t.Errorf("error %v, want one naming layer 2 (attention)", err)
	}
}

// TestRunWritesDeterministicFile exports a saved model twice and checks the
// file decodes and is the same bytes both times, and that no temporary file
// is left behind.
func TestRunWritesDeterministicFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m := newModel(t, network.Spec{Size: 6, Channels: 1, Layers: []network.Layer{
		{Kind: network.KindConv, Filters: 2}, {Kind: network.KindBatchNorm}, {Kind: network.KindReLU}, {Kind: network.KindDense, Units: 3},
	}})
	if err := model.Save(path, m); err != nil {
		t.Fatal(err)
	}
	var files [][]byte
	for _, name := range []string{"a.onnx", "b.onnx"} {
		out := filepath.Join(dir, name)
		r, err := Run(Options{Model: path, Out: out, Format: "onnx", Pair: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Inputs) != 2 || len(r.Outputs) != 3 || r.Path != out {
			t.Errorf("result %+v", r)
		}
		buf, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(buf, &mp); err != nil {
			t.Fatalf("%s does not decode: %v", name, err)
		}
		files = append(files, buf)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Errorf("two exports of one model differ")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("folder holds %d files, want the model and two exports", len(entries))
	}
	if _, err := Run(Options{Model: path, Out: filepath.Join(dir, "c.onnx"), Format: "tflite"}); err == nil {
		t.Errorf("format tflite accepted")
	}
	// "-" writes the same bytes to Stdout, and no file.
	var stdout bytes.Buffer
	if r, err := Run(Options{Model: path, Out: "-", Format: "onnx", Pair: true, Stdout: &stdout}); err != nil || r.Path != "-" || !bytes.Equal(stdout.Bytes(), files[0]) {
		t.Errorf("--out -: %v, %d bytes on stdout, want the file's %d", err, stdout.Len(), len(files[0]))
	}
	// Exporting over the model itself, by its name or a link to it, would
	// destroy it.
	link := filepath.Join(dir, "link.safetensors")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{path, link} {
		_, err := Run(Options{Model: path, Out: out, Format: "onnx"})
		if err == nil || !strings.Contains(err.Error(), "is the model file itself") {
			t.Errorf("--out %s (the model): %v", out, err)
		}
	}
	if _, err := model.Load(path); err != nil {
		t.Errorf("the model after the refused exports: %v", err)
	}
}
