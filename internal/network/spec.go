package network

import (
	"errors"
	"fmt"
	"strings"
)

// Layer is one step of the tower, as written in a config file:
//
//   - {kind: conv, filters: 32, kernel: 3}
//   - {kind: relu}
//   - {kind: maxpool, size: 2}
//   - {kind: dense, units: 128}
//   - {kind: conv, filters: 64, kernel: 3, stride: 2}
//   - {kind: gap}
//   - {kind: residual, filters: 64, stride: 2}
type Layer struct {
	Kind    string  `yaml:"kind" json:"kind"`
	Filters int     `yaml:"filters,omitempty" json:"filters,omitempty"` // conv: output channels
	Kernel  int     `yaml:"kernel,omitempty" json:"kernel,omitempty"`   // conv: square kernel side, default 3
	Pad     *int    `yaml:"pad,omitempty" json:"pad,omitempty"`         // conv: zero padding, default kernel/2 ("same")
	Size    int     `yaml:"size,omitempty" json:"size,omitempty"`       // maxpool: window side, default 2
	Units   int     `yaml:"units,omitempty" json:"units,omitempty"`     // dense: output width
	Rate    float64 `yaml:"rate,omitempty" json:"rate,omitempty"`       // dropout: share of values zeroed
	Stride  int     `yaml:"stride,omitempty" json:"stride,omitempty"`   // conv, residual: step between windows, default 1
}

// Layer kinds understood by the tower.
const (
	KindConv      = "conv"
	KindReLU      = "relu"
	KindMaxPool   = "maxpool"
	KindDense     = "dense"
	KindBatchNorm = "batchnorm"
	KindDropout   = "dropout"
	KindL2Norm    = "l2norm"
	KindGAP       = "gap"
	KindResidual  = "residual"
)

// LayerKinds lists the valid values of Layer.Kind, for error messages.
var layerKinds = []string{KindConv, KindReLU, KindMaxPool, KindDense, KindBatchNorm, KindDropout, KindL2Norm, KindGAP, KindResidual}

// DefaultLayers is the reference tower: conv3x3(32)-ReLU-maxpool2-
// conv3x3(64)-ReLU-maxpool2-dense(128), the network of the PyTorch reference.
func DefaultLayers() []Layer {
	return []Layer{
		{Kind: KindConv, Filters: 32, Kernel: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, Size: 2},
		{Kind: KindConv, Filters: 64, Kernel: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, Size: 2},
		{Kind: KindDense, Units: 128},
	}
}

// Spec describes a tower completely: with it and the weights the network can
// be rebuilt, which is why it is stored in the model file.
type Spec struct {
	Size     int `json:"size"`     // input images are Size×Size
	Channels int `json:"channels"` // 1 (gray) or 3 (RGB)
	// Resize is how pictures were made Size×Size (dataset.Resize*): ""
	// in models from before the field, which squashed.
	Resize string  `json:"resize,omitempty"`
	Layers []Layer `json:"layers"`
}

// Shape is a C×H×W activation shape; after a dense layer H=W=1 and C is the width.
type Shape struct{ C, H, W int }

func (s Shape) Len() int { return s.C * s.H * s.W }

// ParamSpec names one weight tensor and its shape.
type ParamSpec struct {
	Name  string
	Shape []int
	// FanIn is the number of inputs feeding one output unit; it scales the
	// initial weights.
	FanIn int
	// Init is how the tensor starts: "" (uniform on ±1/sqrt(FanIn)),
	// "ones" or "zeros".
	Init string
	// Buffer marks state that is saved with the model but not trained
	// (batch norm's running statistics).
	Buffer bool
}

func (l Layer) kernel() int {
	if l.Kernel == 0 {
		return 3
	}
	return l.Kernel
}

func (l Layer) pad() int {
	if l.Pad == nil {
		return l.kernel() / 2
	}
	return *l.Pad
}

func (l Layer) stride() int {
	if l.Stride == 0 {
		return 1
	}
	return l.Stride
}

// convOut is the output side of a convolution over side n.
func convOut(n, k, pad, stride int) int { return (n+2*pad-k)/stride + 1 }

// bnParams are the four tensors of one batch norm over c channels; prefix
// names them ("layer3.bn", "layer5.res.bn1").
func bnParams(prefix string, c int) []ParamSpec {
	return []ParamSpec{
		{Name: prefix + ".weight", Shape: []int{c}, Init: "ones"},
		{Name: prefix + ".bias", Shape: []int{c}, Init: "zeros"},
		{Name: prefix + ".running_mean", Shape: []int{c}, Init: "zeros", Buffer: true},
		{Name: prefix + ".running_var", Shape: []int{c}, Init: "ones", Buffer: true},
	}
}

