package dataset

import (
	"image"
	"image/color"

	"github.com/disintegration/imaging"
)

// Resize modes: how a W×H picture becomes a Size×Size network input.
const (
	// ResizeSquash stretches the picture to Size×Size, changing its aspect
	// ratio: right for pictures that are square already (digits, icons).
	ResizeSquash = "squash"
	// ResizeCrop scales the shorter side to Size and keeps the centre
	// Size×Size: shapes keep their proportions, the edges of the longer
	// side are lost. The default for photos.
	ResizeCrop = "crop"
	// ResizePad scales the longer side to Size and fills the rest with the
	// mean colour of the scaled picture's border: nothing is lost, nothing
	// distorted, at the cost of some pixels carrying no picture.
	ResizePad = "pad"
)

// ResizeModes lists the resize modes for help and error messages.
func ResizeModes() []string { return []string{ResizeSquash, ResizeCrop, ResizePad} }

func validResize(m string) bool {
	return m == "" || m == ResizeSquash || m == ResizeCrop || m == ResizePad
}

// resize turns img into the Size×Size picture the network sees, by the
// Loader's Resize mode ("" is squash, what models without a mode were
// trained with). The filter is bilinear in every mode.
//
// Alpha is dropped first, so every pixel keeps the colour stored in the
// file, as PIL's convert("RGB") keeps it. Left in, the filter would weight
// colours by alpha and turn a transparent background black, but only when
// the picture had to be resized: an icon and its own double-size copy came
// out different.
//
// No step holds much more than the decoded picture or Size×Size×4: a
// picture far thinner than Size (1×100,000 pixels, a few hundred bytes of
// PNG) would otherwise be stretched to Size pixels wide at its full height
// before being shrunk, gigabytes for one image.
//
// owned says img is the caller's to change (freshly decoded), so alpha is
// dropped in place rather than in a copy of the picture.
func (l Loader) resize(img image.Image, owned bool) *image.NRGBA {
	img = withoutAlpha(img, owned)
	s := l.Size
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	// bound is the most pixels a step may hold: the decoded picture's, or
	// four times the output's.
	bound := max(int64(w)*int64(h), 4*int64(s)*int64(s))
	switch l.Resize {
	case ResizeCrop:
		short, long := min(w, h), max(w, h)
		// imaging.Fill scales a picture under 100 pixels a side to cover
		// Size×Size before it crops; that cover is Size × Size·long/short.
		if int64(s)*int64(s)*int64(long)/int64(short) > bound {
			return imaging.Resize(imaging.CropCenter(img, short, short), s, s, imaging.Linear)
		}
		return imaging.Fill(img, s, s, imaging.Center, imaging.Linear)
	case ResizePad:
		// Both sides shrink to at most Size, so no step is larger than
		// the picture or Size×Size.
		w, h := s, s
		if b.Dx() >= b.Dy() {
			h = max(1, (b.Dy()*s+b.Dx()/2)/b.Dx())
		} else {
			w = max(1, (b.Dx()*s+b.Dy()/2)/b.Dy())
		}
		small := imaging.Resize(img, w, h, imaging.Linear)
		out := imaging.New(s, s, borderMean(small))
		return imaging.Paste(out, small, image.Pt((s-w)/2, (s-h)/2))
	}
	// imaging.Resize scales the width first, to a Size×H picture; when
	// that is too large (a tall picture narrower than Size), the height
	// goes first.
	if w != s && h != s && int64(s)*int64(h) > bound {
		return imaging.Resize(imaging.Resize(img, w, s, imaging.Linear), s, s, imaging.Linear)
	}
	return imaging.Resize(img, s, s, imaging.Linear)
}

// borderMean is the mean colour of the outermost pixels of img: the
// background a picture most likely sits on, so padding with it adds no edge
// the network could mistake for content.
func borderMean(img *image.NRGBA) color.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var sum [4]int
	n := 0
	add := func(x, y int) {
		p := img.Pix[y*img.Stride+4*x:]
		for c := range 4 {
			sum[c] += int(p[c])
		}
		n++
	}
	for x := range w {
		add(x, 0)
		if h > 1 {
			add(x, h-1)
		}
	}
	for y := 1; y < h-1; y++ {
		add(0, y)
		if w > 1 {
			add(w-1, y)
		}
	}
	return color.NRGBA{uint8((sum[0] + n/2) / n), uint8((sum[1] + n/2) / n), uint8((sum[2] + n/2) / n), uint8((sum[3] + n/2) / n)}
}

// withoutAlpha returns img with every pixel fully opaque and its stored
// colour kept; an opaque img is returned as it is. When owned, the common
// decoded kinds (8- and 16-bit non-premultiplied RGBA) are changed in
// place: a copy of a 50-megapixel picture is 200 MB more.
func withoutAlpha(img image.Image, owned bool) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	switch m := img.(type) {
	case *image.NRGBA:
		if owned {
			setBytes(m.Pix, m.Rect.Dx(), m.Rect.Dy(), m.Stride, 4, 3, 1)
			return m
		}
	case *image.NRGBA64:
		if owned {
			setBytes(m.Pix, m.Rect.Dx(), m.Rect.Dy(), m.Stride, 8, 6, 2)
			return m
		}
	case *image.Paletted:
		// The palette is small: a copy of it, opaque, over the same pixels.
		pal := make(color.Palette, len(m.Palette))
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			n.A = 255
			pal[i] = n
		}
		return &image.Paletted{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect, Palette: pal}
	}
	out := imaging.Clone(img)
	setBytes(out.Pix, out.Rect.Dx(), out.Rect.Dy(), out.Stride, 4, 3, 1)
	return out
}

// setBytes sets to 0xff the n bytes at offset at of every pixel of size
// bytes in a w×h picture laid out with stride: its alpha.
func setBytes(pix []uint8, w, h, stride, size, at, n int) {
	for y := range h {
		row := pix[y*stride : y*stride+w*size]
		for x := 0; x < len(row); x += size {
			for k := range n {
				row[x+at+k] = 0xff
			}
		}
	}
}
