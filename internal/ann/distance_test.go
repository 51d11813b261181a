package ann

import (
	"math"
	"testing"
)

// TestL2sq checks the distance used by the graph (assembly where the CPU
// has it) against a float64 sum, for widths that exercise the 32-value
// rounds, the 8-value rounds and the scalar tail.
func TestL2sq(t *testing.T) {
	for _, n := range []int{1, 3, 7, 8, 9, 16, 31, 32, 33, 40, 64, 100, 128, 129, 512} {
		v := randomVectors(2, n, uint64(n))
		var want float64
		for i := range v[0] {
			d := float64(v[0][i]) - float64(v[1][i])
			want += d * d
		}
		for name, f := range map[string]func(a, b []float32) float32{"l2sq": l2sq, "l2sqGo": l2sqGo} {
			got := float64(f(v[0], v[1]))
			if math.Abs(got-want) > 1e-5*want {
				t.Errorf("%s width %d: %g, want %g", name, n, got, want)
			}
		}
		if d := l2sq(v[0], v[0]); d != 0 {
			t.Errorf("width %d: distance of a vector to itself %g", n, d)
		}
	}
}
