package pairs

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// classSizes builds a label slice with sizes[k] images of class labelsOf[k],
// interleaved so that class members are not contiguous indices.
func classSizes(labelsOf, sizes []int) []int {
	var labels []int
	for more := true; more; {
		more = false
		for k, n := range sizes {
			if n > 0 {
				labels = append(labels, labelsOf[k])
				sizes[k]--
				more = true
			}
		}
	}
	return labels
}

// checkPairs verifies every pair in ps against labels and returns the counts
// of similar and dissimilar pairs.
func checkPairs(t *testing.T, labels []int, ps []Pair) (similar, dissimilar int) {
	t.Helper()
	for _, p := range ps {
		if p.A < 0 || p.A >= len(labels) || p.B < 0 || p.B >= len(labels) {
			t.Fatalf("pair %+v out of range for %d images", p, len(labels))
		}
		if p.A == p.B {
			t.Fatalf("pair %+v repeats an image", p)
		}
		if same := labels[p.A] == labels[p.B]; same != p.Similar {
			t.Fatalf("pair %+v: labels %d and %d, Similar=%v", p, labels[p.A], labels[p.B], p.Similar)
		}
		if p.Similar {
			similar++
		} else {
			dissimilar++
		}
	}
	return similar, dissimilar
}

func TestDrawBalancedAndCorrect(t *testing.T) {
	sets := []struct {
		name   string
		labels []int
	}{
		{"two classes", []int{0, 0, 1, 1}},
		{"sparse labels", []int{7, -3, 7, 42, -3, 42, 42}},
		{"unequal sizes", classSizes([]int{0, 1, 2}, []int{500, 2, 1})},
	}
	for _, set := range sets {
		s, err := NewSampler(set.labels, 1)
		if err != nil {
			t.Fatalf("%s: %v", set.name, err)
		}
		for _, n := range []int{0, 1, 2, 7, 64, 1001} {
			ps := s.Draw(n)
			if len(ps) != n {
				t.Fatalf("%s: Draw(%d) returned %d pairs", set.name, n, len(ps))
			}
			sim, dis := checkPairs(t, set.labels, ps)
			if sim != (n+1)/2 || dis != n/2 {
				t.Errorf("%s: Draw(%d) gave %d similar, %d dissimilar; want %d, %d", set.name, n, sim, dis, (n+1)/2, n/2)
			}
		}
	}
}

