package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Param is one named weight tensor. Data is shared with every graph built
// from the network, so an optimiser that updates Data in place updates all
// of them.
type Param struct {
	ParamSpec
	Data []float32
}

// Net is a tower: its spec and its one set of weights. Both sides of a pair
// go through the same Net, which is what makes the network Siamese.
type Net struct {
	Spec   Spec
	Params []*Param // trained weights, in layer order
	// Buffers are saved with the weights but not trained: batch norm's
	// running statistics, which its layers update in place.
	Buffers []*Param
	// bn holds every batch norm's state by its tensors' name prefix
	// ("layer3.bn", "layer5.res.bn1"), Mean/Var backed by Buffers.
	bn map[string]*BNState
	// channelFirst keeps a tower that could run channels-last (see
	// Spec.channelsLast) channel-first, for tests that compare the two.
	channelFirst bool
	// direct keeps 3×3 convolutions out of the Winograd form (see
	// conv_winograd.go), for tests that compare the two.
	direct bool
	// fusionsApart keeps the ops that the fusions across ops take in
	// apart (residualParams.fusionsApart, conv2D.bnGradApart), for tests
	// that compare the two.
	fusionsApart bool
}

// Tensors lists every tensor a model file holds: Params then Buffers.
func (n *Net) Tensors() []*Param {
	return append(append([]*Param(nil), n.Params...), n.Buffers...)
}

// add files p under Params or Buffers and links batch-norm state.
func (n *Net) add(p *Param) {
	if p.Buffer {
		n.Buffers = append(n.Buffers, p)
	} else {
		n.Params = append(n.Params, p)
	}
}

// link builds the batch-norm states over the running-statistics buffers,
// one per running_mean/running_var pair, whichever layer owns it.
func (n *Net) link() {
	n.bn = map[string]*BNState{}
	byName := map[string]*Param{}
	for _, b := range n.Buffers {
		byName[b.Name] = b
	}
	for _, b := range n.Buffers {
		prefix, ok := strings.CutSuffix(b.Name, ".running_mean")
		if !ok {
			continue
		}
		st := NewBNState(0)
		st.Mean = b.Data
		st.Var = byName[prefix+".running_var"].Data
		n.bn[prefix] = st
	}
}

// New builds a tower with seeded initial weights: uniform on
// [-1/sqrt(fanIn), 1/sqrt(fanIn)] for weights and biases, PyTorch's default
// for conv and linear layers, so runs are comparable with the reference and
// reproducible (gorgonia's Glorot initialisers read the clock).
func New(spec Spec, seed uint64) (*Net, error) {
	_, specs, err := spec.Plan()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed5eed))
	n := &Net{Spec: spec}
	for _, ps := range specs {
		p := &Param{ParamSpec: ps, Data: make([]float32, numel(ps.Shape))}
		switch ps.Init {
		case "ones":
			for i := range p.Data {
				p.Data[i] = 1
			}
		case "zeros":
		default:
			bound := 1 / math.Sqrt(float64(ps.FanIn))
			for i := range p.Data {
				p.Data[i] = float32((rng.Float64()*2 - 1) * bound)
			}
		}
		n.add(p)
	}
	n.link()
	return n, nil
}

// FromWeights rebuilds a tower from stored weights, checking every tensor
// against the shape the spec implies.
func FromWeights(spec Spec, weights map[string][]float32, shapes map[string][]int) (*Net, error) {
	_, specs, err := spec.Plan()
	if err != nil {
		return nil, err
	}
	if len(weights) != len(specs) {
		return nil, fmt.Errorf("have %d weight tensors, the layers need %d", len(weights), len(specs))
	}
	n := &Net{Spec: spec}
	for _, ps := range specs {
		w, ok := weights[ps.Name]
		if !ok {
			return nil, fmt.Errorf("weight tensor %s is missing", ps.Name)
		}
		if !sameShape(shapes[ps.Name], ps.Shape) || len(w) != numel(ps.Shape) {
			return nil, fmt.Errorf("weight tensor %s has shape %v, the layers need %v", ps.Name, shapes[ps.Name], ps.Shape)
		}
		n.add(&Param{ParamSpec: ps, Data: w})
	}
	n.link()
	return n, nil
}

// Clone returns a deep copy, used to keep the best epoch's weights.
func (n *Net) Clone() *Net {
	c := &Net{Spec: n.Spec}
	for _, p := range n.Tensors() {
		c.add(&Param{ParamSpec: p.ParamSpec, Data: append([]float32(nil), p.Data...)})
	}
	c.link()
	return c
}

// CopyFrom overwrites the weights in place with those of o (same spec).
func (n *Net) CopyFrom(o *Net) {
	for i, p := range n.Params {
		copy(p.Data, o.Params[i].Data)
	}
	for i, b := range n.Buffers {
		copy(b.Data, o.Buffers[i].Data)
	}
}

// NumWeights is the total number of trained values.
func (n *Net) NumWeights() int {
	t := 0
	for _, p := range n.Params {
		t += len(p.Data)
	}
	return t
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
