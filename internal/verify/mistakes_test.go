package verify

import (
	"testing"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/pairs"
)

// TestMistakesCountsEveryPair: every distinct wrongly judged pair is
// handed to the chart once, with the times it was drawn, worst first
// within each kind, and only the first maxMistakes of a kind carry their
// pictures. (The list was cut to maxMistakes first, so the chart's title
// said 12 false rejects where eval counted 13.)
func TestMistakesCountsEveryPair(t *testing.T) {
	const n = 40 // images 0..19 of class a, 20..39 of class b
	items := make([]dataset.Item, n)
	labels := make([]int, n)
	for i := range items {
		items[i].Class, labels[i] = i/20, i/20
	}
	im := dataset.NewImages(2, 1, make([]byte, 4*n), labels, make([]string, n), []string{"a", "b"})
	row := make([]int, n)
	for i := range row {
		row[i] = i
	}
	var ps []pairs.Pair
	var dist []float64
	// 15 distinct false rejects (similar pairs at distance >= 0.5), the
	// first drawn twice, and one right pair of each kind.
	for k := range 15 {
		ps = append(ps, pairs.Pair{A: k, B: k + 1, Similar: true})
		dist = append(dist, 0.6+float64(k)/100)
	}
	ps = append(ps, pairs.Pair{A: 1, B: 0, Similar: true}, pairs.Pair{A: 0, B: 30}, pairs.Pair{A: 2, B: 3, Similar: true})
	dist = append(dist, 0.6, 0.9, 0.1)
	// 2 false accepts.
	ps = append(ps, pairs.Pair{A: 5, B: 25}, pairs.Pair{A: 6, B: 26})
	dist = append(dist, 0.2, 0.1)

	ms := mistakes(ps, dist, 0.5, items, []string{"a", "b"}, im, row)
	var accepts, rejects, drawn, pictured int
	for _, m := range ms {
		if m.Similar {
			rejects++
			drawn += m.Drawn
		} else {
			accepts++
		}
		if m.A != nil {
			pictured++
		}
	}
	if accepts != 2 || rejects != 15 || drawn != 16 {
		t.Errorf("%d false accepts and %d distinct false rejects drawn %d times; want 2, 15 and 16", accepts, rejects, drawn)
	}
	if pictured != 2+maxMistakes {
		t.Errorf("%d pairs with pictures, want %d", pictured, 2+maxMistakes)
	}
	if ms[0].Distance != 0.1 || ms[2].Distance != 0.6+14.0/100 {
		t.Errorf("not worst first: %v, %v", ms[0].Distance, ms[2].Distance)
	}
}
