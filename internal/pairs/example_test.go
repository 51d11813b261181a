package pairs_test

import (
	"fmt"

	"github.com/siamese-dev/siamese/internal/pairs"
)

func ExampleSampler_Draw() {
	// Images 0-2 are cats, 3-4 dogs, 5 the only bird.
	labels := []int{0, 0, 0, 1, 1, 2}
	s, err := pairs.NewSampler(labels, 2024)
	if err != nil {
		panic(err)
	}
	fmt.Println("single-image classes:", s.SingletonClasses())
	similar := 0
	for _, p := range s.Draw(5) {
		if p.Similar {
			similar++
		}
	}
	fmt.Println("similar pairs out of 5:", similar)
	// Output:
	// single-image classes: [2]
	// similar pairs out of 5: 3
}
