package pairs

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Pair is two images, given as indices into the label slice passed to
// NewSampler, and whether they belong to the same class.
type Pair struct {
	A, B    int
	Similar bool
}

// Sampler draws balanced pair sets from a labelled image set. It is not safe
// for concurrent use: Draw advances its random stream.
type Sampler struct {
	rng *rand.Rand
	// members[k] holds the image indices of the k-th class, classes ordered
	// by label so that the draw sequence does not depend on map order.
	members [][]int
	labels  []int // labels[k] is the label of members[k]
	// multi indexes the classes in members that have at least two images,
	// the only ones that can form a similar pair.
	multi []int
}

// NewSampler groups the images by label (labels[i] is the class of image i;
// any int values) and seeds the sampler's random stream with seed. It fails
// if there are fewer than two classes, or if no class has two images, since
// then similar or dissimilar pairs cannot be formed.
func NewSampler(labels []int, seed uint64) (*Sampler, error) {
	byLabel := make(map[int][]int)
	for i, l := range labels {
		byLabel[l] = append(byLabel[l], i)
	}
	if len(byLabel) < 2 {
		return nil, fmt.Errorf("need at least 2 classes to make dissimilar pairs, got %d", len(byLabel))
	}
	s := &Sampler{
		// The second PCG word is a fixed odd constant so that the caller
		// controls the whole stream with one seed.
		rng:    rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		labels: make([]int, 0, len(byLabel)),
	}
	for l := range byLabel {
		s.labels = append(s.labels, l)
	}
	slices.Sort(s.labels)
	for k, l := range s.labels {
		s.members = append(s.members, byLabel[l])
		if len(byLabel[l]) >= 2 {
			s.multi = append(s.multi, k)
		}
	}
	if len(s.multi) == 0 {
		return nil, errors.New("no class has two images; cannot make similar pairs")
	}
	return s, nil
}

// Draw returns n fresh pairs: ⌈n/2⌉ similar and ⌊n/2⌋ dissimilar, in random
// order. It panics if n is negative.
func (s *Sampler) Draw(n int) []Pair {
	if n < 0 {
		panic(fmt.Sprintf("pairs: negative pair count %d", n))
	}
	out := make([]Pair, 0, n)
	for range (n + 1) / 2 {
		out = append(out, s.similar())
	}
	for range n / 2 {
		out = append(out, s.dissimilar())
	}
	s.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func (s *Sampler) similar() Pair {
	class := s.members[s.multi[s.rng.IntN(len(s.multi))]]
	i, j := s.distinct(len(class))
	return Pair{A: class[i], B: class[j], Similar: true}
}

func (s *Sampler) dissimilar() Pair {
	ci, cj := s.distinct(len(s.members))
	a, b := s.members[ci], s.members[cj]
	return Pair{A: a[s.rng.IntN(len(a))], B: b[s.rng.IntN(len(b))], Similar: false}
}

// distinct returns two different indices in [0, n), uniform over ordered
// pairs: the second is drawn from the n-1 values left after the first.
func (s *Sampler) distinct(n int) (int, int) {
	i := s.rng.IntN(n)
	j := s.rng.IntN(n - 1)
	if j >= i {
		j++
	}
	return i, j
}

// SingletonClasses returns, in increasing order, the labels of the classes
// with exactly one image. Such images only ever appear in dissimilar pairs.
func (s *Sampler) SingletonClasses() []int { return s.ClassesSmallerThan(2) }

// ClassesSmallerThan returns, in increasing order, the labels of the
// classes with fewer than n images.
func (s *Sampler) ClassesSmallerThan(n int) []int {
	var out []int
	for k, m := range s.members {
		if len(m) < n {
			out = append(out, s.labels[k])
		}
	}
	return out
}

// Distinct returns how many distinct pairs of two different images the
// labels make, unordered: similar (same class) and dissimilar.
func (s *Sampler) Distinct() (similar, dissimilar int) {
	total := 0
	for _, m := range s.members {
		similar += len(m) * (len(m) - 1) / 2
		total += len(m)
	}
	return similar, total*(total-1)/2 - similar
}

// Enough reports whether the images make the ⌈n/2⌉ similar and ⌊n/2⌋
// dissimilar distinct pairs that Draw(n) would otherwise give by repeating
// some.
func (s *Sampler) Enough(n int) bool {
	nSim, nDis := s.Distinct()
	return nSim >= (n+1)/2 && nDis >= n/2
}

// DrawAtMost returns Draw(n) when the images make Enough pairs for it, and
// otherwise every distinct pair of the scarcer kind once with as many of
// the other (DrawDistinct): a small image set then counts each pair once
// rather than report repeats as more evidence.
func (s *Sampler) DrawAtMost(n int) []Pair {
	if s.Enough(n) {
		return s.Draw(n)
	}
	nSim, nDis := s.Distinct()
	return s.DrawDistinct(min(nSim, nDis))
}

// DrawDistinct returns k similar and k dissimilar pairs, no unordered pair
// twice, in random order: what a small image set gives when Draw would
// repeat pairs. It panics if k is negative or more than Distinct allows.
// A kind with few pairs (at most 4k) is listed whole and k of them are
// chosen; otherwise pairs are drawn as Draw does and repeats drawn again.
func (s *Sampler) DrawDistinct(k int) []Pair {
	nSim, nDis := s.Distinct()
	if k < 0 || k > nSim || k > nDis {
		panic(fmt.Sprintf("pairs: %d distinct pairs of each kind asked for, the images make %d similar and %d dissimilar", k, nSim, nDis))
	}
	out := make([]Pair, 0, 2*k)
	out = append(out, s.distinctPairs(k, nSim, true)...)
	out = append(out, s.distinctPairs(k, nDis, false)...)
	s.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// distinctPairs returns k distinct pairs of one kind, of which there are n.
func (s *Sampler) distinctPairs(k, n int, similar bool) []Pair {
	if n <= 4*k {
		all := s.allPairs(similar, n)
		// A partial Fisher–Yates shuffle: the first k are a uniform choice.
		for i := range k {
			j := i + s.rng.IntN(len(all)-i)
			all[i], all[j] = all[j], all[i]
		}
		return all[:k]
	}
	seen := make(map[[2]int]bool, k)
	out := make([]Pair, 0, k)
	for len(out) < k {
		var p Pair
		if similar {
			p = s.similar()
		} else {
			p = s.dissimilar()
		}
		key := [2]int{min(p.A, p.B), max(p.A, p.B)}
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}

// allPairs lists every unordered pair of one kind, n of them, in class
// order.
func (s *Sampler) allPairs(similar bool, n int) []Pair {
	out := make([]Pair, 0, n)
	for ci, a := range s.members {
		if similar {
			for i := range a {
				for _, b := range a[i+1:] {
					out = append(out, Pair{A: a[i], B: b, Similar: true})
				}
			}
			continue
		}
		for _, b := range s.members[ci+1:] {
			for _, x := range a {
				for _, y := range b {
					out = append(out, Pair{A: x, B: y})
				}
			}
		}
	}
	return out
}
