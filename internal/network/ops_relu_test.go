package network

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
)

func reluCase(shape []int) opCase {
	return opCase{
		name:   fmt.Sprintf("x%v", shape),
		shapes: [][]int{shape},
		fill:   func(r *rand.Rand, _, n int) []float32 { return awayFromZero(r, n) },
		build:  func(in gorgonia.Nodes) (*gorgonia.Node, error) { return ReLU(in[0]) },
		ref: func(in [][]float64) []float64 {
			out := make([]float64, len(in[0]))
			for i, v := range in[0] {
				out[i] = max(v, 0)
			}
			return out
		},
	}
}

var reluCases = []opCase{
	reluCase([]int{2, 3, 5, 5}),
	reluCase([]int{4, 7}),
	reluCase([]int{5}),
	reluCase([]int{2, 16, 32, 33}), // above minParallelElems: split across goroutines
}

func TestReLUForward(t *testing.T) {
	for i, c := range reluCases {
		t.Run(c.name, func(t *testing.T) { runForward(t, c, uint64(500+i)) })
	}
}

func TestReLUGradient(t *testing.T) {
	// The largest case is only there for the parallel forward path.
	for i, c := range reluCases[:3] {
		t.Run(c.name, func(t *testing.T) { runGradient(t, c, uint64(600+i)) })
	}
}

// TestReLUGradHandComputed: the gradient passes where the output is
// positive and is 0 at an output of exactly 0.
func TestReLUGradHandComputed(t *testing.T) {
	y := []float32{0, 2, 0, 0.5}
	dy := []float32{1, 2, 3, 4}
	got, err := opFor(&reluGrad{}).Do(wrap(y, 4), wrap(dy, 4))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "dL/dx", float32s(t, got), []float64{0, 2, 0, 4}, 0)
}

// TestReLUGradParallel checks the chunked backward pass on a tensor large
// enough to be split across goroutines.
func TestReLUGradParallel(t *testing.T) {
	r := newRand(13)
	n := 3 * minParallelElems
	y, dy := uniform(r, n, -1, 1), uniform(r, n, -1, 1)
	for i := range y {
		y[i] = max(y[i], 0)
	}
	got, err := opFor(&reluGrad{}).Do(wrap(y, n), wrap(dy, n))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, n)
	for i := range want {
		if y[i] > 0 {
			want[i] = float64(dy[i])
		}
	}
	checkClose(t, "dL/dx", float32s(t, got), want, 0)
}
