package ann

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func randomVectors(n, dim int, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 0))
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, dim)
		for j := range out[i] {
			out[i][j] = float32(r.NormFloat64())
		}
	}
	return out
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c/%05d.png", i)
	}
	return out
}

// bruteForce ranks every vector, the reference for Scan and the graph.
func bruteForce(q []float32, vecs [][]float32, k int) []int {
	idx := make([]int, len(vecs))
	d := make([]float32, len(vecs))
	for i, v := range vecs {
		idx[i] = i
		for j := range q {
			x := q[j] - v[j]
			d[i] += x * x
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case d[a] < d[b]:
			return -1
		case d[a] > d[b]:
			return 1
		}
		return 0
	})
	return idx[:min(k, len(idx))]
}

func positions(hits []Hit) []int {
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = h.Pos
	}
	return out
}

func TestScanMatchesBruteForce(t *testing.T) {
	vecs := randomVectors(500, 8, 1)
	// Duplicates check that ties go to the earlier position.
	vecs = append(vecs, vecs[3], vecs[3])
	for _, k := range []int{1, 5, 10, 600} {
		for qi, q := range randomVectors(5, 8, 2) {
			if qi == 0 {
				q = vecs[3]
			}
			got, want := positions(Scan(q, vecs, k)), bruteForce(q, vecs, k)
			if !slices.Equal(got, want) {
				t.Fatalf("k=%d query %d: scan %v, brute force %v", k, qi, got, want)
			}
		}
	}
}
