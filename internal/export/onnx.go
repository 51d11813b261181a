package export

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/onnx/onnxpb"
)

const (
	// Opset is the version of the default ONNX operator set the graph uses.
	// 17 is the newest that ONNX 1.12 (Debian's python3-onnx) checks, and
	// its ReduceSumSquare still takes axes as an attribute.
	Opset = 17
	// irVersion is the ONNX IR version that goes with opset 17.
	irVersion = 8

	// l2Eps is the epsilon of the tower's l2norm layer (network.l2Eps,
	// unexported there): y = x / sqrt(Σx² + l2Eps).
	l2Eps = 1e-10
)

// Metadata keys written in metadata_props.
const (
	MetaSize      = "siamese.input.size"
	MetaChannels  = "siamese.input.channels"
	MetaLayout    = "siamese.input.layout"
	MetaScale     = "siamese.input.scale"
	MetaResize    = "siamese.input.resize"
	MetaGray      = "siamese.input.gray"
	MetaThreshold = "siamese.threshold"
	MetaDistance  = "siamese.distance"
	MetaEmbedding = "siamese.embedding.dim"
	MetaSpec      = "siamese.spec"
	MetaLoss      = "siamese.loss"
)

// Build turns a trained model into an ONNX model: the embedding model, or
// with pair the two-input model that also outputs the distance.
func Build(m *model.Model, pair bool) (*onnxpb.ModelProto, error) {
	spec := m.Net.Spec
	shapes, _, err := spec.Plan()
	if err != nil {
		return nil, fmt.Errorf("model spec: %w", err)
	}
	dim := shapes[len(shapes)-1].Len()
	b := &builder{
		graph:   &onnxpb.GraphProto{Name: ptr("siamese_tower")},
		tensors: map[string]*network.Param{},
		added:   map[string]bool{},
		layers:  spec.Layers,
		bnEps:   network.NewBNState(0).Eps,
	}
	for _, p := range m.Net.Tensors() {
		b.tensors[p.Name] = p
	}
	in := func(name string) *onnxpb.ValueInfoProto {
		return valueInfo(name, dimParam("N"), dimValue(spec.Channels), dimValue(spec.Size), dimValue(spec.Size))
	}
	if !pair {
		b.graph.Input = append(b.graph.Input, in("image"))
		if _, err := b.tower("image", "embedding", ""); err != nil {
			return nil, err
		}
		b.graph.Output = append(b.graph.Output, valueInfo("embedding", dimParam("N"), dimValue(dim)))
	} else {
		b.graph.Name = ptr("siamese_pair")
		b.graph.Input = append(b.graph.Input, in("image_a"), in("image_b"))
		for _, side := range []string{"a", "b"} {
			if _, err := b.tower("image_"+side, "embedding_"+side, side+"/"); err != nil {
				return nil, err
			}
		}
		diff := b.node("Sub", "distance/", []string{"embedding_a", "embedding_b"})
		sq := b.node("ReduceSumSquare", "distance/", []string{diff}, intsAttr("axes", 1), intAttr("keepdims", 0))
		eps := b.scalar("distance.eps", network.DistanceEps)
		s := b.node("Add", "distance/", []string{sq, eps})
		b.nodeTo("Sqrt", "distance/", []string{s}, "distance")
		b.graph.Output = append(b.graph.Output,
			valueInfo("embedding_a", dimParam("N"), dimValue(dim)),
			valueInfo("embedding_b", dimParam("N"), dimValue(dim)),
			valueInfo("distance", dimParam("N")))
	}
	meta, err := metadata(m, dim)
	if err != nil {
		return nil, err
	}
	mp := &onnxpb.ModelProto{
		IrVersion:       ptr(int64(irVersion)),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: ptr(""), Version: ptr(int64(Opset))}},
		ProducerName:    ptr("siamese"),
		ProducerVersion: ptr(model.FormatVersion),
		DocString:       ptr("Siamese network tower exported by siamese; preprocessing and threshold in metadata_props"),
		Graph:           b.graph,
	}
	for _, k := range metaKeys {
		mp.MetadataProps = append(mp.MetadataProps, &onnxpb.StringStringEntryProto{Key: ptr(k), Value: ptr(meta[k])})
	}
	return mp, nil
}

