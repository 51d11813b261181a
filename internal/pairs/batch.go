package pairs

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// ClassBatches draws batches of P classes × K images for batch losses:
// every batch holds K images of each of P distinct classes, so that every
// image has positives and many classes' negatives beside it. A class with
// fewer than K images gives all of them and then repeats them in a new
// order (augmentation makes the repeats differ); a class of one image
// still serves as a negative for the others. It is not safe for concurrent
// use.
type ClassBatches struct {
	rng     *rand.Rand
	p, k    int
	members [][]int // image indices of each class, classes in label order
	labels  []int   // the label of members[c]
	order   []int   // scratch: a permutation of the classes
	perm    []int   // scratch
}

// NewClassBatches groups the images by label and seeds the draw. It fails
// when there are fewer than P classes or when P or K is below 1 (or P < 2,
// which gives no negatives).
func NewClassBatches(labels []int, p, k int, seed uint64) (*ClassBatches, error) {
	if p < 2 || k < 1 {
		return nil, fmt.Errorf("class batches need at least 2 classes and 1 image per class, got %d × %d", p, k)
	}
	byLabel := map[int][]int{}
	for i, l := range labels {
		byLabel[l] = append(byLabel[l], i)
	}
	if len(byLabel) < p {
		return nil, fmt.Errorf("a batch of %d classes × %d images needs %d classes, the data has %d; lower --batch-size or raise --images-per-class", p, k, p, len(byLabel))
	}
	b := &ClassBatches{rng: rand.New(rand.NewPCG(seed, 0x7063626174636821)), p: p, k: k}
	for l := range byLabel {
		b.labels = append(b.labels, l)
	}
	slices.Sort(b.labels)
	for _, l := range b.labels {
		b.members = append(b.members, byLabel[l])
	}
	b.order = make([]int, len(b.labels))
	return b, nil
}

// Size is the number of images in a batch, P·K.
func (b *ClassBatches) Size() int { return b.p * b.k }

// Draw fills idx and labels (each of length Size) with the next batch: the
// images of class j occupy positions j·K to (j+1)·K-1.
func (b *ClassBatches) Draw(idx, labels []int) {
	for i := range b.order {
		b.order[i] = i
	}
	// A partial Fisher–Yates shuffle picks P distinct classes.
	for j := range b.p {
		r := j + b.rng.IntN(len(b.order)-j)
		b.order[j], b.order[r] = b.order[r], b.order[j]
		c := b.order[j]
		m := b.members[c]
		b.perm = b.perm[:0]
		for len(b.perm) < b.k {
			for _, v := range b.rng.Perm(len(m)) {
				b.perm = append(b.perm, v)
			}
		}
		for s := range b.k {
			idx[j*b.k+s] = m[b.perm[s]]
			labels[j*b.k+s] = b.labels[c]
		}
	}
}
