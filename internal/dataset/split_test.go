package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// syntheticIndex has counts[c] items in class c, named "c<c>/<i>.png".
func syntheticIndex(counts ...int) *Index {
	ix := &Index{Root: "synthetic"}
	for c, n := range counts {
		ix.Classes = append(ix.Classes, fmt.Sprintf("c%d", c))
		for i := range n {
			ix.Items = append(ix.Items, Item{Path: fmt.Sprintf("c%d/%03d.png", c, i), Class: c})
		}
	}
	return ix
}

func TestSplitCounts(t *testing.T) {
	tests := []struct {
		n                  int
		val, test          float64
		train, nVal, nTest int
	}{
		{n: 100, val: 0.1, test: 0.2, train: 70, nVal: 10, nTest: 20},
		{n: 10, val: 0.15, test: 0.15, train: 6, nVal: 2, nTest: 2}, // 1.5 rounds up to 2
		{n: 10, val: 0.14, test: 0, train: 9, nVal: 1, nTest: 0},    // 1.4 rounds down
		{n: 3, val: 0.4, test: 0.4, train: 1, nVal: 1, nTest: 1},    // 1.2, 1.2 → 1, 1
		{n: 3, val: 0.45, test: 0.5, train: 1, nVal: 0, nTest: 2},   // 1.35, 1.5 → 1, 2; validation gives way
		{n: 2, val: 0.3, test: 0.3, train: 1, nVal: 0, nTest: 1},    // 0.6, 0.6 → 1, 1; validation gives way
		{n: 1, val: 0.5, test: 0.4, train: 1, nVal: 0, nTest: 0},    // never lose the only image
		{n: 4, val: 0, test: 0.99, train: 1, nVal: 0, nTest: 3},     // test gives way once validation is 0
		{n: 0, val: 0.2, test: 0.2, train: 0, nVal: 0, nTest: 0},
		{n: 7, val: 0, test: 0, train: 7, nVal: 0, nTest: 0},
	}
	for _, tt := range tests {
		tr, v, te := splitCounts(tt.n, tt.val, tt.test)
		if tr != tt.train || v != tt.nVal || te != tt.nTest {
			t.Errorf("splitCounts(%d, %g, %g) = %d, %d, %d; want %d, %d, %d",
				tt.n, tt.val, tt.test, tr, v, te, tt.train, tt.nVal, tt.nTest)
		}
	}
}

func TestSplit(t *testing.T) {
	ix := syntheticIndex(50, 7, 3, 1)
	train, val, test, err := ix.Split(0.2, 0.1, 42)
	if err != nil {
		t.Fatal(err)
	}
	// Every item lands in exactly one part, in Index order.
	parts := [][]Item{train.Items, val.Items, test.Items}
	seen := map[string]int{}
	for _, p := range parts {
		if !slices.IsSortedFunc(p, func(a, b Item) int { return strings.Compare(a.Path, b.Path) }) {
			t.Errorf("part not in Index order: %v", p)
		}
		for _, it := range p {
			seen[it.Path]++
		}
	}
	for _, it := range ix.Items {
		if seen[it.Path] != 1 {
			t.Errorf("%s is in %d parts", it.Path, seen[it.Path])
		}
	}
	// Per-class sizes follow splitCounts.
	for c, n := range ix.ClassCounts() {
		wantTrain, wantVal, wantTest := splitCounts(n, 0.2, 0.1)
		got := []int{train.ClassCounts()[c], val.ClassCounts()[c], test.ClassCounts()[c]}
		if !slices.Equal(got, []int{wantTrain, wantVal, wantTest}) {
			t.Errorf("class %d of %d: parts %v, want %v", c, n, got, []int{wantTrain, wantVal, wantTest})
		}
	}
	for _, p := range []*Index{train, val, test} {
		if !slices.Equal(p.Classes, ix.Classes) || p.Root != ix.Root {
			t.Errorf("part has classes %q root %q, want %q %q", p.Classes, p.Root, ix.Classes, ix.Root)
		}
	}
	// Parts own their class list.
	train.Classes[0] = "changed"
	if ix.Classes[0] != "c0" || val.Classes[0] != "c0" {
		t.Error("parts share the class slice")
	}
}

