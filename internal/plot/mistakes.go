package plot

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Mistake is one wrongly judged pair for the mistakes chart.
type Mistake struct {
	A, B           image.Image // the two images as the model saw them (any size; drawn scaled to a common cell)
	ClassA, ClassB string
	Distance       float64
	Similar        bool // the truth: true means a false reject (similar pair judged dissimilar), false a false accept
	// Drawn is how many times the evaluation drew this pair (pairs are
	// drawn with replacement); 0 counts as once. The title counts draws,
	// as eval's FP and FN do; the grid shows each pair once.
	Drawn int
}

// Layout of the mistakes chart, in pixels. The chart is drawn pixel by
// pixel rather than with gonum/plot because it is a grid of images, not
// axes; its size follows from these and the number of rows of each section.
const (
	mistakeCell    = 64 // side of the square each image is scaled into; 28×28 digits become 56×56
	mistakePad     = 4  // space between the border of a pair and its images, and between the two images
	mistakeGap     = 12 // space between neighbouring pairs, across and down
	mistakeMargin  = 10 // space around the whole chart
	mistakePerRow  = 4  // pairs across; four keep the chart narrow enough for a report page
	mistakeLineH   = 13 // height of a line of basicfont.Face7x13
	mistakeAscent  = 11 // its ascent, from the top of a line to the baseline
	mistakeSection = 8  // extra space above each section heading

	// A pair is a bordered box with the two images side by side, then two
	// caption lines under it: the class names, each under its image, and
	// the distance.
	mistakePairW = 1 + mistakePad + mistakeCell + mistakePad + mistakeCell + mistakePad + 1
	mistakeBoxH  = 1 + mistakePad + mistakeCell + mistakePad + 1
	mistakePairH = mistakeBoxH + 2 + 2*mistakeLineH
	mistakeRowH  = mistakePairH + mistakeGap

	mistakeWidth = 2*mistakeMargin + mistakePerRow*mistakePairW + (mistakePerRow-1)*mistakeGap
)

var (
	mistakeInk    = color.Gray{Y: 0}
	mistakeBorder = color.Gray{Y: 160}
	// The section headings take the colours of the distance histogram, so
	// that false accepts (dissimilar pairs) read as the same kind there and here.
	mistakeAcceptColor = dissimilarColor
	mistakeRejectColor = similarColor
)

// mistakeRows is the number of grid rows that n drawn pairs take; an empty
// section still takes one text line for its "none".
func mistakeRows(n int) int {
	return (n + mistakePerRow - 1) / mistakePerRow
}

// mistakeSectionH is the height of a section with n drawn pairs: its
// heading and either the rows of pairs or a line saying "none".
func mistakeSectionH(n int) int {
	h := mistakeSection + mistakeLineH + mistakeGap/2
	if n == 0 {
		return h + mistakeLineH
	}
	return h + mistakeRows(n)*mistakeRowH - mistakeGap
}

// mistakeHeight is the height of the chart with nAccept false accepts and
// nReject false rejects drawn.
func mistakeHeight(nAccept, nReject int) int {
	return mistakeMargin + mistakeLineH + mistakeSectionH(nAccept) + mistakeSectionH(nReject) + mistakeMargin
}

// mistakeImageOrigin is the top-left corner of the cell of image side
// (0 for A, 1 for B) of the i-th pair of a section whose grid starts at top.
func mistakeImageOrigin(top, i, side int) image.Point {
	x := mistakeMargin + (i%mistakePerRow)*(mistakePairW+mistakeGap) + 1 + mistakePad + side*(mistakeCell+mistakePad)
	y := top + (i/mistakePerRow)*mistakeRowH + 1 + mistakePad
	return image.Pt(x, y)
}

