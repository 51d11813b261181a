package network

import (
	"fmt"
	"math"
	"math/rand/v2"
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
	Params []*Param
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
		bound := 1 / math.Sqrt(float64(ps.FanIn))
		for i := range p.Data {
			p.Data[i] = float32((rng.Float64()*2 - 1) * bound)
		}
		n.Params = append(n.Params, p)
	}
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
		n.Params = append(n.Params, &Param{ParamSpec: ps, Data: w})
	}
	return n, nil
}

// Clone returns a deep copy, used to keep the best epoch's weights.
func (n *Net) Clone() *Net {
	c := &Net{Spec: n.Spec}
	for _, p := range n.Params {
		c.Params = append(c.Params, &Param{ParamSpec: p.ParamSpec, Data: append([]float32(nil), p.Data...)})
	}
	return c
}

// CopyFrom overwrites the weights in place with those of o (same spec).
func (n *Net) CopyFrom(o *Net) {
	for i, p := range n.Params {
		copy(p.Data, o.Params[i].Data)
	}
}

// NumWeights is the total number of trainable values.
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
