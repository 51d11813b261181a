package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
)

// Split divides ix into train, validation and test parts holding fractions
// of roughly 1-val-test, val and test of every class, by the exact rule in
// the package documentation. The same Index, fractions and seed always give
// the same parts.
func (ix *Index) Split(val, test float64, seed uint64) (train, valIx, testIx *Index, err error) {
	if err := checkFraction("validation", val); err != nil {
		return nil, nil, nil, err
	}
	if err := checkFraction("test", test); err != nil {
		return nil, nil, nil, err
	}
	if val+test >= 1 {
		return nil, nil, nil, fmt.Errorf("split %s: validation fraction %g plus test fraction %g is %g; must be below 1 to leave training images", ix.Root, val, test, val+test)
	}

	byClass := make([][]int, len(ix.Classes))
	for i, it := range ix.Items {
		if it.Class < 0 || it.Class >= len(ix.Classes) {
			return nil, nil, nil, fmt.Errorf("split %s: item %s has class %d, outside the %d classes", ix.Root, it.Path, it.Class, len(ix.Classes))
		}
		byClass[it.Class] = append(byClass[it.Class], i)
	}

	sizes := make([]int, len(byClass))
	for c, members := range byClass {
		sizes[c] = len(members)
	}
	nVals, nTests, _ := heldOutCounts(sizes, val, test)

	// part[i] is where item i goes: 0 train, 1 validation, 2 test.
	part := make([]int, len(ix.Items))
	for c, members := range byClass {
		nVal, nTest := nVals[c], nTests[c]
		shuffle(members, rand.NewPCG(seed, classKey(ix.Classes[c])))
		for k, i := range members {
			switch {
			case k < nTest:
				part[i] = 2
			case k < nTest+nVal:
				part[i] = 1
			}
		}
	}

	train, valIx, testIx = ix.partition(func(i int) int { return part[i] })
	return train, valIx, testIx, nil
}

// partition divides ix's items into three parts (0 train, 1 validation,
// 2 test) by partOf(item index), keeping Index order and the class list.
func (ix *Index) partition(partOf func(i int) int) (train, valIx, testIx *Index) {
	parts := [3]*Index{}
	for p := range parts {
		parts[p] = &Index{Root: ix.Root, FS: ix.FS, dir: ix.dir, Classes: append([]string(nil), ix.Classes...)}
	}
	for i, it := range ix.Items {
		p := partOf(i)
		parts[p].Items = append(parts[p].Items, it)
	}
	return parts[0], parts[1], parts[2]
}

func checkFraction(what string, f float64) error {
	if math.IsNaN(f) || f < 0 || f >= 1 {
		return fmt.Errorf("split: %s fraction %g is outside [0, 1)", what, f)
	}
	return nil
}

// splitCounts returns how many of a class's n items go to each part.
func splitCounts(n int, val, test float64) (nTrain, nVal, nTest int) {
	nTest = int(math.Round(test * float64(n)))
	nVal = int(math.Round(val * float64(n)))
	// A class with no training image could never appear in a training pair,
	// so the held-out parts give way, validation first.
	for n > 0 && nVal+nTest > n-1 {
		if nVal > 0 {
			nVal--
		} else {
			nTest--
		}
	}
	return n - nVal - nTest, nVal, nTest
}

// heldOutCounts is each class's nVal and nTest under steps 2 and 2b of the
// split rule, for classes of sizes[c] items, and whether step 2b applied.
func heldOutCounts(sizes []int, val, test float64) (nVal, nTest []int, small bool) {
	nVal, nTest = make([]int, len(sizes)), make([]int, len(sizes))
	for c, n := range sizes {
		_, nVal[c], nTest[c] = splitCounts(n, val, test)
	}
	if val == 0 || makesPairs(nVal) {
		return nVal, nTest, false
	}
	for c, n := range sizes {
		nVal[c], nTest[c] = smallFolderCounts(n, val, test)
	}
	return nVal, nTest, true
}

