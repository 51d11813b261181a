package ann

import (
	"testing"
)

// BenchmarkBuild adds 10,000 clustered 128-wide vectors; the million-vector
// figures come from scripts/annbench.
func BenchmarkBuild(b *testing.B) {
	vecs := clustered(10000, 128, 1000, 1, 3)
	for b.Loop() {
		buildIndex(b, vecs, DefaultParams(), 0)
	}
}

// BenchmarkSearch queries a 10,000-vector graph; it reports recall@10
// against a scan with the time.
func BenchmarkSearch(b *testing.B) {
	all := clustered(11000, 128, 1000, 1, 3)
	vecs, queries := all[:10000], all[10000:]
	ix := buildIndex(b, vecs, DefaultParams(), 0)
	b.ReportMetric(indexRecall(b, ix, vecs, queries, 10), "recall@10")
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := ix.Search(queries[i%len(queries)], 10); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkL2(b *testing.B) {
	v := randomVectors(2, 128, 1)
	var s float32
	for b.Loop() {
		s += l2sq(v[0], v[1])
	}
	_ = s
}