// Mistakes draws the worst false accepts and false rejects as a PNG: two
// sections ("false accepts: different classes judged similar" and "false
// rejects: same class judged dissimilar"), each a grid of pairs side by side
// with a caption under each pair giving the distance and the class names,
// and a title line with the threshold. Pass the mistakes already ordered
// worst first; the function draws at most maxPerKind of each kind (only
// those need images) and counts the rest. An empty kind says "none" in its
// section.
func Mistakes(w io.Writer, mistakes []Mistake, threshold float64, maxPerKind int) error {
	if maxPerKind < 1 {
		return fmt.Errorf("mistakes chart: at most %d pairs of each kind, want at least 1", maxPerKind)
	}
	// Only the pairs drawn need their images: the others are counted.
	var accepts, rejects []Mistake
	for i, m := range mistakes {
		kind := &accepts
		if m.Similar {
			kind = &rejects
		}
		if len(*kind) < maxPerKind {
			if err := checkMistakeImage(m.A); err != nil {
				return fmt.Errorf("mistakes chart: pair %d: image A: %w", i, err)
			}
			if err := checkMistakeImage(m.B); err != nil {
				return fmt.Errorf("mistakes chart: pair %d: image B: %w", i, err)
			}
		}
		*kind = append(*kind, m)
	}
	title := mistakesTitle(threshold, accepts, rejects)
	nAccept, nReject := len(accepts), len(rejects)
	accepts = accepts[:min(nAccept, maxPerKind)]
	rejects = rejects[:min(nReject, maxPerKind)]

	img := image.NewRGBA(image.Rect(0, 0, mistakeWidth, mistakeHeight(len(accepts), len(rejects))))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	y := mistakeMargin
	drawText(img, mistakeMargin, y, mistakeInk, title)
	y += mistakeLineH
	y = drawMistakeSection(img, y, "false accepts: different classes judged similar", mistakeAcceptColor, accepts, nAccept)
	drawMistakeSection(img, y, "false rejects: same class judged dissimilar", mistakeRejectColor, rejects, nReject)

	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("mistakes chart: %w", err)
	}
	return nil
}

// mistakesTitle is the chart's title line: the threshold and how many
// false accepts and rejects the evaluation drew (a pair drawn twice counts
// twice, as in eval's FP and FN).
func mistakesTitle(threshold float64, accepts, rejects []Mistake) string {
	draws := func(ms []Mistake) int {
		n := 0
		for _, m := range ms {
			n += max(m.Drawn, 1)
		}
		return n
	}
	return "worst mistakes at threshold " + short(threshold) +
		" (" + plural(draws(accepts), "false accept") + ", " + plural(draws(rejects), "false reject") + ")"
}

// plural says n things, in the singular for one.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// checkMistakeImage rejects what cannot be scaled into a cell.
func checkMistakeImage(m image.Image) error {
	if m == nil {
		return errors.New("nil image")
	}
	if m.Bounds().Empty() {
		return fmt.Errorf("empty image %v", m.Bounds())
	}
	return nil
}

// drawMistakeSection draws a section at y with the drawn pairs, of total in
// all, and returns the y where the next section starts.
func drawMistakeSection(dst *image.RGBA, y int, heading string, c color.Color, pairs []Mistake, total int) int {
	bottom := y + mistakeSectionH(len(pairs))
	y += mistakeSection
	if len(pairs) < total {
		// Say that the grid is a selection, so that a reader does not take
		// it for every mistake.
		heading += " (worst " + strconv.Itoa(len(pairs)) + " of " + strconv.Itoa(total) + " pairs)"
	}
	drawText(dst, mistakeMargin, y, c, heading)
	y += mistakeLineH + mistakeGap/2
	if len(pairs) == 0 {
		drawText(dst, mistakeMargin, y, mistakeInk, "none")
		return bottom
	}
	for i, m := range pairs {
		a := mistakeImageOrigin(y, i, 0)
		b := mistakeImageOrigin(y, i, 1)
		box := image.Rect(a.X-mistakePad-1, a.Y-mistakePad-1, b.X+mistakeCell+mistakePad+1, b.Y+mistakeCell+mistakePad+1)
		drawBorder(dst, box, mistakeBorder)
		drawScaled(dst, image.Rectangle{Min: a, Max: a.Add(image.Pt(mistakeCell, mistakeCell))}, m.A)
		drawScaled(dst, image.Rectangle{Min: b, Max: b.Add(image.Pt(mistakeCell, mistakeCell))}, m.B)

		capY := box.Max.Y + 2
		drawCentred(dst, a.X, mistakeCell, capY, mistakeInk, m.ClassA)
		drawCentred(dst, b.X, mistakeCell, capY, mistakeInk, m.ClassB)
		drawCentred(dst, box.Min.X, box.Dx(), capY+mistakeLineH, mistakeInk, "distance "+short(m.Distance))
	}
	return bottom
}

