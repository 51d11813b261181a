package linalg

import (
	"fmt"
	"testing"
)

// TestTranspose covers shapes below, at and past the 8×8 blocks, with
// strides wider than the rows, against the definition.
func TestTranspose(t *testing.T) {
	for _, tc := range []struct{ rows, cols, lds, ldd int }{
		{1, 1, 1, 1}, {3, 5, 5, 3}, {8, 8, 8, 8}, {9, 17, 20, 11}, {16, 3, 3, 16},
		{3, 64, 64, 3}, {64, 16, 16, 64}, {24, 40, 41, 30},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.rows, tc.cols), func(t *testing.T) {
			src := make([]float32, (tc.rows-1)*tc.lds+tc.cols)
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, (tc.cols-1)*tc.ldd+tc.rows)
			for i := range dst {
				dst[i] = -1
			}
			Transpose(tc.rows, tc.cols, src, tc.lds, dst, tc.ldd)
			for r := 0; r < tc.rows; r++ {
				for q := 0; q < tc.cols; q++ {
					if got, want := dst[q*tc.ldd+r], src[r*tc.lds+q]; got != want {
						t.Fatalf("dst[%d][%d] = %v, want %v", q, r, got, want)
					}
				}
			}
			// Gaps between rows of dst are not written.
			for q := 0; q < tc.cols; q++ {
				for r := tc.rows; r < tc.ldd && q*tc.ldd+r < len(dst); r++ {
					if dst[q*tc.ldd+r] != -1 {
						t.Fatalf("dst[%d][%d] outside the matrix written", q, r)
					}
				}
			}
		})
	}
}
