package pairs

import (
	"testing"
)

func TestClassBatches(t *testing.T) {
	// Class 0 has 5 images, class 1 has 2, class 2 has 1, class 3 has 3.
	labels := []int{0, 0, 0, 0, 0, 1, 1, 2, 3, 3, 3}
	tests := []struct {
		name string
		p, k int
	}{
		{"2x3", 2, 3},
		{"4x2", 4, 2},
		{"3x4 repeats small classes", 3, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewClassBatches(labels, tc.p, tc.k, 1)
			if err != nil {
				t.Fatal(err)
			}
			idx, lab := make([]int, b.Size()), make([]int, b.Size())
			for range 50 {
				b.Draw(idx, lab)
				seen := map[int]bool{}
				for j := range tc.p {
					c := lab[j*tc.k]
					if seen[c] {
						t.Fatalf("class %d twice in one batch: %v", c, lab)
					}
					seen[c] = true
					count := map[int]int{}
					for s := range tc.k {
						i := idx[j*tc.k+s]
						if labels[i] != c || lab[j*tc.k+s] != c {
							t.Fatalf("slot %d: image %d of class %d in the block of class %d", j*tc.k+s, i, labels[i], c)
						}
						count[i]++
					}
					// An image repeats only once its class is used up.
					size := 0
					for _, l := range labels {
						if l == c {
							size++
						}
					}
					for i, n := range count {
						if max := (tc.k + size - 1) / size; n > max {
							t.Fatalf("image %d drawn %d times in a block of %d from a class of %d", i, n, tc.k, size)
						}
					}
				}
			}
		})
	}
	if _, err := NewClassBatches(labels, 5, 2, 1); err == nil {
		t.Fatal("5 classes from 4: no error")
	}
}

func TestClassBatchesDeterministic(t *testing.T) {
	labels := []int{0, 0, 1, 1, 2, 2, 3, 3}
	draw := func() []int {
		b, _ := NewClassBatches(labels, 2, 2, 42)
		idx, lab := make([]int, 4), make([]int, 4)
		var all []int
		for range 10 {
			b.Draw(idx, lab)
			all = append(all, idx...)
		}
		return all
	}
	a, c := draw(), draw()
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("draw %d differs: %d vs %d", i, a[i], c[i])
		}
	}
}