func TestSplitDeterministic(t *testing.T) {
	ix := syntheticIndex(40, 40)
	testPaths := func(ix *Index, seed uint64) []string {
		_, _, test, err := ix.Split(0.25, 0.25, seed)
		if err != nil {
			t.Fatal(err)
		}
		var p []string
		for _, it := range test.Items {
			p = append(p, it.Path)
		}
		return p
	}
	a, b := testPaths(ix, 7), testPaths(ix, 7)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different test sets:\n%v\n%v", a, b)
	}
	if c := testPaths(ix, 8); slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 give the same test set %v", a)
	}
	// Adding a class, even one that sorts first, leaves the others' splits
	// alone because each class's stream is keyed by its name.
	bigger := &Index{Root: ix.Root, Classes: append([]string{"a-new"}, ix.Classes...)}
	for i := range 5 {
		bigger.Items = append(bigger.Items, Item{Path: fmt.Sprintf("a-new/%d.png", i), Class: 0})
	}
	for _, it := range ix.Items {
		bigger.Items = append(bigger.Items, Item{Path: it.Path, Class: it.Class + 1})
	}
	var old []string
	for _, p := range testPaths(bigger, 7) {
		if !strings.HasPrefix(p, "a-new/") {
			old = append(old, p)
		}
	}
	if !slices.Equal(old, a) {
		t.Errorf("adding a class changed the other classes' test set:\n%v\n%v", old, a)
	}
}

