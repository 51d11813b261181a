package plot

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"io"
	"strconv"
	"testing"
)

var (
	red  = color.RGBA{R: 255, A: 255}
	blue = color.RGBA{B: 255, A: 255}
)

// solid is a w×h RGBA image of colour c.
func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

// digit is a 28×28 gray image like an MNIST digit: a bright bar on black.
func digit() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := 4; y < 24; y++ {
		for x := 12; x < 16; x++ {
			img.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	return img
}

// ring is a 28×28 gray image of a bright ring on black, like a zero.
func ring() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := range 28 {
		for x := range 28 {
			if d := (x-14)*(x-14) + (y-14)*(y-14); d >= 49 && d <= 100 {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return img
}

// mistakeSet makes nAccept false accepts and nReject false rejects of
// digit-like images, worst first, some with class names too long for a
// caption, so that a kept chart shows what a real one looks like.
func mistakeSet(nAccept, nReject int) []Mistake {
	var ms []Mistake
	for i := range nAccept {
		ms = append(ms, Mistake{A: digit(), B: ring(),
			ClassA: "1", ClassB: "0", Distance: 0.1 + 0.05*float64(i)})
		if i%2 == 1 {
			ms[len(ms)-1].ClassA, ms[len(ms)-1].ClassB = "bicycle-with-basket", "motorbike"
		}
	}
	for i := range nReject {
		ms = append(ms, Mistake{A: ring(), B: solid(20, 28, color.RGBA{R: 200, G: 60, B: 60, A: 255}),
			ClassA: "0", ClassB: "0", Distance: 2 - 0.1*float64(i), Similar: true})
	}
	return ms
}

// wantMistakeHeight is the chart height for the given grid rows of each
// section, worked out from the layout independently of mistakeHeight: a
// title line, then per section a gap, a heading, half a gap and either the
// rows (with gaps between them) or one "none" line.
func wantMistakeHeight(rowsAccept, rowsReject int) int {
	section := func(rows int) int {
		h := mistakeSection + mistakeLineH + mistakeGap/2
		if rows == 0 {
			return h + mistakeLineH
		}
		return h + rows*mistakePairH + (rows-1)*mistakeGap
	}
	return 2*mistakeMargin + mistakeLineH + section(rowsAccept) + section(rowsReject)
}

func TestMistakesSize(t *testing.T) {
	for _, tc := range []struct {
		nAccept, nReject, max  int
		rowsAccept, rowsReject int
	}{
		{0, 0, 4, 0, 0},
		{1, 0, 4, 1, 0},
		{0, 1, 4, 0, 1},
		{1, 1, 4, 1, 1},
		{5, 5, 4, 1, 1}, // four drawn of each: one full row
		{5, 1, 4, 1, 1},
		{0, 5, 4, 0, 1},
		{5, 5, 5, 2, 2}, // the fifth pair starts a second row
		{9, 0, 9, 3, 0},
		{9, 9, 1, 1, 1},
	} {
		name := "mistakes-" + strconv.Itoa(tc.nAccept) + "-" + strconv.Itoa(tc.nReject) + "-max" + strconv.Itoa(tc.max) + ".png"
		ms := mistakeSet(tc.nAccept, tc.nReject)
		render(t, name, func(w io.Writer) error { return Mistakes(w, ms, 0.75, tc.max) },
			mistakeWidth, wantMistakeHeight(tc.rowsAccept, tc.rowsReject))
	}
}

// TestMistakesPlacement checks that each image lands in the cell the layout
// gives it, in its own colour, and that cells past the last pair stay white.
func TestMistakesPlacement(t *testing.T) {
	gray := color.Gray{Y: 100}
	for _, tc := range []struct {
		name     string
		mistakes []Mistake
		max      int
		acceptA  color.Color // expected colour of the first false accept's A, or nil for none drawn
		rejectA  color.Color // the same for the first false reject's A
		rejectB  color.Color
	}{
		{
			name: "rgba both kinds",
			mistakes: []Mistake{
				{A: solid(28, 28, red), B: solid(28, 28, blue), ClassA: "3", ClassB: "8", Distance: 0.2},
				{A: solid(28, 28, red), B: solid(10, 20, blue), ClassA: "7", ClassB: "7", Distance: 1.9, Similar: true},
			},
			max: 4, acceptA: red, rejectA: red, rejectB: blue,
		},
		{
			name: "gray reject only",
			mistakes: []Mistake{
				{A: solid(28, 28, gray), B: digit(), ClassA: "4", ClassB: "4", Distance: 1.4, Similar: true},
			},
			max: 4, rejectA: gray, rejectB: color.Gray{Y: 255}, // the centre of the digit's cell is on its bar
		},
		{
			name: "large and non-square images",
			mistakes: []Mistake{
				{A: solid(300, 100, red), B: solid(5, 40, blue), ClassA: "a", ClassB: "b", Distance: 0.01},
				{A: solid(1, 1, red), B: solid(100, 300, blue), ClassA: "a", ClassB: "a", Distance: 3, Similar: true},
			},
			max: 1, acceptA: red, rejectA: red, rejectB: blue,
		},
	} {
		var nAccept, nReject int
		for _, m := range tc.mistakes {
			if m.Similar {
				nReject++
			} else {
				nAccept++
			}
		}
		nAccept, nReject = min(nAccept, tc.max), min(nReject, tc.max)
		img := render(t, "mistakes-"+tc.name+".png", func(w io.Writer) error { return Mistakes(w, tc.mistakes, 0.5, tc.max) },
			mistakeWidth, mistakeHeight(nAccept, nReject))

		// Each grid starts under its section's gap, heading and half a gap;
		// the false-reject section starts under the false-accept one.
		head := mistakeSection + mistakeLineH + mistakeGap/2
		acceptTop := mistakeMargin + mistakeLineH + head
		rejectTop := mistakeMargin + mistakeLineH + mistakeSectionH(nAccept) + head
		centre := image.Pt(mistakeCell/2, mistakeCell/2)
		check := func(what string, top, i, side int, want color.Color) {
			t.Helper()
			p := mistakeImageOrigin(top, i, side).Add(centre)
			if !sameColor(img.At(p.X, p.Y), want) {
				t.Errorf("%s: %s at %v is %v, want %v", tc.name, what, p, img.At(p.X, p.Y), want)
			}
		}
		if tc.acceptA != nil {
			check("first false accept A", acceptTop, 0, 0, tc.acceptA)
			check("first false accept B", acceptTop, 0, 1, blue)
			check("cell after the last false accept", acceptTop, nAccept, 0, color.White)
		}
		check("first false reject A", rejectTop, 0, 0, tc.rejectA)
		check("first false reject B", rejectTop, 0, 1, tc.rejectB)
		check("cell after the last false reject", rejectTop, nReject, 0, color.White)
	}
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1>>8 == r2>>8 && g1>>8 == g2>>8 && b1>>8 == b2>>8 && a1>>8 == a2>>8
}

// TestDrawScaled checks where an image of each shape lands in a 64-pixel
// cell: small ones enlarged by a whole factor, large ones shrunk to fit,
// both centred with their aspect ratio kept.
func TestDrawScaled(t *testing.T) {
	cell := image.Rect(0, 0, mistakeCell, mistakeCell)
	for _, tc := range []struct {
		w, h int
		want image.Rectangle
	}{
		{28, 28, image.Rect(4, 4, 60, 60)},  // ×2
		{64, 64, image.Rect(0, 0, 64, 64)},  // ×1
		{10, 20, image.Rect(17, 2, 47, 62)}, // ×3
		{1, 1, image.Rect(0, 0, 64, 64)},    // ×64
		{200, 100, image.Rect(0, 16, 64, 48)},
		{100, 400, image.Rect(24, 0, 40, 64)},
		{65, 64, image.Rect(0, 0, 64, 63)},
	} {
		dst := solid(mistakeCell, mistakeCell, color.White)
		// An offset origin checks that the source's bounds, not (0, 0), are read.
		src := solid(tc.w+3, tc.h+5, red).SubImage(image.Rect(3, 5, tc.w+3, tc.h+5))
		drawScaled(dst, cell, src)
		var got image.Rectangle
		for y := range mistakeCell {
			for x := range mistakeCell {
				if dst.RGBAAt(x, y) == red {
					got = got.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		if got != tc.want {
			t.Errorf("%dx%d drawn at %v, want %v", tc.w, tc.h, got, tc.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		s     string
		width int
		want  string
	}{
		{"", 64, ""},
		{"7", 64, "7"},
		{"123456789", 64, "123456789"}, // 9 × 7 = 63 pixels fit
		{"1234567890", 64, "123456..."},
		{"bicycle-with-basket", 64, "bicycl..."},
		{"abcdef", 20, "..."},
	} {
		if got := truncate(tc.s, tc.width); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.width, got, tc.want)
		}
	}
}

func TestMistakesErrors(t *testing.T) {
	ok := solid(2, 2, red)
	for _, tc := range []struct {
		name     string
		mistakes []Mistake
		max      int
	}{
		{"max zero", mistakeSet(1, 1), 0},
		{"max negative", nil, -1},
		{"nil A", []Mistake{{B: ok}}, 4},
		{"nil B", []Mistake{{A: ok, Similar: true}}, 4},
		{"empty image", []Mistake{{A: ok, B: image.NewGray(image.Rect(3, 3, 3, 9))}}, 4},
	} {
		var buf bytes.Buffer
		if err := Mistakes(&buf, tc.mistakes, 0.5, tc.max); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes despite the error", tc.name, buf.Len())
		}
	}
}

// TestMistakesTitleCountsDraws: the title counts every draw of every
// mistake, as eval's FP and FN do, though the grid shows each pair once
// and only the worst of them (those beyond need no images).
func TestMistakesTitleCountsDraws(t *testing.T) {
	accepts := []Mistake{{Drawn: 2}, {}}
	rejects := make([]Mistake, 13)
	if got, want := mistakesTitle(0.5, accepts, rejects), "worst mistakes at threshold 0.5 (3 false accepts, 13 false rejects)"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	var ms []Mistake
	for i := range 13 {
		m := Mistake{ClassA: "7", ClassB: "7", Distance: 2 - float64(i)/10, Similar: true}
		if i < 4 {
			m.A, m.B = solid(28, 28, color.Gray{Y: 90}), solid(28, 28, color.Gray{Y: 90})
		}
		ms = append(ms, m)
	}
	if err := Mistakes(io.Discard, ms, 0.5, 4); err != nil {
		t.Errorf("13 false rejects, images for the 4 drawn: %v", err)
	}
	if err := Mistakes(io.Discard, ms, 0.5, 5); err == nil {
		t.Error("a drawn pair without images was accepted")
	}
}
