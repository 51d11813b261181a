package network

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// refReluPoolCL is channels-last ReLU and 2×2 max pooling written a
// window at a time: the largest of the four int32 keys of the float32
// bits, then ReLU as linalg.ReLU takes it (a set sign bit clears the whole
// float). Back, dy where y > 0 (else +0) goes to the first window position,
// row-major, that has y's bits; every other element of dx, odd sides' last
// row and column included, is +0.
func refReluPoolCL(x, dy []float32, g poolGeometry) (y, dx []float32) {
	key := func(v float32) int32 { return int32(math.Float32bits(v)) }
	y, dx = make([]float32, g.n*g.outSize()), make([]float32, g.n*g.inSize())
	for i := range g.n {
		xi, dxi := x[i*g.inSize():(i+1)*g.inSize()], dx[i*g.inSize():(i+1)*g.inSize()]
		yi, dyi := y[i*g.outSize():(i+1)*g.outSize()], dy[i*g.outSize():(i+1)*g.outSize()]
		for oy := range g.oh {
			for ox := range g.ow {
				for k := range g.c {
					// The window, row-major: top left, top right, bottom
					// left, bottom right.
					var at [4]int
					for p := range at {
						at[p] = ((2*oy+p/2)*g.w+2*ox+p%2)*g.c + k
					}
					m := key(xi[at[0]])
					for _, j := range at[1:] {
						m = max(m, key(xi[j]))
					}
					b := uint32(m) &^ uint32(m>>31)
					o := (oy*g.ow+ox)*g.c + k
					yi[o] = math.Float32frombits(b)

					var grad float32
					if yi[o] > 0 {
						grad = dyi[o]
					}
					for _, j := range at {
						if math.Float32bits(xi[j]) == b {
							dxi[j] = grad
							break
						}
					}
				}
			}
		}
	}
	return y, dx
}

// TestReluPoolCLMatchesReference runs the op and its gradient as the
// graph does and compares them bit for bit with refReluPoolCL, on channel
// counts of the assembly and of the Go form, odd sides, and values from a
// small set, so that ties within windows, ±0 and negative windows are
// common. The gradient's buffer starts as garbage, so an odd
// side's last row and column must be cleared.
func TestReluPoolCLMatchesReference(t *testing.T) {
	values := []float32{0, float32(math.Copysign(0, -1)), 1, 2, -1, -3, 0.5}
	for _, s := range []tensor.Shape{{3, 32, 6, 8}, {2, 16, 7, 9}, {2, 64, 3, 3}, {2, 3, 5, 5}, {4, 12, 4, 6}, {1, 8, 2, 2}} {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			g, err := clPoolGeometryOf("test", s)
			if err != nil {
				t.Fatal(err)
			}
			r := newRand(uint64(s[1]*1000 + s[2]*10 + s[3]))
			x := make([]float32, g.n*g.inSize())
			for i := range x {
				if r.IntN(4) == 0 {
					x[i] = uniform(r, 1, -2, 2)[0]
				} else {
					x[i] = values[r.IntN(len(values))]
				}
			}
			dy := uniform(r, g.n*g.outSize(), -1, 1)
			for i := 0; i < len(dy); i += 4 {
				dy[i] = float32(math.Copysign(0, -1))
			}
			wantY, wantDx := refReluPoolCL(x, dy, g)

			fwd := &reluPoolCLKernel{training: true}
			y, err := fwd.forward([][]float32{x}, []tensor.Shape{s}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "forward", y, wantY)
			grad := &reluPoolCLGrad{fwd: fwd, out: uniform(r, len(x), 5, 6)}
			ys := tensor.Shape{g.n, g.c, g.oh, g.ow}
			dx, err := grad.forward([][]float32{x, dy}, []tensor.Shape{s, ys}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "gradient", dx, wantDx)
		})
	}
}
