package network

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestEngineAdd checks engine.Add against gorgonia's standard engine, bit
// for bit, on every form of call: into a reused tensor, in place, safe
// (a new tensor), incrementing, and on shapes it leaves to the standard
// engine (a scalar, a view, float64). Each input keeps its values unless
// the call is in place.
func TestEngineAdd(t *testing.T) {
	dense := func(n int, off float32) *tensor.Dense {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i)*0.37 - off
		}
		return tensor.New(tensor.WithShape(n), tensor.WithBacking(v))
	}
	cases := []struct {
		name string
		call func(e tensor.Adder) (tensor.Tensor, tensor.Tensor, error) // the result, and the tensor a of the call
	}{
		{"reuse", func(e tensor.Adder) (tensor.Tensor, tensor.Tensor, error) {
			a, b, r := dense(37, 1), dense(37, 2.5), dense(37, 9)
			out, err := e.Add(a, b, tensor.WithReuse(r))
			return out, a, err
		}},
		{"unsafe", func(e tensor.Adder) (tensor.Tensor, tensor.Tensor, error) {
			a, b := dense(100, 1), dense(100, -3)
			out, err := e.Add(a, b, tensor.UseUnsafe())
			return out, a, err
		}},
		{"safe", func(e tensor.Adder) (tensor.Tensor, tensor.Tensor, error) {
			a, b := dense(9, 1), dense(9, 2)
			out, err := e.Add(a, b)
			return out, a, err
		}},
		{"incr", func(e tensor.Adder) (tensor.Tensor, tensor.Tensor, error) {
			a, b, r := dense(12, 1), dense(12, 2), dense(12, 5)
			out, err := e.Add(a, b, tensor.WithIncr(r))
			return out, a, err
		}},
		{"matrix", func(e tensor.Adder) (tensor.Tensor, tensor.Tensor, error) {
			a, b, r := dense(24, 1), dense(24, 2), dense(24, 0)
			for _, x := range []*tensor.Dense{a, b, r} {
				if err := x.Reshape(4, 6); err != nil {
					return nil, nil, err
				}
			}
			out, err := e.Add(a, b, tensor.WithReuse(r))
			return out, a, err
		}},
		{"view", func(e tensor.Adder) (tensor.Tensor, tensor.Tensor, error) {
			a, b := dense(24, 1), dense(24, 2)
			a.Reshape(4, 6)
			b.Reshape(4, 6)
			va, err := a.Slice(nil, tensor.S(1, 4))
			if err != nil {
				return nil, nil, err
			}
			vb, err := b.Slice(nil, tensor.S(2, 5))
			if err != nil {
				return nil, nil, err
			}
			out, err := e.Add(va, vb)
			return out, a, err
		}},
		{"float64", func(e tensor.Adder) (tensor.Tensor, tensor.Tensor, error) {
			a := tensor.New(tensor.WithBacking([]float64{1, 2, 3}))
			b := tensor.New(tensor.WithBacking([]float64{0.5, 0.25, 4}))
			out, err := e.Add(a, b, tensor.UseUnsafe())
			return out, a, err
		}},
	}
	flat := func(x tensor.Tensor) []float64 {
		var v []float64
		it := x.Iterator()
		for i, err := it.Start(); err == nil; i, err = it.Next() {
			switch d := x.Data().(type) {
			case []float32:
				v = append(v, float64(d[i]))
			case []float64:
				v = append(v, d[i])
			}
		}
		return v
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, gotA, err := tc.call(engine{})
			if err != nil {
				t.Fatal(err)
			}
			want, wantA, err := tc.call(G.StandardEngine{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][2]tensor.Tensor{{got, want}, {gotA, wantA}} {
				g, w := flat(p[0]), flat(p[1])
				if !p[0].Shape().Eq(p[1].Shape()) || len(g) != len(w) {
					t.Fatalf("shape %v, want %v", p[0].Shape(), p[1].Shape())
				}
				for i := range w {
					if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
						t.Fatalf("[%d] = %v, want %v", i, g[i], w[i])
					}
				}
			}
			if (got == gotA) != (want == wantA) {
				t.Errorf("result is a: %t, standard engine's: %t", got == gotA, want == wantA)
			}
		})
	}
}