// residualProjects reports whether a residual block from c channels needs
// the 1×1 projection shortcut: whenever the identity would not fit.
func (l Layer) residualProjects(c int) bool { return l.stride() != 1 || l.Filters != c }

func (l Layer) poolSize() int {
	if l.Size == 0 {
		return 2
	}
	return l.Size
}

// EmbedderBudget is the activation memory siamese lets an embedder keep
// (see InferenceBatch): 64 MiB embeds 198 default-tower images at a time,
// 78 of the 64 px photos preset.
const EmbedderBudget = 64 << 20

// InferenceBatch is the largest batch, at most most images and at least
// one, whose activations fit in budget bytes when a tower of s embeds it.
// An embedder's ops keep every layer's output between batches, so the
// batch sets the memory it holds: 256 images through the 64 px photos
// preset would keep about 200 MiB, for no speed a smaller batch lacks. A
// residual layer counts eight outputs (two convolutions, three batch
// norms, a ReLU, the projection and the sum).
func (s Spec) InferenceBatch(budget int64, most int) int {
	shapes, _, err := s.Plan()
	if err != nil || most < 1 {
		return max(most, 1)
	}
	var per int64
	for i, sh := range shapes {
		n := int64(sh.Len())
		if s.Layers[i].Kind == KindResidual {
			n *= 8
		}
		per += 4 * n
	}
	return int(max(1, min(int64(most), budget/max(per, 1))))
}

// ErrNoWeights is Plan's error for a tower with nothing to train, which
// would otherwise fail deep in the graph, with nothing to differentiate.
var ErrNoWeights = errors.New("the tower has no layer with weights to train (conv, residual, dense or batchnorm)")

