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