// TestDrawShuffled guards against handing out all similar pairs first, which
// would give mini-batches of one kind only.
func TestDrawShuffled(t *testing.T) {
	s, err := NewSampler([]int{0, 0, 0, 1, 1, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	ps := s.Draw(200)
	firstHalf := 0
	for _, p := range ps[:100] {
		if p.Similar {
			firstHalf++
		}
	}
	// Expected 50; a sorted set would give 100. With a shuffle, more than 70
	// has probability ~1e-5, and the seed is fixed.
	if firstHalf < 30 || firstHalf > 70 {
		t.Errorf("first 100 of 200 pairs hold %d similar pairs; set looks unshuffled", firstHalf)
	}
}

func TestDeterminism(t *testing.T) {
	labels := classSizes([]int{0, 1, 2, 3}, []int{5, 3, 8, 1})
	a, _ := NewSampler(labels, 42)
	b, _ := NewSampler(labels, 42)
	c, _ := NewSampler(labels, 43)
	a1, a2 := a.Draw(50), a.Draw(50)
	b1, b2 := b.Draw(50), b.Draw(50)
	if !slices.Equal(a1, b1) || !slices.Equal(a2, b2) {
		t.Errorf("same seed gave different sequences")
	}
	if slices.Equal(a1, a2) {
		t.Errorf("second Draw repeated the first; the stream must continue")
	}
	if slices.Equal(a1, c.Draw(50)) {
		t.Errorf("seeds 42 and 43 gave the same pairs")
	}
}

func TestSingletonClasses(t *testing.T) {
	// Class 5 and class -1 have one image each (indices 2 and 5).
	labels := []int{0, 0, 5, 3, 3, -1, 0}
	s, err := NewSampler(labels, 9)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.SingletonClasses(), []int{-1, 5}; !slices.Equal(got, want) {
		t.Errorf("SingletonClasses() = %v, want %v", got, want)
	}
	// Classes 0 (3 images) and 3 (2) against the bounds.
	for _, tc := range []struct {
		n    int
		want []int
	}{{1, nil}, {3, []int{-1, 3, 5}}, {4, []int{-1, 0, 3, 5}}} {
		if got := s.ClassesSmallerThan(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("ClassesSmallerThan(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
	seen := map[int]int{}
	for _, p := range s.Draw(2000) {
		for _, i := range []int{p.A, p.B} {
			if (i == 2 || i == 5) && p.Similar {
				t.Fatalf("single-image class in similar pair %+v", p)
			}
			if !p.Similar {
				seen[i]++
			}
		}
	}
	// 1000 dissimilar pairs over 4 classes: each class is in a pair with
	// probability 1/2, so ~500 appearances each.
	for _, i := range []int{2, 5} {
		if seen[i] < 400 {
			t.Errorf("single image %d appeared in %d of 1000 dissimilar pairs, want ~500", i, seen[i])
		}
	}
	none, _ := NewSampler([]int{0, 0, 1, 1}, 1)
	if got := none.SingletonClasses(); len(got) != 0 {
		t.Errorf("SingletonClasses() = %v, want none", got)
	}
}

// TestClassesUniform checks that pairs pick classes uniformly regardless of
// class size, the property that keeps a dominant class from taking over.
func TestClassesUniform(t *testing.T) {
	labels := classSizes([]int{0, 1, 2}, []int{1000, 2, 3})
	s, err := NewSampler(labels, 5)
	if err != nil {
		t.Fatal(err)
	}
	const n = 12000
	simByClass := map[int]int{}
	disByClassPair := map[[2]int]int{}
	for _, p := range s.Draw(n) {
		la, lb := labels[p.A], labels[p.B]
		if p.Similar {
			simByClass[la]++
			continue
		}
		disByClassPair[[2]int{min(la, lb), max(la, lb)}]++
	}
	// 6000 similar pairs over 3 classes, 6000 dissimilar over 3 class pairs:
	// 2000 expected per cell, standard deviation ≈ 37, so ±200 is > 5σ.
	cells := map[string]int{}
	for c, k := range simByClass {
		cells[fmt.Sprintf("similar class %d", c)] = k
	}
	for c, k := range disByClassPair {
		cells[fmt.Sprintf("dissimilar classes %v", c)] = k
	}
	if len(cells) != 6 {
		t.Fatalf("got %d class cells, want 6: %v", len(cells), cells)
	}
	for name, k := range cells {
		if math.Abs(float64(k)-2000) > 200 {
			t.Errorf("%s: %d pairs, want about 2000", name, k)
		}
	}
}

func TestImagesUniformWithinClass(t *testing.T) {
	// One class of 4 images: every ordered pair of distinct images should
	// be about equally likely, 12 of them.
	labels := []int{0, 0, 0, 0, 1}
	s, _ := NewSampler(labels, 11)
	counts := map[[2]int]int{}
	for _, p := range s.Draw(2 * 6000) {
		if p.Similar {
			counts[[2]int{p.A, p.B}]++
		}
	}
	if len(counts) != 12 {
		t.Fatalf("saw %d ordered image pairs, want 12", len(counts))
	}
	for k, c := range counts {
		// 500 expected, σ ≈ 21.
		if math.Abs(float64(c)-500) > 110 {
			t.Errorf("image pair %v drawn %d times, want about 500", k, c)
		}
	}
}

func TestNewSamplerErrors(t *testing.T) {
	cases := []struct {
		name   string
		labels []int
		want   string
	}{
		{"empty", nil, "need at least 2 classes to make dissimilar pairs, got 0"},
		{"one class", []int{4, 4, 4}, "need at least 2 classes to make dissimilar pairs, got 1"},
		{"all singletons", []int{0, 1, 2}, "no class has two images; cannot make similar pairs"},
	}
	for _, tc := range cases {
		s, err := NewSampler(tc.labels, 1)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: NewSampler = %v, %v; want error %q", tc.name, s, err, tc.want)
		}
	}
}

func TestDrawNegativePanics(t *testing.T) {
	s, _ := NewSampler([]int{0, 0, 1}, 1)
	defer func() {
		if r := recover(); r != "pairs: negative pair count -1" {
			t.Errorf("recover() = %v", r)
		}
	}()
	s.Draw(-1)
}

func BenchmarkDraw(b *testing.B) {
	labels := make([]int, 60000)
	for i := range labels {
		labels[i] = i % 10
	}
	s, _ := NewSampler(labels, 1)
	for b.Loop() {
		s.Draw(1024)
	}
}

// TestDistinct counts the unordered pairs by hand: classes of 3, 2 and 1
// images make 3+1 similar pairs and (6·5/2) - 4 = 11 dissimilar ones.
func TestDistinct(t *testing.T) {
	for _, tc := range []struct {
		labels         []int
		similar, other int
	}{
		{[]int{0, 0, 0, 1, 1, 2}, 4, 11},
		{[]int{5, 5, 9}, 1, 2},
		{[]int{1, 1, 2, 2}, 2, 4},
	} {
		s, err := NewSampler(tc.labels, 1)
		if err != nil {
			t.Fatal(err)
		}
		if sim, dis := s.Distinct(); sim != tc.similar || dis != tc.other {
			t.Errorf("Distinct of %v = %d, %d; want %d, %d", tc.labels, sim, dis, tc.similar, tc.other)
		}
	}
}

// TestDrawDistinct wants k pairs of each kind, each correct and none
// repeated, the same for the same seed: on a set small enough to list
// whole (every similar pair of the 6 images), and on one drawn with
// rejection (40 images of 4 classes: 180 similar, 600 dissimilar pairs).
func TestDrawDistinct(t *testing.T) {
	big := make([]int, 40)
	for i := range big {
		big[i] = i % 4
	}
	for _, tc := range []struct {
		name   string
		labels []int
		k      int
	}{
		{"listed whole", []int{0, 0, 0, 1, 1, 2}, 4},
		{"listed, a choice", []int{0, 0, 0, 1, 1, 2}, 2},
		{"drawn", big, 30},
		{"none", big, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			draw := func() []Pair {
				s, err := NewSampler(tc.labels, 7)
				if err != nil {
					t.Fatal(err)
				}
				return s.DrawDistinct(tc.k)
			}
			ps := draw()
			if len(ps) != 2*tc.k {
				t.Fatalf("%d pairs, want %d", len(ps), 2*tc.k)
			}
			seen := map[[2]int]bool{}
			nSim := 0
			for _, p := range ps {
				key := [2]int{min(p.A, p.B), max(p.A, p.B)}
				if p.A == p.B || seen[key] {
					t.Fatalf("pair %v repeated or of one image", p)
				}
				seen[key] = true
				if p.Similar != (tc.labels[p.A] == tc.labels[p.B]) {
					t.Fatalf("pair %v marked similar=%t for labels %d, %d", p, p.Similar, tc.labels[p.A], tc.labels[p.B])
				}
				if p.Similar {
					nSim++
				}
			}
			if nSim != tc.k {
				t.Errorf("%d similar pairs, want %d", nSim, tc.k)
			}
			if again := draw(); !slices.Equal(again, ps) {
				t.Error("the same seed drew different pairs")
			}
		})
	}
	s, _ := NewSampler([]int{0, 0, 1}, 1)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("DrawDistinct(2) on images that make 1 similar pair did not panic")
			}
		}()
		s.DrawDistinct(2)
	}()
}

// TestDrawAtMost: images making 4 similar and 11 dissimilar pairs are
// Enough for 8 pairs, which DrawAtMost then draws as Draw does; 9 would
// need 5 similar, so it gives each of the 4 once with 4 dissimilar.
func TestDrawAtMost(t *testing.T) {
	labels := []int{0, 0, 0, 1, 1, 2}
	for _, tc := range []struct {
		n, want int
		enough  bool
	}{{8, 8, true}, {9, 8, false}, {2000, 8, false}, {2, 2, true}} {
		s, _ := NewSampler(labels, 5)
		if got := s.Enough(tc.n); got != tc.enough {
			t.Errorf("Enough(%d) = %t, want %t", tc.n, got, tc.enough)
		}
		got := s.DrawAtMost(tc.n)
		ref, _ := NewSampler(labels, 5)
		var want []Pair
		if tc.enough {
			want = ref.Draw(tc.n)
		} else {
			want = ref.DrawDistinct(4)
		}
		if len(got) != tc.want || !slices.Equal(got, want) {
			t.Errorf("DrawAtMost(%d): %d pairs %v, want %d: %v", tc.n, len(got), got, tc.want, want)
		}
	}
}