// SmallFolder reports whether Split(val, test, seed) splits ix by the
// small-folder step (2b in the package documentation): its classes are too
// small for the rounded fractions to give the validation part pairs.
func (ix *Index) SmallFolder(val, test float64) bool {
	_, _, small := heldOutCounts(ix.ClassCounts(), val, test)
	return small
}

// MakesPairs reports whether ix can make both kinds of pair: it has images
// of two classes, and two images of one class.
func (ix *Index) MakesPairs() bool { return makesPairs(ix.ClassCounts()) }

// makesPairs says whether images of classes of these sizes make both kinds
// of pair: two classes with an image, and a class with two.
func makesPairs(sizes []int) bool {
	classes, two := 0, false
	for _, n := range sizes {
		if n > 0 {
			classes++
		}
		two = two || n >= 2
	}
	return classes >= 2 && two
}

// Small folders (step 2b of the rule in the package documentation): a
// class with fewer than two images in a part gives that part two instead
// once it has smallValMin images (validation) or smallTestMin (test), so
// that it keeps at least half of them, and two, for training.
const (
	smallValMin  = 4
	smallTestMin = 8
)

// smallFolderCounts is how many of a class's n items go to validation and
// test in a folder whose classes are too small for splitCounts to give
// the validation part pairs.
func smallFolderCounts(n int, val, test float64) (nVal, nTest int) {
	_, nVal, nTest = splitCounts(n, val, test)
	if nVal < 2 {
		nVal = 0
		if n >= smallValMin {
			nVal = 2
		}
	}
	if nTest < 2 {
		nTest = 0
		if test > 0 && n >= smallTestMin {
			nTest = 2
		}
	}
	// Fractions of a third or more could still take too much: test gives
	// way first, then validation, until two training items remain.
	for n >= 2 && nVal+nTest > n-2 {
		if nTest > 0 {
			nTest--
		} else {
			nVal--
		}
	}
	return nVal, nTest
}