// TestShuffleRule checks shuffle against the rule as the package
// documentation states it, written out independently: FNV-1a by hand and
// the 128-bit product from 32-bit halves rather than bits.Mul64.
func TestShuffleRule(t *testing.T) {
	const seed = 3
	name := "T-shirt_top"
	got := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	shuffle(got, rand.NewPCG(seed, classKey(name)))

	// FNV-1a, 64-bit: offset basis, xor byte, multiply by the prime.
	h := uint64(14695981039346656037)
	for _, b := range []byte(name) {
		h ^= uint64(b)
		h *= 1099511628211
	}
	src := rand.NewPCG(seed, h)
	want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for i := len(want) - 1; i > 0; i-- {
		n := uint64(i + 1)
		threshold := (math.MaxUint64 - n + 1) % n // 2^64 mod n
		for {
			x := src.Uint64()
			// x·n split into 32-bit halves: hi = floor(x·n / 2^64), lo = x·n mod 2^64.
			xh, xl := x>>32, x&0xffffffff
			mid := xh*n + (xl*n)>>32
			hi := mid >> 32
			lo := x * n
			if lo >= threshold {
				want[i], want[hi] = want[hi], want[i]
				break
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("shuffle = %v, documented rule gives %v", got, want)
	}
}

func TestUniformBelow(t *testing.T) {
	// Counts of 30000 draws below 3 should each be near 10000; 5 standard
	// deviations (about 82·5) is a deterministic bound for this seed.
	src := rand.NewPCG(1, 2)
	var counts [3]int
	for range 30000 {
		v := uniformBelow(src, 3)
		if v >= 3 {
			t.Fatalf("uniformBelow(3) = %d", v)
		}
		counts[v]++
	}
	for v, c := range counts {
		if math.Abs(float64(c)-10000) > 410 {
			t.Errorf("value %d drawn %d times of 30000, want about 10000", v, c)
		}
	}
	if v := uniformBelow(src, 1); v != 0 {
		t.Errorf("uniformBelow(1) = %d", v)
	}
}

func TestSplitErrors(t *testing.T) {
	ix := syntheticIndex(5, 5)
	tests := []struct {
		val, test float64
		want      string
	}{
		{-0.1, 0.1, "validation fraction -0.1 is outside [0, 1)"},
		{0.1, 1, "test fraction 1 is outside [0, 1)"},
		{math.NaN(), 0.1, "validation fraction NaN"},
		{0.5, 0.5, "plus test fraction 0.5 is 1; must be below 1"},
	}
	for _, tt := range tests {
		_, _, _, err := ix.Split(tt.val, tt.test, 1)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Split(%g, %g) error = %v, want %q", tt.val, tt.test, err, tt.want)
		}
	}
	bad := syntheticIndex(2, 2)
	bad.Items[1].Class = 5
	if _, _, _, err := bad.Split(0.1, 0.1, 1); err == nil || !strings.Contains(err.Error(), "class 5, outside the 2 classes") {
		t.Errorf("Split with a bad class error = %v", err)
	}
}

// ExampleIndex_Split splits 10 images of each of two classes, holding out
// 20% for validation and 10% for testing.
func ExampleIndex_Split() {
	fsys := fstest.MapFS{}
	for _, class := range []string{"cat", "dog"} {
		for i := range 10 {
			fsys[fmt.Sprintf("pets/%s/%02d.png", class, i)] = &fstest.MapFile{}
		}
	}
	ix, err := ScanFS(fsys, "pets")
	if err != nil {
		fmt.Println(err)
		return
	}
	train, val, test, err := ix.Split(0.2, 0.1, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("classes:", ix.Classes)
	fmt.Println("train per class:", train.ClassCounts())
	fmt.Println("val per class:", val.ClassCounts())
	fmt.Println("test per class:", test.ClassCounts())
	// Output:
	// classes: [cat dog]
	// train per class: [7 7]
	// val per class: [2 2]
	// test per class: [1 1]
}

// TestSplitSmallFolders checks step 2b of the split rule: folders whose
// classes are too small for the rounded fractions to give the validation
// part pairs hold out two images of each class that keeps half and two
// for training, and folders whose validation part can make pairs are
// split as step 2 says.
func TestSplitSmallFolders(t *testing.T) {
	type parts struct{ train, val, test []int }
	for _, tc := range []struct {
		name      string
		counts    []int
		val, test float64
		small     bool // step 2b applies
		want      parts
	}{
		{"3 classes of 4: 0.4 rounds to 0", []int{4, 4, 4}, 0.1, 0.1, true,
			parts{[]int{2, 2, 2}, []int{2, 2, 2}, []int{0, 0, 0}}},
		{"3 classes of 5: 0.5 rounds to 1, no similar pair", []int{5, 5, 5}, 0.1, 0.1, true,
			parts{[]int{3, 3, 3}, []int{2, 2, 2}, []int{0, 0, 0}}},
		{"classes of 8 give test two as well", []int{8, 9, 14}, 0.1, 0.1, true,
			parts{[]int{4, 5, 10}, []int{2, 2, 2}, []int{2, 2, 2}}},
		{"a large class keeps its own counts", []int{30, 5, 2}, 0.05, 0.1, true,
			parts{[]int{25, 3, 2}, []int{2, 2, 0}, []int{3, 0, 0}}},
		{"classes of 3 are too small: nothing held out", []int{3, 3, 3}, 0.1, 0.1, true,
			parts{[]int{3, 3, 3}, []int{0, 0, 0}, []int{0, 0, 0}}},
		{"no test split asked for", []int{10, 10}, 0.1, 0, true,
			parts{[]int{8, 8}, []int{2, 2}, []int{0, 0}}},
		{"test gives way to keep two for training", []int{5, 5}, 0.1, 0.5, true,
			parts{[]int{2, 2}, []int{2, 2}, []int{1, 1}}},
		{"one class in validation cannot pair", []int{20, 4, 4}, 0.1, 0.1, true,
			parts{[]int{16, 2, 2}, []int{2, 2, 2}, []int{2, 0, 0}}},
		{"validation can pair: step 2 alone", []int{15, 15}, 0.1, 0.1, false,
			parts{[]int{11, 11}, []int{2, 2}, []int{2, 2}}},
		{"validation can pair: one class of two and two of one", []int{20, 6, 6}, 0.1, 0.1, false,
			parts{[]int{16, 4, 4}, []int{2, 1, 1}, []int{2, 1, 1}}},
		{"no validation asked for", []int{4, 4}, 0, 0.1, false,
			parts{[]int{4, 4}, []int{0, 0}, []int{0, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := syntheticIndex(tc.counts...)
			if got := ix.SmallFolder(tc.val, tc.test); got != tc.small {
				t.Errorf("SmallFolder = %t, want %t", got, tc.small)
			}
			train, val, test, err := ix.Split(tc.val, tc.test, 7)
			if err != nil {
				t.Fatal(err)
			}
			got := parts{train.ClassCounts(), val.ClassCounts(), test.ClassCounts()}
			if !slices.Equal(got.train, tc.want.train) || !slices.Equal(got.val, tc.want.val) || !slices.Equal(got.test, tc.want.test) {
				t.Errorf("train %v val %v test %v; want %v %v %v", got.train, got.val, got.test, tc.want.train, tc.want.val, tc.want.test)
			}
		})
	}
}

// TestMakesPairs wants two classes with images and a class with two.
func TestMakesPairs(t *testing.T) {
	for _, tc := range []struct {
		counts []int
		want   bool
	}{
		{nil, false},
		{[]int{5}, false},
		{[]int{1, 1, 1}, false},
		{[]int{2, 0}, false},
		{[]int{2, 1}, true},
		{[]int{0, 1, 3}, true},
	} {
		if got := syntheticIndex(tc.counts...).MakesPairs(); got != tc.want {
			t.Errorf("MakesPairs of classes of %v = %t, want %t", tc.counts, got, tc.want)
		}
	}
}
