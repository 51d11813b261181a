package dataset

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"math/rand/v2"
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

	// part[i] is where item i goes: 0 train, 1 validation, 2 test.
	part := make([]int, len(ix.Items))
	for c, members := range byClass {
		_, nVal, nTest := splitCounts(len(members), val, test)
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

	parts := [3]*Index{}
	for p := range parts {
		parts[p] = &Index{Root: ix.Root, FS: ix.FS, dir: ix.dir, Classes: append([]string(nil), ix.Classes...)}
	}
	for i, it := range ix.Items {
		parts[part[i]].Items = append(parts[part[i]].Items, it)
	}
	return parts[0], parts[1], parts[2], nil
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
