package pairs

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// Mining modes for Miner.
const (
	MiningRandom   = "random"
	MiningHard     = "hard"
	MiningSemiHard = "semi-hard"
)

// MiningModes lists the valid mining modes.
func MiningModes() []string { return []string{MiningRandom, MiningSemiHard, MiningHard} }

// Miner replaces part of the dissimilar pairs of a balanced set with pairs
// that the current embeddings get wrong or nearly wrong.
//
// Pool holds image indices whose embeddings are in Emb (row i of Emb, Dim
// wide, belongs to image Pool[i]); Labels are the classes of all images.
// For an anchor a of the pool:
//
//   - hard: the partner is the nearest pool image of another class;
//   - semi-hard: the partner is the nearest other-class image farther from a
//     than a same-class pool image p (d(a,n) > d(a,p)) and still inside
//     the margin (d(a,n) < Margin), falling back to hard when none is.
//
// Semi-hard is the gentler choice (FaceNet, Schroff et al. 2015): the very
// nearest negatives are often mislabelled or ambiguous and can collapse
// the embedding early in training.
type Miner struct {
	Mode   string
	Margin float64
	Pool   []int
	Emb    []float32
	Dim    int
	Labels []int
}

// Validate checks the mode name.
func (m *Miner) Validate() error {
	for _, v := range MiningModes() {
		if v == m.Mode {
			return nil
		}
	}
	return fmt.Errorf("unknown mining mode %q (valid: random, semi-hard, hard)", m.Mode)
}

// Apply replaces a fraction of the dissimilar pairs in ps (in place) with
// mined ones, keeping the set balanced: only dissimilar pairs are replaced,
// and only by dissimilar pairs. The rest stay random so the loss still sees
// the easy majority it must keep apart. It returns how many were replaced.
func (m *Miner) Apply(ps []Pair, fraction float64, rng *rand.Rand) int {
	if m.Mode == MiningRandom || len(m.Pool) < 2 {
		return 0
	}
	byClass := map[int][]int{} // class -> pool rows
	for row, img := range m.Pool {
		c := m.Labels[img]
		byClass[c] = append(byClass[c], row)
	}
	replaced := 0
	for i := range ps {
		if ps[i].Similar || rng.Float64() >= fraction {
			continue
		}
		a := rng.IntN(len(m.Pool))
		if b, ok := m.partner(a, byClass, rng); ok {
			ps[i] = Pair{A: m.Pool[a], B: m.Pool[b], Similar: false}
			replaced++
		}
	}
	return replaced
}

func (m *Miner) dist2(i, j int) float64 {
	x, y := m.Emb[i*m.Dim:(i+1)*m.Dim], m.Emb[j*m.Dim:(j+1)*m.Dim]
	var s float64
	for k := range x {
		d := float64(x[k]) - float64(y[k])
		s += d * d
	}
	return s
}

// partner finds the mined dissimilar partner (a pool row) of anchor row a.
func (m *Miner) partner(a int, byClass map[int][]int, rng *rand.Rand) (int, bool) {
	ca := m.Labels[m.Pool[a]]
	type cand struct {
		row int
		d2  float64
	}
	var negs []cand
	for row, img := range m.Pool {
		if m.Labels[img] != ca {
			negs = append(negs, cand{row, m.dist2(a, row)})
		}
	}
	if len(negs) == 0 {
		return 0, false
	}
	sort.Slice(negs, func(i, j int) bool {
		if negs[i].d2 != negs[j].d2 {
			return negs[i].d2 < negs[j].d2
		}
		return negs[i].row < negs[j].row
	})
	if m.Mode == MiningSemiHard {
		same := byClass[ca]
		if len(same) > 1 {
			p := same[rng.IntN(len(same))]
			for p == a {
				p = same[rng.IntN(len(same))]
			}
			dp := m.dist2(a, p)
			m2 := m.Margin * m.Margin
			for _, n := range negs {
				if n.d2 > dp && n.d2 < m2 {
					return n.row, true
				}
			}
		}
	}
	return negs[0].row, true
}
