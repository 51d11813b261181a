//go:build ignore

// generate writes the few-shot fixture: 60 classes of 2 to 4 images and 2
// classes of one image, 16×16 gray PNGs. A class is a polygon (3 to 7
// sides) at one of 12 turns within its symmetry; its images move, grow and shade it a little,
// as a few photos of one thing would. Run from the repository root:
//
//	go run testdata/fewshot/generate.go
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

const size = 16

func main() {
	out := filepath.Join("testdata", "fewshot")
	rng := rand.New(rand.NewPCG(1, 2))
	for c := range 62 {
		sides := 3 + c%5
		turn := float64(c/5%12) * 2 * math.Pi / float64(sides) / 12
		n := 2 + c%3 // 2, 3 or 4 images
		if c >= 60 {
			n = 1 // classes of one image: negatives only
		}
		name := fmt.Sprintf("shape%02d", c)
		if err := os.MkdirAll(filepath.Join(out, name), 0o755); err != nil {
			panic(err)
		}
		for i := range n {
			dx, dy := rng.Float64()*2-1, rng.Float64()*2-1
			r := 5.5 + rng.Float64()
			shade := uint8(200 + rng.IntN(56))
			img := polygon(sides, turn, r, dx, dy, shade)
			f, err := os.Create(filepath.Join(out, name, fmt.Sprintf("%d.png", i)))
			if err != nil {
				panic(err)
			}
			if err := png.Encode(f, img); err != nil {
				panic(err)
			}
			f.Close()
		}
	}
}

// polygon draws a filled regular polygon centred near the middle.
func polygon(sides int, turn, r, dx, dy float64, shade uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, size, size))
	cx, cy := size/2-0.5+dx, size/2-0.5+dy
	for y := range size {
		for x := range size {
			px, py := float64(x)-cx, float64(y)-cy
			// Inside when on the inner side of every edge.
			inside := true
			for k := range sides {
				a := turn + 2*math.Pi*float64(k)/float64(sides)
				b := turn + 2*math.Pi*float64(k+1)/float64(sides)
				ax, ay := r*math.Cos(a), r*math.Sin(a)
				bx, by := r*math.Cos(b), r*math.Sin(b)
				if (bx-ax)*(py-ay)-(by-ay)*(px-ax) < 0 {
					inside = false
					break
				}
			}
			if inside {
				img.SetGray(x, y, color.Gray{Y: shade})
			}
		}
	}
	return img
}
