package dataset

import (
	"slices"
	"strings"
	"testing"
)

// counts returns n copies of k.
func counts(n, k int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = k
	}
	return out
}

func TestSplitByClass(t *testing.T) {
	tests := []struct {
		name                string
		classes, per        int
		val, test           float64
		nTrain, nVal, nTest int // classes in each part
	}{
		{"1000 classes of 4", 1000, 4, 0.1, 0.1, 800, 100, 100},
		{"rounding 0.15 of 30", 30, 3, 0.15, 0.15, 20, 5, 5}, // 4.5 rounds to 5
		{"at least 2 held out", 12, 5, 0.05, 0.05, 8, 2, 2},  // 0.6 → 1 → 2
		{"no test part", 20, 2, 0.1, 0, 18, 2, 0},
		{"smallest split", 6, 3, 0.1, 0.1, 2, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := syntheticIndex(counts(tc.classes, tc.per)...)
			tr, va, te, err := ix.SplitByClass(tc.val, tc.test, 7)
			if err != nil {
				t.Fatal(err)
			}
			got := []int{len(tr.ClassNames()), len(va.ClassNames()), len(te.ClassNames())}
			if want := []int{tc.nTrain, tc.nVal, tc.nTest}; !slices.Equal(got, want) {
				t.Fatalf("classes per part %v, want %v", got, want)
			}
			// Whole classes: no class in two parts, every item somewhere.
			owner := map[string]int{}
			for p, part := range []*Index{tr, va, te} {
				for _, c := range part.ClassNames() {
					if q, dup := owner[c]; dup {
						t.Fatalf("class %s in parts %d and %d", c, q, p)
					}
					owner[c] = p
				}
			}
			if n := len(tr.Items) + len(va.Items) + len(te.Items); n != tc.classes*tc.per {
				t.Fatalf("%d items in the parts, want %d", n, tc.classes*tc.per)
			}
		})
	}
	if _, _, _, err := syntheticIndex(counts(5, 3)...).SplitByClass(0.1, 0.1, 1); err == nil || !strings.Contains(err.Error(), "--split images") {
		t.Fatalf("5 classes: err %v, want a refusal that suggests --split images", err)
	}
}

// A class folder added later must not move the other classes between
// parts, beyond what the changed counts force; the same seed gives the same
// parts, another seed other parts.
func TestSplitByClassStable(t *testing.T) {
	ix := syntheticIndex(counts(200, 2)...)
	_, _, test, _ := ix.SplitByClass(0.1, 0.1, 3)
	_, _, again, _ := ix.SplitByClass(0.1, 0.1, 3)
	if test.Fingerprint() != again.Fingerprint() {
		t.Fatal("same seed, different test part")
	}
	_, _, other, _ := ix.SplitByClass(0.1, 0.1, 4)
	if test.Fingerprint() == other.Fingerprint() {
		t.Fatal("another seed gave the same test part")
	}
	// 201 classes: round(20.1) = 20 test classes as before, so the test
	// part keeps its classes unless the new one ranks among them.
	more := syntheticIndex(counts(201, 2)...)
	_, _, test2, _ := more.SplitByClass(0.1, 0.1, 3)
	a, b := test.ClassNames(), test2.ClassNames()
	kept := 0
	for _, c := range a {
		if slices.Contains(b, c) {
			kept++
		}
	}
	if kept < len(a)-1 {
		t.Fatalf("adding one class moved %d of %d test classes", len(a)-kept, len(a))
	}
}

func TestChooseSplit(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		want   string
		says   string // the reason names the rule that decided
	}{
		{"10 large classes (MNIST)", counts(10, 6000), SplitImages, "10 classes (< 30) with a median of 6000 images"},
		{"10 classes of 200 (built-in sample)", counts(10, 200), SplitImages, "median of 200"},
		{"30 classes", counts(30, 100), SplitClasses, "30 classes (>= 30)"},
		{"1352 classes of 4", counts(1352, 4), SplitClasses, "1352 classes"},
		{"8 classes of 3", counts(8, 3), SplitClasses, "the median class has 3 images (< 10)"},
		{"5 classes of 3: too few to hold classes out", counts(5, 3), SplitImages, "5 classes, too few to hold whole classes out (a class split needs 6)"},
	}
	for _, tc := range tests {
		mode, why := syntheticIndex(tc.counts...).ChooseSplit()
		if mode != tc.want || !strings.Contains(why, tc.says) {
			t.Errorf("%s: %s (%q), want %s, saying %q", tc.name, mode, why, tc.want, tc.says)
		}
	}
}

func TestFingerprint(t *testing.T) {
	ix := syntheticIndex(3, 3)
	base := ix.Fingerprint()
	renamed := syntheticIndex(3, 3)
	renamed.Items[1].Path = "c0/renamed.png"
	removed := syntheticIndex(3, 3)
	removed.Items = removed.Items[1:]
	moved := syntheticIndex(3, 3)
	moved.Items[0].Class = 1
	for name, other := range map[string]*Index{"renamed": renamed, "removed": removed, "moved to another class": moved} {
		if other.Fingerprint() == base {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
	if syntheticIndex(3, 3).Fingerprint() != base {
		t.Error("same items, different fingerprint")
	}
	if got := len(base); got != 16 {
		t.Errorf("fingerprint %q has %d hex digits, want 16", base, got)
	}
}