// classKey is the FNV-1a hash of a class name, the second PCG seed word.
func classKey(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// shuffle permutes s by Fisher–Yates with draws from src.
func shuffle(s []int, src rand.Source) {
	for i := len(s) - 1; i > 0; i-- {
		j := int(uniformBelow(src, uint64(i)+1))
		s[i], s[j] = s[j], s[i]
	}
}

// uniformBelow returns a uniform value in [0, n), n > 0, by Lemire's
// multiply-shift method: the high word of x·n is uniform once the low word's
// biased range (below 2^64 mod n) is rejected. It is written out rather than
// taken from rand.Rand so that the split rule is fixed by this code alone.
func uniformBelow(src rand.Source, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		threshold := -n % n // 2^64 mod n
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}

// Split modes: hold out whole classes, or a share of every class's images.
const (
	SplitClasses = "classes"
	SplitImages  = "images"
	SplitAuto    = "auto"
)

// SplitModes lists the values of --split.
func SplitModes() []string { return []string{SplitAuto, SplitClasses, SplitImages} }

// The rule of ChooseSplit: enough classes to hold some out and still learn
// from many, or classes too small to give each part an image.
const (
	autoMinClasses     = 30
	autoSmallClassSize = 10
	minClassSplitTotal = 6 // 2 train, 2 validation, 2 test classes
)

// ChooseSplit picks the split mode for ix under --split auto and says why in
// a phrase a user can read: classes when ix has at least 30 classes, or when
// its median class has fewer than 10 images (too few to give every part an
// image of each class) and at least 6 classes exist; images otherwise.
func (ix *Index) ChooseSplit() (mode, why string) {
	counts := ix.ClassCounts()
	sorted := slices.Clone(counts)
	slices.Sort(sorted)
	median := 0
	if len(sorted) > 0 {
		median = sorted[len(sorted)/2]
	}
	switch {
	case len(counts) >= autoMinClasses:
		return SplitClasses, fmt.Sprintf("%d classes (>= %d): whole classes are held out, so validation and eval measure classes the model never saw", len(counts), autoMinClasses)
	case median < autoSmallClassSize && len(counts) >= minClassSplitTotal:
		return SplitClasses, fmt.Sprintf("the median class has %d images (< %d), too few to hold out images of every class", median, autoSmallClassSize)
	}
	if median < autoSmallClassSize {
		return SplitImages, fmt.Sprintf("%d classes, too few to hold whole classes out (a class split needs %d), though the median class has only %d images: a share of every class's images is held out, so validation and eval measure the classes trained on", len(counts), minClassSplitTotal, median)
	}
	return SplitImages, fmt.Sprintf("%d classes (< %d) with a median of %d images: a share of every class's images is held out, so validation and eval measure the classes trained on", len(counts), autoMinClasses, median)
}

// SplitByClass divides ix into train, validation and test parts made of
// whole classes, by the exact rule in the package documentation: about
// val and test of the classes (at least 2 each when the fraction is not 0)
// are held out, chosen by a seeded hash of their names.
func (ix *Index) SplitByClass(val, test float64, seed uint64) (train, valIx, testIx *Index, err error) {
	if err := checkFraction("validation", val); err != nil {
		return nil, nil, nil, err
	}
	if err := checkFraction("test", test); err != nil {
		return nil, nil, nil, err
	}
	n := len(ix.Classes)
	nVal, nTest := heldOutClasses(n, val), heldOutClasses(n, test)
	if n-nVal-nTest < 2 {
		return nil, nil, nil, fmt.Errorf("split %s by class: %d classes leave %d for training after %d validation and %d test classes; a class split needs at least %d classes (use --split images)", ix.Root, n, n-nVal-nTest, nVal, nTest, minClassSplitTotal)
	}
	order := make([]int, n)
	keys := make([]uint64, n)
	for c := range order {
		order[c] = c
		keys[c] = rand.NewPCG(seed, classKey(ix.Classes[c])).Uint64()
	}
	// Ranking by a per-class key rather than shuffling positions means a
	// class added later does not move the others between parts.
	slices.SortFunc(order, func(a, b int) int {
		if keys[a] != keys[b] {
			if keys[a] < keys[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(ix.Classes[a], ix.Classes[b])
	})
	part := make([]int, n) // 0 train, 1 validation, 2 test
	for k, c := range order {
		switch {
		case k < nTest:
			part[c] = 2
		case k < nTest+nVal:
			part[c] = 1
		}
	}
	for _, it := range ix.Items {
		if it.Class < 0 || it.Class >= n {
			return nil, nil, nil, fmt.Errorf("split %s: item %s has class %d, outside the %d classes", ix.Root, it.Path, it.Class, n)
		}
	}
	train, valIx, testIx = ix.partition(func(i int) int { return part[ix.Items[i].Class] })
	return train, valIx, testIx, nil
}

// heldOutClasses is round(f·n), raised to 2 when f > 0 so that the part can
// form dissimilar pairs.
func heldOutClasses(n int, f float64) int {
	if f == 0 {
		return 0
	}
	return max(int(math.Round(f*float64(n))), 2)
}

// SplitBy splits ix by mode (SplitClasses or SplitImages).
func (ix *Index) SplitBy(mode string, val, test float64, seed uint64) (train, valIx, testIx *Index, err error) {
	switch mode {
	case SplitClasses:
		return ix.SplitByClass(val, test, seed)
	case SplitImages, "":
		return ix.Split(val, test, seed)
	}
	return nil, nil, nil, fmt.Errorf("unknown split mode %q (valid: %s, %s)", mode, SplitClasses, SplitImages)
}

// Fingerprint identifies the part's file list: the first 16 hex digits of
// the SHA-256 of its item paths and class names. A model stores the
// fingerprint of each part, so that eval can tell when a folder no longer
// gives the split the model was trained with.
func (ix *Index) Fingerprint() string {
	h := sha256.New()
	for _, it := range ix.Items {
		class := ""
		if it.Class >= 0 && it.Class < len(ix.Classes) {
			class = ix.Classes[it.Class]
		}
		fmt.Fprintf(h, "%s\x00%s\n", class, it.Path)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// ClassNames returns the names of the classes that have items in ix, in
// class order.
func (ix *Index) ClassNames() []string {
	var out []string
	for c, n := range ix.ClassCounts() {
		if n > 0 {
			out = append(out, ix.Classes[c])
		}
	}
	return out
}
