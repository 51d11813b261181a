package pairs

import (
	"math/rand/v2"
	"testing"
)

// Five images on a line: classes 0,0,1,1,2 at positions 0, 0.1, 0.5, 2, 5.
func lineMiner(mode string) *Miner {
	return &Miner{
		Mode: mode, Margin: 1, Dim: 1,
		Pool:   []int{0, 1, 2, 3, 4},
		Emb:    []float32{0, 0.1, 0.5, 2, 5},
		Labels: []int{0, 0, 1, 1, 2},
	}
}

func TestMinerPartners(t *testing.T) {
	cases := []struct {
		mode   string
		anchor int
		want   int
	}{
		// Hard: nearest other class.
		{MiningHard, 0, 2},
		{MiningHard, 3, 1}, // anchor 3 (class 1, at 2): nearest other class is image 1 (d=1.9)
		{MiningHard, 4, 3},
		// Semi-hard from anchor 0: positive is image 1 (d=0.1); negatives farther than
		// that and inside margin 1: image 2 (d=0.5).
		{MiningSemiHard, 0, 2},
		// Semi-hard from anchor 2 (class 1): positive image 3 at d=1.5; no negative
		// beyond 1.5 inside the margin, so fall back to the hardest: image 1 (d=0.4).
		{MiningSemiHard, 2, 1},
	}
	for _, c := range cases {
		m := lineMiner(c.mode)
		byClass := map[int][]int{0: {0, 1}, 1: {2, 3}, 2: {4}}
		got, ok := m.partner(c.anchor, byClass, rand.New(rand.NewPCG(1, 1)))
		if !ok || got != c.want {
			t.Errorf("%s anchor %d: partner %d (ok %v), want %d", c.mode, c.anchor, got, ok, c.want)
		}
	}
}

func TestMinerKeepsBalanceAndLabels(t *testing.T) {
	labels := make([]int, 200)
	for i := range labels {
		labels[i] = i % 5
	}
	s, err := NewSampler(labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	ps := s.Draw(1000)
	emb := make([]float32, 200*2)
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range emb {
		emb[i] = rng.Float32()
	}
	pool := make([]int, 200)
	for i := range pool {
		pool[i] = i
	}
	for _, mode := range MiningModes() {
		m := &Miner{Mode: mode, Margin: 1, Pool: pool, Emb: emb, Dim: 2, Labels: labels}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		got := append([]Pair(nil), ps...)
		n := m.Apply(got, 0.5, rand.New(rand.NewPCG(5, 5)))
		if mode == MiningRandom && n != 0 {
			t.Errorf("random mining replaced %d pairs", n)
		}
		if mode != MiningRandom && (n < 200 || n > 300) {
			t.Errorf("%s replaced %d of 500 dissimilar pairs at fraction 0.5", mode, n)
		}
		sim := 0
		for i, p := range got {
			if p.Similar {
				sim++
				if p != ps[i] {
					t.Fatalf("%s changed similar pair %d", mode, i)
				}
			}
			if p.Similar != (labels[p.A] == labels[p.B]) {
				t.Fatalf("%s: pair %+v labelled wrong", mode, p)
			}
		}
		if sim != 500 {
			t.Errorf("%s: %d similar pairs of 1000", mode, sim)
		}
	}
	if (&Miner{Mode: "easy"}).Validate() == nil {
		t.Error("unknown mode accepted")
	}
}