// metaKeys fixes the order of metadata_props, so the same model always
// exports to the same bytes.
var metaKeys = []string{MetaSize, MetaChannels, MetaLayout, MetaScale, MetaResize, MetaGray,
	MetaThreshold, MetaDistance, MetaEmbedding, MetaSpec, MetaLoss}

// metadata describes the preprocessing of internal/dataset's Loader and the
// decision rule of internal/verify, for whoever runs the graph.
func metadata(m *model.Model, dim int) (map[string]string, error) {
	spec := m.Net.Spec
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	lossJSON, err := json.Marshal(m.Meta.Loss)
	if err != nil {
		return nil, fmt.Errorf("encode loss: %w", err)
	}
	layout := "NCHW, channel R, G, B"
	gray := "not used: RGB kept; alpha dropped before resizing, each pixel keeping its stored colour"
	if spec.Channels == 1 {
		layout = "NCHW, one gray channel"
		gray = "L = 0.299*R + 0.587*G + 0.114*B (ITU-R BT.601) on 8-bit values, rounded to the nearest integer (+0.5, then truncated); alpha dropped before resizing, each pixel keeping its stored colour"
	}
	return map[string]string{
		MetaSize:      strconv.Itoa(spec.Size),
		MetaChannels:  strconv.Itoa(spec.Channels),
		MetaLayout:    layout,
		MetaScale:     "value/255 of 8-bit channels, giving [0, 1]; no mean or std subtracted",
		MetaResize:    resizeNote(spec.Resize),
		MetaGray:      gray,
		MetaThreshold: strconv.FormatFloat(m.Meta.Threshold, 'g', -1, 64),
		MetaDistance:  "sqrt(sum((a-b)^2) + 1e-6) between embeddings; similar when distance < threshold",
		MetaEmbedding: strconv.Itoa(dim),
		MetaSpec:      string(specJSON),
		MetaLoss:      string(lossJSON),
	}, nil
}

// resizeNote says how a picture became the model's input under the
// resize mode it was trained with (dataset.Resize*; "" in models from
// before the mode, which squashed), for a runtime to do the same.
func resizeNote(mode string) string {
	const filter = "with a bilinear triangle filter whose support widens when shrinking, like PIL's resize(BILINEAR)"
	switch mode {
	case dataset.ResizeCrop:
		return "EXIF orientation of a JPEG applied, then the shorter side scaled to size and the centre size x size kept (aspect ratio kept, the ends of the longer side cut off), " + filter
	case dataset.ResizePad:
		return "EXIF orientation of a JPEG applied, then the longer side scaled to size and the shorter to round(shorter*size/longer), at least 1 (aspect ratio kept), " + filter +
			", and pasted at ((size-w)/2, (size-h)/2), rounded down, on a size x size canvas of the mean colour (each channel rounded) of the scaled picture's outermost pixels"
	}
	return "EXIF orientation of a JPEG applied, then resize to size x size (aspect ratio not kept) " + filter
}

// builder accumulates the nodes and initializers of one graph.
type builder struct {
	graph   *onnxpb.GraphProto
	tensors map[string]*network.Param // the model's weights and buffers by name
	added   map[string]bool           // initializers already in the graph
	layers  []network.Layer
	bnEps   float32
	count   int // for unique node and value names
}

// activation tracks the rank of the value a layer reads: 4 (N×C×H×W) or
// 2 (N×F, after dense).
type activation struct {
	name string
	rank int
}

