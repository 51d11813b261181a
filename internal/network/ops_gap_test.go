package network

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"
)

// refGAP is the mean of every N×C plane.
func refGAP(x []float64, xs []int) []float64 {
	hw := xs[2] * xs[3]
	out := make([]float64, xs[0]*xs[1])
	for p := range out {
		for _, v := range x[p*hw : (p+1)*hw] {
			out[p] += v
		}
		out[p] /= float64(hw)
	}
	return out
}

func gapCase(xs ...int) opCase {
	return opCase{
		name:   fmt.Sprintf("x%v", xs),
		shapes: [][]int{xs},
		build:  func(in gorgonia.Nodes) (*gorgonia.Node, error) { return GlobalAvgPool(in[0]) },
		ref:    func(in [][]float64) []float64 { return refGAP(in[0], xs) },
	}
}

var gapCases = []opCase{
	gapCase(2, 3, 4, 4),
	gapCase(3, 2, 5, 3),
	gapCase(1, 4, 1, 1),
	gapCase(4, 32, 16, 17), // above minParallelElems: planes split across goroutines
}

func TestGlobalAvgPoolForward(t *testing.T) {
	for i, c := range gapCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(1300+i)) })
	}
}

func TestGlobalAvgPoolGradient(t *testing.T) {
	for i, c := range gapCases[:3] {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(1400+i)) })
	}
}

// TestGlobalAvgPoolHandComputed: a 2×2 plane averages to its mean, and the
// gradient spreads a quarter of dL/dy to each pixel.
func TestGlobalAvgPoolHandComputed(t *testing.T) {
	y, err := opFor(&globalAvgPool{}).Do(wrap([]float32{1, 2, 3, 6, -1, -1, -1, -1}, 1, 2, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "y", float32s(t, y), []float64{3, -1}, 0)
	dx, err := opFor(&globalAvgPoolGrad{xs: []int{1, 2, 2, 2}}).Do(wrap([]float32{4, -8}, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "dx", float32s(t, dx), []float64{1, 1, 1, 1, -2, -2, -2, -2}, 0)
}

func TestGlobalAvgPoolShapeErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	for _, shape := range [][]int{{2, 3}, {2, 3, 4}} {
		x := inputNode(g, fmt.Sprintf("x%d", len(shape)), shape, make([]float32, size(shape)))
		if _, err := GlobalAvgPool(x); err == nil {
			t.Errorf("input %v: no error", shape)
		}
	}
	if _, err := opFor(&globalAvgPoolGrad{xs: []int{2, 3, 4, 4}}).Do(wrap(make([]float32, 4), 2, 2)); err == nil {
		t.Error("gradient of the wrong width accepted")
	}
}
