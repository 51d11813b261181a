package network

// Global average pooling: every channel's plane becomes its mean,
//
//	y[n,c] = (1/(H·W)) Σ_{h,w} x[n,c,h,w],
//
// so an N×C×H×W activation becomes an N×C embedding whatever H and W are,
// and a dense layer after it has C inputs instead of C·H·W. Every input
// contributes 1/(H·W) of its plane's mean, so
//
//	dL/dx[n,c,h,w] = dL/dy[n,c] / (H·W).

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// GlobalAvgPool averages each channel of x (N×C×H×W) over its plane,
// giving N×C.
func GlobalAvgPool(x *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(&globalAvgPool{}, x)
}

// globalAvgPoolLayout is GlobalAvgPool on a channels-last input when cl is
// set (N×H×W×C data under an N×C×H×W shape); the output is N×C either way.
func globalAvgPoolLayout(x *gorgonia.Node, cl bool) (*gorgonia.Node, error) {
	return apply(&globalAvgPool{cl: cl}, x)
}

type globalAvgPool struct {
	cl   bool
	out  []float32
	sums []float64
}

func (k *globalAvgPool) name() string     { return "global average pool" }
func (k *globalAvgPool) inputs() []string { return []string{"input"} }

func (k *globalAvgPool) shape(in []tensor.Shape) (tensor.Shape, error) {
	xs := in[0]
	if len(xs) != 4 || xs.TotalSize() == 0 {
		return nil, fmt.Errorf("%s: input %v must be a non-empty N×C×H×W", k.name(), xs)
	}
	return tensor.Shape{xs[0], xs[1]}, nil
}

func (k *globalAvgPool) forward(in [][]float32, shapes []tensor.Shape, out tensor.Shape) ([]float32, error) {
	x, xs := in[0], shapes[0]
	planes, hw := xs[0]*xs[1], xs[2]*xs[3]
	k.out = grow(k.out, planes)
	if k.cl {
		// Image by image, the column sums of its H·W×C rows.
		c := xs[1]
		if cap(k.sums) < c {
			k.sums = make([]float64, c)
		}
		sums := k.sums[:c]
		for i := range xs[0] {
			clear(sums)
			linalg.SumRows(x[i*hw*c:(i+1)*hw*c], sums)
			for j, s := range sums {
				k.out[i*c+j] = float32(s / float64(hw))
			}
		}
		return k.out, nil
	}
	// Each plane is summed by one goroutine in a fixed order, so the result
	// does not depend on how many there are.
	parallelElems(len(x), func(lo, hi int) {
		for p := lo / hw; p < planes && p*hw < hi; p++ {
			if p*hw < lo {
				continue // begun by the previous chunk
			}
			k.out[p] = float32(linalg.Sum(x[p*hw:(p+1)*hw]) / float64(hw))
		}
	})
	return k.out, nil
}

func (k *globalAvgPool) backward(in gorgonia.Nodes, _, dy *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(&globalAvgPoolGrad{xs: in[0].Shape().Clone(), cl: k.cl}, dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// globalAvgPoolGrad spreads dL/dy (N×C) evenly over each plane of the
// forward input, whose shape xs it keeps: the gradient alone does not say
// how large the planes were.
type globalAvgPoolGrad struct {
	xs tensor.Shape
	cl bool

	out []float32
}

func (k *globalAvgPoolGrad) name() string     { return "global average pool gradient" }
func (k *globalAvgPoolGrad) inputs() []string { return []string{"output gradient"} }

func (k *globalAvgPoolGrad) shape(in []tensor.Shape) (tensor.Shape, error) {
	if gs := in[0]; len(gs) != 2 || len(k.xs) != 4 || gs[0] != k.xs[0] || gs[1] != k.xs[1] {
		return nil, fmt.Errorf("%s: output gradient %v does not match input %v", k.name(), gs, k.xs)
	}
	return k.xs.Clone(), nil
}

func (k *globalAvgPoolGrad) forward(in [][]float32, _ []tensor.Shape, out tensor.Shape) ([]float32, error) {
	dy := in[0]
	hw := out[2] * out[3]
	scale := 1 / float32(hw)
	k.out = grow(k.out, out.TotalSize())
	if k.cl {
		// Every row of image i is dL/dy_i scaled.
		c := out[1]
		for i := range out[0] {
			row := k.out[i*hw*c : i*hw*c+c]
			for j := range row {
				row[j] = dy[i*c+j] * scale
			}
			for r := 1; r < hw; r++ {
				copy(k.out[(i*hw+r)*c:(i*hw+r+1)*c], row)
			}
		}
		return k.out, nil
	}
	parallelElems(len(k.out), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			k.out[i] = dy[i/hw] * scale
		}
	})
	return k.out, nil
}
