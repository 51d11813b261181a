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
func (l Loader) resize(img image.Image) *image.NRGBA {
	s := l.Size
	switch l.Resize {
	case ResizeCrop:
		return imaging.Fill(img, s, s, imaging.Center, imaging.Linear)
	case ResizePad:
		b := img.Bounds()
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
