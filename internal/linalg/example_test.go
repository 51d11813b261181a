package linalg_test

import (
	"fmt"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// A convolution's weight gradient accumulates dY·colᵀ into dW: op(B) is
// the transpose of the stored im2col matrix and beta = 1 adds to dW.
func ExampleGemm() {
	dY := []float32{ // 2 output channels × 3 positions
		1, 0, 2,
		0, 1, 1,
	}
	col := []float32{ // 2 patch elements × 3 positions, as stored
		1, 2, 3,
		4, 5, 6,
	}
	dW := []float32{ // 2×2, already holding the other branch's gradient
		10, 10,
		10, 10,
	}
	linalg.Gemm(false, true, 2, 2, 3, 1, dY, 3, col, 3, 1, dW, 2)
	fmt.Println(dW)
	// Output: [17 26 15 21]
}