// Plan checks the spec and returns the activation shape after every layer
// and the weight tensors the layers need, in order.
func (s Spec) Plan() (shapes []Shape, params []ParamSpec, err error) {
	if s.Size < 1 {
		return nil, nil, fmt.Errorf("image size must be >= 1, got %d", s.Size)
	}
	if s.Channels != 1 && s.Channels != 3 {
		return nil, nil, fmt.Errorf("channels must be 1 or 3, got %d", s.Channels)
	}
	if len(s.Layers) == 0 {
		return nil, nil, fmt.Errorf("the tower has no layers")
	}
	cur := Shape{s.Channels, s.Size, s.Size}
	flat := false
	for i, l := range s.Layers {
		where := fmt.Sprintf("layer %d (%s)", i+1, l.Kind)
		switch l.Kind {
		case KindConv:
			if flat {
				return nil, nil, fmt.Errorf("%s: a conv layer cannot follow a dense or gap layer", where)
			}
			k, p, st := l.kernel(), l.pad(), l.stride()
			if l.Filters < 1 || k < 1 || p < 0 || st < 1 {
				return nil, nil, fmt.Errorf("%s: needs filters >= 1, kernel >= 1, pad >= 0 and stride >= 1", where)
			}
			if cur.H+2*p < k || cur.W+2*p < k {
				return nil, nil, fmt.Errorf("%s: %dx%d input is too small for a %dx%d kernel", where, cur.H, cur.W, k, k)
			}
			params = append(params, ParamSpec{
				Name:  fmt.Sprintf("layer%d.conv.weight", i),
				Shape: []int{l.Filters, cur.C, k, k},
				FanIn: cur.C * k * k,
			})
			cur = Shape{l.Filters, convOut(cur.H, k, p, st), convOut(cur.W, k, p, st)}
		case KindResidual:
			if flat {
				return nil, nil, fmt.Errorf("%s: a residual block cannot follow a dense or gap layer", where)
			}
			if l.Filters < 1 || l.stride() < 1 {
				return nil, nil, fmt.Errorf("%s: needs filters >= 1 and stride >= 1", where)
			}
			if l.Kernel != 0 || l.Pad != nil {
				return nil, nil, fmt.Errorf("%s: a residual block has fixed 3x3 convolutions; kernel and pad cannot be set", where)
			}
			f, st := l.Filters, l.stride()
			pre := fmt.Sprintf("layer%d.res", i)
			params = append(params, ParamSpec{Name: pre + ".conv1.weight", Shape: []int{f, cur.C, 3, 3}, FanIn: cur.C * 9})
			params = append(params, bnParams(pre+".bn1", f)...)
			params = append(params, ParamSpec{Name: pre + ".conv2.weight", Shape: []int{f, f, 3, 3}, FanIn: f * 9})
			params = append(params, bnParams(pre+".bn2", f)...)
			if l.residualProjects(cur.C) {
				params = append(params, ParamSpec{Name: pre + ".proj.weight", Shape: []int{f, cur.C, 1, 1}, FanIn: cur.C})
				params = append(params, bnParams(pre+".bnp", f)...)
			}
			cur = Shape{f, convOut(cur.H, 3, 1, st), convOut(cur.W, 3, 1, st)}
		case KindGAP:
			if flat {
				return nil, nil, fmt.Errorf("%s: global average pooling needs an image-shaped input, not the output of a dense or gap layer", where)
			}
			cur = Shape{cur.C, 1, 1}
			flat = true
		case KindReLU:
		case KindMaxPool:
			if flat {
				return nil, nil, fmt.Errorf("%s: a maxpool layer cannot follow a dense or gap layer", where)
			}
			sz := l.poolSize()
			if sz < 1 || cur.H/sz < 1 || cur.W/sz < 1 {
				return nil, nil, fmt.Errorf("%s: %dx%d input is too small for a %dx%d window", where, cur.H, cur.W, sz, sz)
			}
			cur = Shape{cur.C, cur.H / sz, cur.W / sz}
		case KindDense:
			if l.Units < 1 {
				return nil, nil, fmt.Errorf("%s: needs units >= 1", where)
			}
			in := cur.Len()
			params = append(params,
				ParamSpec{Name: fmt.Sprintf("layer%d.dense.weight", i), Shape: []int{in, l.Units}, FanIn: in},
				ParamSpec{Name: fmt.Sprintf("layer%d.dense.bias", i), Shape: []int{l.Units}, FanIn: in},
			)
			cur = Shape{l.Units, 1, 1}
			flat = true
		case KindBatchNorm:
			// One scale and shift per channel (per feature after a dense layer).
			c := cur.C
			params = append(params, bnParams(fmt.Sprintf("layer%d.bn", i), c)...)
		case KindDropout:
			if !(l.Rate >= 0 && l.Rate < 1) {
				return nil, nil, fmt.Errorf("%s: rate must be in [0, 1), got %g", where, l.Rate)
			}
		case KindL2Norm:
		default:
			return nil, nil, fmt.Errorf("%s: unknown layer kind %q (valid: %s)", where, l.Kind, strings.Join(layerKinds, ", "))
		}
		shapes = append(shapes, cur)
	}
	if len(params) == 0 {
		return nil, nil, ErrNoWeights
	}
	return shapes, params, nil
}

// EmbeddingSize is the width of the tower's output vector.
func (s Spec) EmbeddingSize() (int, error) {
	shapes, _, err := s.Plan()
	if err != nil {
		return 0, err
	}
	return shapes[len(shapes)-1].Len(), nil
}

// channelsLast says whether a tower runs channels-last: each activation
// N×H×W×C in memory under its N×C×H×W shape. A convolution's product then
// reads and writes pixel rows of C channels directly, where channel-first
// activations are transposed on the way into and out of every convolution
// and its two gradients. It holds for towers of convolutions, residual
// blocks, batch norm, ReLU, dropout and 2×2 max pooling after a ReLU:
//   - the first layer is a convolution, which reads the channel-first
//     images and writes channels-last;
//   - every later convolution has K·C >= 16, so takes the channels-last
//     unfolding (see useIm2col);
//   - pooling other than ReLU then 2×2 max pooling, and l2norm of a 4-D
//     activation, have channel-first forms only.
//
// A global average pooling ends the channels-last part; a dense layer or
// the end of the tower flattens it through one transpose back to
// channel-first, so a flattened embedding and a dense layer's weights keep
// the order they have in every model file.
func (s Spec) channelsLast() bool {
	c, first := s.Channels, true
	for i, l := range s.Layers {
		switch l.Kind {
		case KindConv:
			if !first && l.kernel()*c < 16 {
				return false
			}
			c, first = l.Filters, false
		case KindResidual:
			if first || 3*c < 16 || (l.residualProjects(c) && c < 16) {
				return false
			}
			c = l.Filters
		case KindBatchNorm, KindReLU, KindDropout:
		case KindMaxPool:
			if first || l.poolSize() != 2 || !s.reluBeforePool(i-1) {
				return false
			}
		case KindGAP, KindDense:
			return !first
		default:
			return false
		}
	}
	return !first
}
