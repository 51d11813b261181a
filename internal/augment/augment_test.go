package augment

import (
	"math"
	"math/rand/v2"
	"testing"
)

// img is a 1×5×5 ramp with a single bright pixel, easy to follow by hand.
func img() []float32 {
	x := make([]float32, 25)
	x[1*5+3] = 1 // row 1, column 3
	return x
}

func TestTransformsByHand(t *testing.T) {
	cases := []struct {
		name string
		tr   Transform
		want map[int]float32 // pixel index -> value; all others 0
	}{
		{"identity", Transform{Scale: 1}, map[int]float32{1*5 + 3: 1}},
		{"shift right 1 down 2", Transform{Scale: 1, DX: 1, DY: 2}, map[int]float32{3*5 + 4: 1}},
		{"shift half a pixel splits the value", Transform{Scale: 1, DX: 0.5}, map[int]float32{1*5 + 3: 0.5, 1*5 + 4: 0.5}},
		// Mirror about the centre column 2: column 3 -> column 1.
		{"flip", Transform{Scale: 1, Flip: true}, map[int]float32{1*5 + 1: 1}},
		// 90 degrees about (2,2): (x=3,y=1) -> offset (1,-1) -> rotated (1,1) -> (3,3) with
		// y pointing down: x' = cos*x - sin*y, y' = sin*x + cos*y.
		{"rotate 90", Transform{Scale: 1, Angle: math.Pi / 2}, map[int]float32{3*5 + 3: 1}},
		{"brightness", Transform{Scale: 0.5, Offset: 0.1}, nil},
	}
	for _, c := range cases {
		dst := make([]float32, 25)
		c.tr.Apply(dst, img(), 1, 5, 5)
		for i, v := range dst {
			want := c.want[i]
			if c.name == "brightness" {
				want = 0.1
				if i == 1*5+3 {
					want = 0.6
				}
			}
			if math.Abs(float64(v-want)) > 1e-6 {
				t.Errorf("%s: pixel (%d,%d) = %v, want %v", c.name, i%5, i/5, v, want)
			}
		}
	}
}

func TestDrawStaysInRangeAndIsSeeded(t *testing.T) {
	o := Options{Shift: 2, Rotate: 10, FlipH: true, Brightness: 0.2}
	a := rand.New(rand.NewPCG(1, 2))
	b := rand.New(rand.NewPCG(1, 2))
	flips := 0
	for i := 0; i < 1000; i++ {
		ta, tb := o.Draw(a), o.Draw(b)
		if ta != tb {
			t.Fatalf("same seed, different draws: %+v vs %+v", ta, tb)
		}
		if math.Abs(ta.DX) > 2 || math.Abs(ta.DY) > 2 || math.Abs(ta.Angle) > 10*math.Pi/180 ||
			math.Abs(ta.Scale-1) > 0.2 || math.Abs(ta.Offset) > 0.1 {
			t.Fatalf("draw out of range: %+v", ta)
		}
		if ta.Flip {
			flips++
		}
	}
	if flips < 400 || flips > 600 {
		t.Errorf("%d flips in 1000 draws, want about half", flips)
	}
	if (Options{}).Draw(a) != (Transform{Scale: 1}) {
		t.Error("zero options must draw the identity")
	}
}