// tower emits the layers of the tower from input to an output named out;
// prefix keeps the names of the two towers of a pair graph apart (the
// initializers are shared).
func (b *builder) tower(input, out, prefix string) (string, error) {
	x := activation{input, 4}
	for i, l := range b.layers {
		pre := fmt.Sprintf("layer%d", i)
		np := fmt.Sprintf("%s%s.%s/", prefix, pre, l.Kind)
		var err error
		switch l.Kind {
		case network.KindConv:
			x.name, err = b.conv(x.name, np, pre+".conv.weight", pad(l), stride(l))
		case network.KindReLU:
			x.name = b.node("Relu", np, []string{x.name})
		case network.KindMaxPool:
			sz := l.Size
			if sz == 0 {
				sz = 2
			}
			x.name = b.node("MaxPool", np, []string{x.name}, intsAttr("kernel_shape", sz, sz), intsAttr("strides", sz, sz))
		case network.KindDense:
			var w, bias string
			if w, err = b.init(pre + ".dense.weight"); err == nil {
				bias, err = b.init(pre + ".dense.bias")
			}
			if err == nil {
				flat := b.node("Flatten", np, []string{x.name}, intAttr("axis", 1))
				x = activation{b.node("Gemm", np, []string{flat, w, bias}), 2}
			}
		case network.KindBatchNorm:
			x.name, err = b.batchNorm(x.name, np, pre+".bn")
		case network.KindDropout:
			// The identity at inference.
		case network.KindL2Norm:
			axes := []int{1}
			if x.rank == 4 {
				axes = []int{1, 2, 3}
			}
			sq := b.node("ReduceSumSquare", np, []string{x.name}, intsAttr("axes", axes...), intAttr("keepdims", 1))
			s := b.node("Add", np, []string{sq, b.scalar("l2norm.eps", l2Eps)})
			x.name = b.node("Div", np, []string{x.name, b.node("Sqrt", np, []string{s})})
		case kindGAP:
			x.name = b.node("GlobalAveragePool", np, []string{x.name})
		case kindResidual:
			x.name, err = b.residual(x.name, np, pre+".res", l)
		default:
			err = fmt.Errorf("no ONNX export for layer kind %q", l.Kind)
		}
		if err != nil {
			return "", fmt.Errorf("export layer %d (%s): %w", i+1, l.Kind, err)
		}
	}
	if x.rank == 4 {
		// The tower's embedding is its last activation flattened.
		b.nodeTo("Flatten", prefix+"embedding/", []string{x.name}, out, intAttr("axis", 1))
	} else {
		b.nodeTo("Identity", prefix+"embedding/", []string{x.name}, out)
	}
	return out, nil
}

// conv emits a bias-free Conv with square kernel taken from the weight's shape.
func (b *builder) conv(x, np, weight string, pad, stride int) (string, error) {
	w, err := b.init(weight)
	if err != nil {
		return "", err
	}
	shape := b.tensors[weight].Shape
	if len(shape) != 4 {
		return "", fmt.Errorf("weight %s has shape %v, want O×C×K×K", weight, shape)
	}
	return b.node("Conv", np, []string{x, w},
		intsAttr("kernel_shape", shape[2], shape[3]),
		intsAttr("pads", pad, pad, pad, pad),
		intsAttr("strides", stride, stride)), nil
}

// batchNorm emits inference-mode batch normalisation with the running
// statistics of the tensors named prefix.*.
func (b *builder) batchNorm(x, np, prefix string) (string, error) {
	in := []string{x}
	for _, suffix := range []string{".weight", ".bias", ".running_mean", ".running_var"} {
		name, err := b.init(prefix + suffix)
		if err != nil {
			return "", err
		}
		in = append(in, name)
	}
	return b.node("BatchNormalization", np, in, floatAttr("epsilon", b.bnEps)), nil
}

