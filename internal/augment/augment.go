package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Options says how strong each variation may be; the zero value changes
// nothing.
type Options struct {
	Shift      float64 `json:"shift"`      // max translation, pixels
	Rotate     float64 `json:"rotate"`     // max rotation, degrees
	FlipH      bool    `json:"flip"`       // mirror left-right half the time
	Brightness float64 `json:"brightness"` // max relative brightness change
	// Koch et al.'s (2015) affine distortions besides rotation and shift:
	Scale float64 `json:"scale,omitempty"` // max relative zoom, e.g. 0.1 for 0.9x to 1.1x
	Shear float64 `json:"shear,omitempty"` // max horizontal shear, degrees
	// Colour variations, for colour images only: themes, cameras and
	// lighting change colours that do not change what a thing is.
	Hue  float64 `json:"hue,omitempty"`  // max hue rotation, degrees
	Gray float64 `json:"gray,omitempty"` // probability of dropping the colour
}

// Enabled reports whether any variation is on.
func (o Options) Enabled() bool {
	return o.Shift > 0 || o.Rotate > 0 || o.FlipH || o.Brightness > 0 || o.Scale > 0 || o.Shear > 0 || o.Hue > 0 || o.Gray > 0
}

// Validate checks the ranges.
func (o Options) Validate() error {
	switch {
	case !(o.Shift >= 0) || math.IsInf(o.Shift, 0):
		return fmt.Errorf("augment shift must be a finite number >= 0 pixels, got %g", o.Shift)
	case !(o.Rotate >= 0 && o.Rotate <= 180):
		return fmt.Errorf("augment rotation must be in [0, 180] degrees, got %g", o.Rotate)
	case !(o.Brightness >= 0 && o.Brightness < 1):
		return fmt.Errorf("augment brightness must be in [0, 1), got %g", o.Brightness)
	case !(o.Scale >= 0 && o.Scale < 1):
		return fmt.Errorf("augment scale must be in [0, 1), got %g", o.Scale)
	case !(o.Shear >= 0 && o.Shear < 60):
		return fmt.Errorf("augment shear must be in [0, 60) degrees, got %g", o.Shear)
	case !(o.Hue >= 0 && o.Hue <= 180):
		return fmt.Errorf("augment hue must be in [0, 180] degrees, got %g", o.Hue)
	case !(o.Gray >= 0 && o.Gray <= 1):
		return fmt.Errorf("augment gray must be a probability in [0, 1], got %g", o.Gray)
	}
	return nil
}

// Transform is one drawn variation.
type Transform struct {
	Angle         float64 // radians
	Flip          bool
	DX, DY        float64 // pixels
	Scale, Offset float64 // brightness
	Zoom          float64 // size factor; 0 means 1
	ShearX        float64 // tan of the horizontal shear angle
	Hue           float64 // hue rotation, radians (colour images)
	ToGray        bool    // replace the colour by its luminance (colour images)
}

// Draw picks a transform from rng within the options' ranges.
func (o Options) Draw(rng *rand.Rand) Transform {
	t := Transform{Scale: 1}
	u := func() float64 { return rng.Float64()*2 - 1 }
	if o.Rotate > 0 {
		t.Angle = u() * o.Rotate * math.Pi / 180
	}
	if o.FlipH {
		t.Flip = rng.IntN(2) == 1
	}
	if o.Shift > 0 {
		t.DX, t.DY = u()*o.Shift, u()*o.Shift
	}
	if o.Brightness > 0 {
		t.Scale = 1 + u()*o.Brightness
		t.Offset = u() * o.Brightness / 2
	}
	// Drawn last, so that runs without them draw exactly as before.
	if o.Scale > 0 {
		t.Zoom = 1 + u()*o.Scale
	}
	if o.Shear > 0 {
		t.ShearX = math.Tan(u() * o.Shear * math.Pi / 180)
	}
	if o.Hue > 0 {
		t.Hue = u() * o.Hue * math.Pi / 180
	}
	if o.Gray > 0 {
		t.ToGray = rng.Float64() < o.Gray
	}
	return t
}

// inverse is the back-projection of a transform on an h×w image: where
// in the source an output pixel comes from.
type inverse struct {
	cx, cy         float64 // the centre
	dx, dy, shear  float64
	cos, sin, zoom float64
	flip           bool
}

