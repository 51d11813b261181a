package siamese_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log"
	"math"

	"github.com/siamese-dev/siamese"
)

// linearPull is a loss of the caller's own: like the contrastive loss, but
// similar pairs are pulled in with a force that does not fade as they come
// close. Per pair: y·d + (1-y)·max(m-d, 0)², averaged over the batch.
type linearPull struct{ margin float64 }

func (linearPull) Name() string { return "linear-pull" }

func (l linearPull) Value(d, y []float32) float64 {
	var sum float64
	for i := range d {
		gap := math.Max(l.margin-float64(d[i]), 0)
		sum += float64(y[i])*float64(d[i]) + (1-float64(y[i]))*gap*gap
	}
	return sum / float64(len(d))
}

// Grad is the derivative of Value with respect to each distance:
// (y - 2·(1-y)·max(m-d, 0)) / n.
func (l linearPull) Grad(d, y []float32) []float32 {
	g := make([]float32, len(d))
	for i := range d {
		gap := math.Max(l.margin-float64(d[i]), 0)
		g[i] = float32((float64(y[i]) - 2*(1-float64(y[i]))*gap) / float64(len(d)))
	}
	return g
}

// square draws a light square of side s on a dark 28×28 image.
func square(s int) image.Image {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := 14 - s/2; y < 14+s/2; y++ {
		for x := 14 - s/2; x < 14+s/2; x++ {
			img.SetGray(x, y, color.Gray{Y: 220})
		}
	}
	return img
}

// Train with a loss of your own on the built-in Fashion-MNIST sample, then
// compare two images. One short epoch keeps the example fast; a real run
// uses the defaults (10 epochs of 20000 pairs).
func Example_customLoss() {
	m, sum, err := siamese.Train(context.Background(), siamese.Options{
		Loss:          linearPull{margin: 1},
		Margin:        1,
		Epochs:        1,
		PairsPerEpoch: 128,
		ValPairs:      64,
		Seed:          1,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s loss, %d epoch of %d pairs\n", sum.Loss, sum.Epochs, sum.Pairs)

	d, _, err := m.Compare(square(10), square(12))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("distance is finite:", !math.IsNaN(d) && !math.IsInf(d, 0))
	// Output:
	// linear-pull loss, 1 epoch of 128 pairs
	// distance is finite: true
}

// Losses by name, as `siamese train --loss` takes them.
func ExampleLossByName() {
	l, err := siamese.LossByName("huber", siamese.LossParams{Margin: 2, Delta: 0.5})
	if err != nil {
		log.Fatal(err)
	}
	// A similar pair at distance 0.25 (residual ½a² = 0.03125) and a
	// dissimilar one at 1 (residual 1 beyond delta: 0.5·(1-0.25) = 0.375).
	d, y := []float32{0.25, 1}, []float32{1, 0}
	fmt.Println(l.Name(), l.Value(d, y), l.Grad(d, y))
	// Output:
	// huber 0.203125 [0.125 -0.25]
}

// A data set held in memory trains like a folder.
func ExampleTrain_inMemory() {
	var classes []siamese.Class
	for _, size := range []int{6, 12, 20} {
		c := siamese.Class{Name: fmt.Sprintf("square-%d", size)}
		for range 10 {
			c.Images = append(c.Images, square(size))
		}
		classes = append(classes, c)
	}
	_, sum, err := siamese.Train(context.Background(), siamese.Options{
		Classes:       classes,
		Layers:        []siamese.Layer{{Kind: "conv", Filters: 4}, {Kind: "relu"}, {Kind: "maxpool"}, {Kind: "dense", Units: 8}},
		Epochs:        1,
		BatchSize:     8,
		PairsPerEpoch: 16,
		ValPairs:      8,
		Split:         "images",
		ValSplit:      0.2,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Data, sum.Classes, "classes,", sum.TrainImages, "train /", sum.ValImages, "val /", sum.TestImages, "test images")
	// Output:
	// memory 3 classes, 21 train / 6 val / 3 test images
}