// residual emits relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the
// block of internal/network: 3×3 convolutions with padding 1, the first
// with the block's stride, and a strided 1×1 projection with batch norm as
// the shortcut when the block has one (its weights exist).
func (b *builder) residual(x, np, pre string, l network.Layer) (string, error) {
	st := stride(l)
	shortcut := x
	if _, ok := b.tensors[pre+".proj.weight"]; ok {
		p, err := b.conv(x, np, pre+".proj.weight", 0, st)
		if err != nil {
			return "", err
		}
		if shortcut, err = b.batchNorm(p, np, pre+".bnp"); err != nil {
			return "", err
		}
	}
	h, err := b.conv(x, np, pre+".conv1.weight", 1, st)
	if err != nil {
		return "", err
	}
	if h, err = b.batchNorm(h, np, pre+".bn1"); err != nil {
		return "", err
	}
	h = b.node("Relu", np, []string{h})
	if h, err = b.conv(h, np, pre+".conv2.weight", 1, 1); err != nil {
		return "", err
	}
	if h, err = b.batchNorm(h, np, pre+".bn2"); err != nil {
		return "", err
	}
	return b.node("Relu", np, []string{b.node("Add", np, []string{h, shortcut})}), nil
}

// node appends an operator with one output and returns the output's name.
func (b *builder) node(op, np string, inputs []string, attrs ...*onnxpb.AttributeProto) string {
	b.count++
	return b.nodeTo(op, np, inputs, fmt.Sprintf("%s%s_%d", np, op, b.count), attrs...)
}

// nodeTo appends an operator whose one output is named out.
func (b *builder) nodeTo(op, np string, inputs []string, out string, attrs ...*onnxpb.AttributeProto) string {
	b.count++
	b.graph.Node = append(b.graph.Node, &onnxpb.NodeProto{
		Name:      ptr(fmt.Sprintf("%s%s_%d", np, op, b.count)),
		OpType:    ptr(op),
		Input:     inputs,
		Output:    []string{out},
		Attribute: attrs,
	})
	return out
}

// init adds the model tensor name as an initializer (once: the two towers of
// a pair graph share it) and returns its name.
func (b *builder) init(name string) (string, error) {
	p, ok := b.tensors[name]
	if !ok {
		return "", fmt.Errorf("the model has no tensor %s", name)
	}
	if !b.added[name] {
		b.added[name] = true
		b.graph.Initializer = append(b.graph.Initializer, floatTensor(name, p.Shape, p.Data))
	}
	return name, nil
}

// scalar adds a float32 constant of shape [1] (broadcast by Add) and
// returns its name.
func (b *builder) scalar(name string, v float32) string {
	if !b.added[name] {
		b.added[name] = true
		b.graph.Initializer = append(b.graph.Initializer, floatTensor(name, []int{1}, []float32{v}))
	}
	return name
}

func floatTensor(name string, shape []int, data []float32) *onnxpb.TensorProto {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	return &onnxpb.TensorProto{
		Name:      ptr(name),
		Dims:      dims,
		DataType:  ptr(int32(onnxpb.TensorProto_FLOAT)),
		FloatData: data,
	}
}

type dim struct {
	param string
	value int
}

func dimParam(p string) dim { return dim{param: p} }
func dimValue(v int) dim    { return dim{value: v} }

func valueInfo(name string, dims ...dim) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		td := &onnxpb.TensorShapeProto_Dimension{}
		if d.param != "" {
			td.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d.param}
		} else {
			td.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d.value)}
		}
		shape.Dim = append(shape.Dim, td)
	}
	return &onnxpb.ValueInfoProto{
		Name: ptr(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: ptr(int32(onnxpb.TensorProto_FLOAT)),
			Shape:    shape,
		}}},
	}
}

func intAttr(name string, v int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: ptr(name), Type: ptr(onnxpb.AttributeProto_INT), I: ptr(int64(v))}
}

func intsAttr(name string, vs ...int) *onnxpb.AttributeProto {
	ints := make([]int64, len(vs))
	for i, v := range vs {
		ints[i] = int64(v)
	}
	return &onnxpb.AttributeProto{Name: ptr(name), Type: ptr(onnxpb.AttributeProto_INTS), Ints: ints}
}

func floatAttr(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: ptr(name), Type: ptr(onnxpb.AttributeProto_FLOAT), F: ptr(v)}
}

func ptr[T any](v T) *T { return &v }
