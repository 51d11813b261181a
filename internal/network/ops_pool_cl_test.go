package network

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// refReluPoolCLSteps is channels-last ReLU and 2×2 max pooling as it ran
// before the one-pass kernels: the pair maxima of neighbouring pixels of
// every row (h), of neighbouring rows of h, then ReLU; back, PassPositive,
// then RouteRuns from y to the rows of h and from each row of h to the
// pixels of x, odd sides' last row and column cleared.
func refReluPoolCLSteps(x, dy []float32, g clPoolGeometry) (y, dx []float32) {
	rowIn, run := g.w*g.c, g.ow*g.c
	hSize := 2 * g.oh * run
	y, dx = make([]float32, g.n*g.outSize()), make([]float32, g.n*g.inSize())
	for i := range g.n {
		xi := x[i*g.inSize() : (i+1)*g.inSize()]
		yi, dyi := y[i*g.outSize():(i+1)*g.outSize()], dy[i*g.outSize():(i+1)*g.outSize()]
		dxi := dx[i*g.inSize() : (i+1)*g.inSize()]
		h := make([]float32, hSize)
		for r := range 2 * g.oh {
			linalg.MaxRuns(h[r*run:(r+1)*run], xi[r*rowIn:], g.c)
		}
		linalg.MaxRuns(yi, h, run)
		linalg.ReLU(yi, yi)

		gy, gh := make([]float32, g.outSize()), make([]float32, hSize)
		linalg.PassPositive(gy, yi, dyi)
		linalg.RouteRuns(gh, h, yi, gy, run)
		for r := range 2 * g.oh {
			linalg.RouteRuns(dxi[r*rowIn:], xi[r*rowIn:], h[r*run:(r+1)*run], gh[r*run:(r+1)*run], g.c)
		}
	}
	return y, dx
}

// TestReluPoolCLMatchesSteps runs the op and its gradient as the graph
// does and compares them bit for bit with the steps they replace, on
// channel counts of the assembly and of the Go form, odd sides, and
// values from a small set, so that ties within windows, ±0 and negative
// windows are common. The gradient's buffer starts as garbage, so an odd
// side's last row and column must be cleared.
func TestReluPoolCLMatchesSteps(t *testing.T) {
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
			wantY, wantDx := refReluPoolCLSteps(x, dy, g)

			fwd := &reluPoolCLKernel{training: true}
			y, err := fwd.forward([][]float32{x}, []tensor.Shape{s}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "forward", y, wantY)
			grad := &reluPoolCLGrad{fwd: fwd, out: uniform(r, len(x), 5, 6)}
			ys := tensor.Shape{g.n, g.c, g.oh, g.ow}
			dx, err := grad.forward([][]float32{x, y, dy}, []tensor.Shape{s, ys, ys}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "gradient", dx, wantDx)
		})
	}
}