func TestValidate(t *testing.T) {
	bad := []Options{{Shift: -1}, {Rotate: 200}, {Brightness: 1}}
	for _, o := range bad {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if err := (Options{Shift: 2, Rotate: 15, Brightness: 0.3, FlipH: true}).Validate(); err != nil {
		t.Error(err)
	}
}

// Zoom and shear, worked by hand on a 5×5 image with one lit pixel: the
// output pixel p shows the input at A^-1(p-c)+c, with c = (2,2).
func TestAffineByHand(t *testing.T) {
	src := make([]float32, 25)
	src[2*5+3] = 1 // (x=3, y=2): one right of centre
	cases := []struct {
		name string
		tr   Transform
		want map[int]float32
	}{
		// Zoom 2: output (x, y) reads input (2+(x-2)/2, 2+(y-2)/2), so x=4
		// reads x=3 fully and x=3 reads x=2.5 (half); rows 1 and 3 read
		// y=1.5 and y=2.5, half of row 2.
		{"zoom 2", Transform{Scale: 1, Zoom: 2}, map[int]float32{
			2*5 + 4: 1, 2*5 + 3: 0.5,
			1*5 + 4: 0.5, 1*5 + 3: 0.25,
			3*5 + 4: 0.5, 3*5 + 3: 0.25}},
		// Shear tan=1: output (x, y) reads input x - (y-2); row 3 (y-2 = 1)
		// lights at x=4 only if input row 3 had it: the lit pixel is on
		// row 2, where the shear is 0, so it stays.
		{"shear on the centre row", Transform{Scale: 1, ShearX: 1}, map[int]float32{2*5 + 3: 1}},
	}
	for _, c := range cases {
		dst := make([]float32, 25)
		c.tr.Apply(dst, src, 1, 5, 5)
		for i, v := range dst {
			if math.Abs(float64(v-c.want[i])) > 1e-6 {
				t.Errorf("%s: pixel (%d,%d) = %v, want %v", c.name, i%5, i/5, v, c.want[i])
			}
		}
	}
	// Edges replicate: a white image stays white under any transform.
	white := make([]float32, 25)
	for i := range white {
		white[i] = 1
	}
	dst := make([]float32, 25)
	Transform{Scale: 1, DX: 2.5, Zoom: 0.7, ShearX: 0.4, Angle: 0.3}.Apply(dst, white, 1, 5, 5)
	for i, v := range dst {
		if v != 1 {
			t.Fatalf("white image: pixel %d = %v after a transform, want 1", i, v)
		}
	}
}

// Colour changes worked by hand on one pixel: a 120° hue turn sends red to
// green (the rotation about the gray axis permutes the primaries), gray
// stays gray, and the gray conversion gives the BT.601 luminance.
func TestRecolour(t *testing.T) {
	cases := []struct {
		name string
		tr   Transform
		rgb  [3]float32
		want [3]float32
	}{
		{name: "hue 120 turns red into green", tr: Transform{Scale: 1, Hue: 2 * math.Pi / 3}, rgb: [3]float32{1, 0, 0}, want: [3]float32{0, 1, 0}},
		{name: "hue keeps gray", tr: Transform{Scale: 1, Hue: 1}, rgb: [3]float32{0.4, 0.4, 0.4}, want: [3]float32{0.4, 0.4, 0.4}},
		{name: "gray is the luminance", tr: Transform{Scale: 1, ToGray: true}, rgb: [3]float32{1, 0.5, 0}, want: [3]float32{0.5925, 0.5925, 0.5925}},
	}
	for _, c := range cases {
		src := []float32{c.rgb[0], c.rgb[1], c.rgb[2]}
		dst := make([]float32, 3)
		c.tr.Apply(dst, src, 3, 1, 1)
		for k := range 3 {
			if math.Abs(float64(dst[k]-c.want[k])) > 1e-6 {
				t.Errorf("%s: channel %d = %v, want %v", c.name, k, dst[k], c.want[k])
			}
		}
	}
	// On a gray image (one channel) colour changes do nothing.
	dst := make([]float32, 1)
	Transform{Scale: 1, Hue: 1, ToGray: true}.Apply(dst, []float32{0.3}, 1, 1, 1)
	if math.Abs(float64(dst[0]-0.3)) > 1e-7 {
		t.Errorf("gray image changed to %v", dst[0])
	}
}

// applyRef is Apply's sampling as first written, a closure per tap and
// the built-in min and max: Apply must give its results to the bit.
func applyRef(t Transform, dst, src []float32, c, h, w int) {
	inv := t.inverse(h, w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := inv.source(x, y)
			x0, y0 := math.Floor(sx), math.Floor(sy)
			fx, fy := sx-x0, sy-y0
			ix, iy := int(x0), int(y0)
			for ch := 0; ch < c; ch++ {
				plane := src[ch*h*w : (ch+1)*h*w]
				at := func(xx, yy int) float64 {
					xx, yy = min(max(xx, 0), w-1), min(max(yy, 0), h-1)
					return float64(plane[yy*w+xx])
				}
				v := (1-fy)*((1-fx)*at(ix, iy)+fx*at(ix+1, iy)) + fy*((1-fx)*at(ix, iy+1)+fx*at(ix+1, iy+1))
				v = v*t.Scale + t.Offset
				dst[ch*h*w+y*w+x] = float32(min(1, max(0, v)))
			}
		}
	}
	if c == 3 && (t.Hue != 0 || t.ToGray) {
		t.recolour(dst, h*w)
	}
}

// TestApplyMatchesReference draws transforms of every kind, shifts past
// the edge included, and compares Apply with applyRef bit for bit on gray
// and colour images, and clamp01 with min and max on the values where
// they differ most easily.
func TestApplyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	o := Options{Shift: 9, Rotate: 40, FlipH: true, Brightness: 0.6, Scale: 0.3, Shear: 15, Hue: 30, Gray: 0.3}
	for _, sh := range [][3]int{{1, 7, 5}, {3, 16, 16}, {3, 9, 12}} {
		c, h, w := sh[0], sh[1], sh[2]
		src := make([]float32, c*h*w)
		for i := range src {
			src[i] = rng.Float32()
		}
		got, want := make([]float32, len(src)), make([]float32, len(src))
		for range 50 {
			tr := o.Draw(rng)
			tr.Apply(got, src, c, h, w)
			applyRef(tr, want, src, c, h, w)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v image, %+v: [%d] = %v, want %v", sh, tr, i, got[i], want[i])
				}
			}
		}
	}
	for _, v := range []float64{math.NaN(), math.Copysign(0, -1), 0, -1e-300, 1e-300, 0.5, 1, 1 + 1e-16, 2, math.Inf(1), math.Inf(-1), -3} {
		got, want := clamp01(v), float32(min(1, max(0, v)))
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("clamp01(%v) = %v, want %v", v, got, want)
		}
	}
}

// BenchmarkApply is one 64×64 colour image through the photos preset's
// augmentation (shift 4 px, rotation 10°, flip, brightness 0.2).
func BenchmarkApply(b *testing.B) {
	o := Options{Rotate: 10, FlipH: true, Shift: 4, Brightness: 0.2}
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, 3*64*64)
	for i := range src {
		src[i] = rng.Float32()
	}
	dst := make([]float32, len(src))
	for b.Loop() {
		o.Draw(rng).Apply(dst, src, 3, 64, 64)
	}
}
