package verify

import (
	"cmp"
	"image"
	"image/color"
	"slices"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/pairs"
	"github.com/siamese-dev/siamese/internal/plot"
)

// maxMistakes is how many of each kind mistakes.png shows.
const maxMistakes = 12

// mistakes returns the wrongly judged pairs, worst first within each kind:
// false accepts by increasing distance (the most confidently wrong first),
// false rejects by decreasing distance. row maps an item to its row in im.
func mistakes(ps []pairs.Pair, dist []float64, thr float64, items []dataset.Item, classes []string, im *dataset.Images, row []int) []plot.Mistake {
	var fa, fr []int
	for i, p := range ps {
		switch {
		case !p.Similar && dist[i] < thr:
			fa = append(fa, i)
		case p.Similar && dist[i] >= thr:
			fr = append(fr, i)
		}
	}
	slices.SortStableFunc(fa, func(a, b int) int { return cmp.Compare(dist[a], dist[b]) })
	slices.SortStableFunc(fr, func(a, b int) int { return cmp.Compare(dist[b], dist[a]) })
	var out []plot.Mistake
	// Pairs are drawn with replacement, so one pair of images can be
	// drawn many times: each is one entry, with the times it was drawn,
	// and every distinct pair is handed on (the chart shows the worst and
	// counts them all; it said 12 false rejects where eval counted 13).
	// Only the shown ones need their pictures.
	at := map[[2]int]int{} // pair → its entry in out
	add := func(idx []int) {
		kept := 0
		for _, i := range idx {
			p := ps[i]
			key := [2]int{min(p.A, p.B), max(p.A, p.B)}
			if k, ok := at[key]; ok {
				out[k].Drawn++
				continue
			}
			at[key] = len(out)
			m := plot.Mistake{ClassA: classes[items[p.A].Class], ClassB: classes[items[p.B].Class],
				Distance: dist[i], Similar: p.Similar, Drawn: 1}
			if kept < maxMistakes {
				m.A, m.B = asImage(im, row[p.A]), asImage(im, row[p.B])
				kept++
			}
			out = append(out, m)
		}
	}
	add(fa)
	add(fr)
	return out
}

// asImage turns image i of im (values in [0, 1], C×H×W) back into pixels:
// what the model saw, after resizing and any conversion to gray.
func asImage(im *dataset.Images, i int) image.Image {
	x, s := im.Image(i), im.Size // exact: bytes/255 round back to the bytes
	px := func(v float32) uint8 { return uint8(min(max(v, 0), 1)*255 + 0.5) }
	if im.Channels == 1 {
		g := image.NewGray(image.Rect(0, 0, s, s))
		for k, v := range x {
			g.Pix[k] = px(v)
		}
		return g
	}
	rgb := image.NewRGBA(image.Rect(0, 0, s, s))
	plane := s * s
	for k := range plane {
		rgb.Set(k%s, k/s, color.RGBA{R: px(x[k]), G: px(x[plane+k]), B: px(x[2*plane+k]), A: 255})
	}
	return rgb
}