func (t Transform) inverse(h, w int) inverse {
	v := inverse{cx: float64(w-1) / 2, cy: float64(h-1) / 2, dx: t.DX, dy: t.DY, shear: t.ShearX,
		cos: math.Cos(t.Angle), sin: math.Sin(t.Angle), zoom: t.Zoom, flip: t.Flip}
	if v.zoom == 0 {
		v.zoom = 1
	}
	return v
}

// source is the source position of output pixel (x, y).
func (v *inverse) source(x, y int) (sx, sy float64) {
	// Undo the shift, then the rotation (and mirror) about the centre.
	px, py := float64(x)-v.dx-v.cx, float64(y)-v.dy-v.cy
	sx = v.cos*px + v.sin*py
	sy = -v.sin*px + v.cos*py
	// The forward map is rotate ∘ shear ∘ zoom, so undo the shear and
	// then the zoom.
	sx -= v.shear * sy
	sx, sy = sx/v.zoom, sy/v.zoom
	if v.flip {
		sx = -sx
	}
	return sx + v.cx, sy + v.cy
}

// Apply writes the transformed src (c×h×w) into dst (same size).
func (t Transform) Apply(dst, src []float32, c, h, w int) {
	inv := t.inverse(h, w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := inv.source(x, y)
			x0, y0 := math.Floor(sx), math.Floor(sy)
			fx, fy := sx-x0, sy-y0
			ix, iy := int(x0), int(y0)
			// The four neighbours' offsets in a plane, found once for
			// every channel. Outside the image, the nearest edge pixel:
			// the background, whether black (digits) or white (glyphs,
			// product shots).
			xa, xb := min(max(ix, 0), w-1), min(max(ix+1, 0), w-1)
			ya, yb := min(max(iy, 0), h-1)*w, min(max(iy+1, 0), h-1)*w
			for base := 0; base < c*h*w; base += h * w {
				p00, p01, p10, p11 := src[base+ya+xa], src[base+ya+xb], src[base+yb+xa], src[base+yb+xb]
				v := (1-fy)*((1-fx)*float64(p00)+fx*float64(p01)) + fy*((1-fx)*float64(p10)+fx*float64(p11))
				v = v*t.Scale + t.Offset
				dst[base+y*w+x] = clamp01(v)
			}
		}
	}
	if c == 3 && (t.Hue != 0 || t.ToGray) {
		t.recolour(dst, h*w)
	}
}

// recolour applies the hue rotation and the gray conversion to a 3×h×w
// image in place. The hue rotation turns colours about the gray axis
// (1,1,1)/√3 by Rodrigues' formula, so grays stay gray and the mean of the
// channels is kept; gray is L = 0.299R + 0.587G + 0.114B, as the loader's.
func (t Transform) recolour(x []float32, plane int) {
	r, g, b := x[:plane], x[plane:2*plane], x[2*plane:3*plane]
	if t.Hue != 0 {
		c, s := math.Cos(t.Hue), math.Sin(t.Hue)
		d, e := (1-c)/3, s/math.Sqrt(3)
		m := [3][3]float64{
			{c + d, d - e, d + e},
			{d + e, c + d, d - e},
			{d - e, d + e, c + d},
		}
		for i := range plane {
			v := [3]float64{float64(r[i]), float64(g[i]), float64(b[i])}
			r[i] = clamp01(m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2])
			g[i] = clamp01(m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2])
			b[i] = clamp01(m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2])
		}
	}
	if t.ToGray {
		for i := range plane {
			l := float32(0.299*float64(r[i]) + 0.587*float64(g[i]) + 0.114*float64(b[i]))
			r[i], g[i], b[i] = l, l, l
		}
	}
}

// clamp01 is float32(min(1, max(0, v))) to the bit (NaN stays NaN, -0
// becomes +0), with the common case first: the built-in min and max,
// which order ±0 and NaN, took a third of Apply.
func clamp01(v float64) float32 {
	switch {
	case v > 0 && v < 1:
		return float32(v)
	case v >= 1:
		return 1
	case v <= 0:
		return 0
	}
	return float32(v)
}