// drawScaled draws src into the square cell by nearest neighbour, keeping
// its aspect ratio and centring it. A small image is enlarged by a whole
// factor so that every source pixel becomes a block of the same size; a
// large one is shrunk to fit.
func drawScaled(dst *image.RGBA, cell image.Rectangle, src image.Image) {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	var dw, dh int
	if k := min(cell.Dx()/sw, cell.Dy()/sh); k >= 1 {
		dw, dh = k*sw, k*sh
	} else if sw >= sh {
		dw, dh = cell.Dx(), max(1, sh*cell.Dx()/sw)
	} else {
		dw, dh = max(1, sw*cell.Dy()/sh), cell.Dy()
	}
	x0 := cell.Min.X + (cell.Dx()-dw)/2
	y0 := cell.Min.Y + (cell.Dy()-dh)/2
	for y := range dh {
		sy := sb.Min.Y + y*sh/dh
		for x := range dw {
			// Set converts through the RGBA model, so a gray image stays gray.
			dst.Set(x0+x, y0+y, src.At(sb.Min.X+x*sw/dw, sy))
		}
	}
}

// drawBorder draws a one-pixel frame just inside r.
func drawBorder(dst *image.RGBA, r image.Rectangle, c color.Color) {
	u := image.NewUniform(c)
	for _, side := range []image.Rectangle{
		{Min: r.Min, Max: image.Pt(r.Max.X, r.Min.Y+1)},
		{Min: image.Pt(r.Min.X, r.Max.Y-1), Max: r.Max},
		{Min: r.Min, Max: image.Pt(r.Min.X+1, r.Max.Y)},
		{Min: image.Pt(r.Max.X-1, r.Min.Y), Max: r.Max},
	} {
		draw.Draw(dst, side, u, image.Point{}, draw.Src)
	}
}

// drawText draws s with its line's top-left corner at (x, top).
func drawText(dst *image.RGBA, x, top int, c color.Color, s string) {
	d := font.Drawer{
		Dst:  dst,
		Src:  image.NewUniform(c),
		Face: basicfont.Face7x13,
		Dot:  fixed.P(x, top+mistakeAscent),
	}
	d.DrawString(s)
}

// drawCentred draws s centred in the span of width px starting at x,
// truncated to fit it.
func drawCentred(dst *image.RGBA, x, width, top int, c color.Color, s string) {
	s = truncate(s, width)
	w := font.MeasureString(basicfont.Face7x13, s).Round()
	drawText(dst, x+(width-w)/2, top, c, s)
}

// truncate shortens s to at most width pixels of basicfont.Face7x13,
// ending it with "..." when it had to cut, so that a long class name does
// not run into its neighbour. The face has ASCII only, hence three dots
// rather than an ellipsis character.
func truncate(s string, width int) string {
	face := basicfont.Face7x13
	if font.MeasureString(face, s).Round() <= width {
		return s
	}
	const dots = "..."
	r := []rune(s)
	for n := len(r) - 1; n > 0; n-- {
		if t := string(r[:n]) + dots; font.MeasureString(face, t).Round() <= width {
			return t
		}
	}
	return dots
}
