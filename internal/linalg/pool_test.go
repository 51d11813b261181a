package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// poolForm is one implementation of the pooling kernel: the exported
// one (the assembly where rowsAsm holds) or the Go form.
type poolForm struct {
	name string
	fwd  func(y, top, bottom []float32, c int)
}

var poolForms = []poolForm{
	{"exported", ReLUMaxPool2x2Rows},
	{"go", reluMaxPool2x2RowsGo},
}

// poolRows returns a top and a bottom row of 2·ow pixels of c channels
// whose windows cycle, channel by channel, through ties of the maximum
// (two, three and four ways, in every position), ±0 windows, negative
// windows (ReLU gives +0), NaNs of either sign, and random values of
// either sign.
func poolRows(r *rand.Rand, ow, c int) (top, bottom []float32) {
	n := 2 * ow * c
	top, bottom = randomVector(r, n, -2, 2), randomVector(r, n, -2, 2)
	negZero := float32(math.Copysign(0, -1))
	nan, negNaN := float32(math.NaN()), math.Float32frombits(0xffc00000)
	neg := func(v float32) float32 { return -float32(math.Abs(float64(v))) }
	for ox := range ow {
		for k := range c {
			i, j := 2*ox*c+k, (2*ox+1)*c+k
			w := []*float32{&top[i], &top[j], &bottom[i], &bottom[j]}
			switch (k + 5*ox) % 16 {
			case 0: // a four-way tie
				*w[1], *w[2], *w[3] = *w[0], *w[0], *w[0]
			case 1: // the maximum twice, not first
				*w[1], *w[2], *w[3] = 3, -1, 3
			case 2: // the maximum twice, in the bottom row
				*w[2], *w[3] = 4, 4
			case 3: // three-way, from the top right
				*w[0], *w[1], *w[2], *w[3] = 1, 5, 5, 5
			case 4:
				*w[0], *w[1], *w[2], *w[3] = negZero, 0, negZero, 0
			case 5:
				*w[0], *w[1], *w[2], *w[3] = negZero, negZero, negZero, negZero
			case 6:
				*w[0], *w[1], *w[2], *w[3] = 0, 0, 0, 0
			case 7:
				*w[0], *w[1], *w[2], *w[3] = neg(*w[0]), neg(*w[1]), neg(*w[2]), neg(*w[3])
			case 8: // negative with a -0
				*w[0], *w[1], *w[2], *w[3] = neg(*w[0]), negZero, neg(*w[2]), neg(*w[3])
			case 9: // a negative tie
				*w[0] = neg(*w[0])
				*w[1], *w[2], *w[3] = *w[0], *w[0], *w[0]
			case 10:
				*w[3] = nan
			case 11:
				*w[1] = negNaN
			case 12:
				*w[0], *w[1], *w[2], *w[3] = negNaN, neg(*w[1]), negZero, neg(*w[3])
			case 13: // the only positive last
				*w[0], *w[1], *w[2], *w[3] = neg(*w[0]), neg(*w[1]), neg(*w[2]), 0.25
			}
		}
	}
	return top, bottom
}

// refPool is the reference forward pass, written a window at a time: the
// largest of the four int32 keys, the first on a tie, then a sign bit
// clears the whole float (ReLU).
func refPool(top, bottom []float32, ow, c int) []float32 {
	y := make([]float32, ow*c)
	for ox := range ow {
		for k := range c {
			i, j := 2*ox*c+k, (2*ox+1)*c+k
			best := top[i]
			for _, v := range []float32{top[j], bottom[i], bottom[j]} {
				if int32(math.Float32bits(v)) > int32(math.Float32bits(best)) {
					best = v
				}
			}
			if math.Float32bits(best)>>31 != 0 {
				best = 0
			}
			y[ox*c+k] = best
		}
	}
	return y
}

// refPoolGrad is the reference gradient: dy where y > 0 (else +0) goes to
// the first window position, row-major, that has y's bits.
func refPoolGrad(top, bottom, y, dy []float32, ow, c int) (dtop, dbottom []float32) {
	dtop, dbottom = make([]float32, 2*ow*c), make([]float32, 2*ow*c)
	for ox := range ow {
		for k := range c {
			o, i, j := ox*c+k, 2*ox*c+k, (2*ox+1)*c+k
			var g float32
			if y[o] > 0 {
				g = dy[o]
			}
			m := math.Float32bits(y[o])
			switch {
			case math.Float32bits(top[i]) == m:
				dtop[i] = g
			case math.Float32bits(top[j]) == m:
				dtop[j] = g
			case math.Float32bits(bottom[i]) == m:
				dbottom[i] = g
			case math.Float32bits(bottom[j]) == m:
				dbottom[j] = g
			}
		}
	}
	return dtop, dbottom
}

// guard is the value filled puts past the end of an output.
const guard = float32(42)

// filled is an output of n floats of garbage, and guard after them.
func filled(n int) []float32 {
	s := make([]float32, n+1)
	for i := range s {
		s[i] = math.Float32frombits(0xdeadbeef)
	}
	s[n] = guard
	return s
}

// TestReLUMaxPool2x2Rows checks both forms of the pooling against the
// reference loop, bit for bit, on the assembly's channel counts and two
// the Go form keeps. The reference is also checked against float
// semantics on windows without a NaN (max(0, the largest value), as +0
// where that is 0). The output starts as garbage, and a guard past its
// end must stay as it was.
func TestReLUMaxPool2x2Rows(t *testing.T) {
	for _, c := range []int{8, 16, 32, 64, 3, 12} {
		for _, ow := range []int{1, 3, 24} {
			r := rand.New(rand.NewPCG(uint64(c), uint64(ow)))
			n := ow * c
			top, bottom := poolRows(r, ow, c)
			wantY := refPool(top, bottom, ow, c)
			for ox := range ow {
				for k := range c {
					i, j := 2*ox*c+k, (2*ox+1)*c+k
					m := max(top[i], top[j], bottom[i], bottom[j], 0)
					if m != m {
						continue // a NaN
					}
					if m == 0 {
						m = 0 // +0
					}
					if got := wantY[ox*c+k]; math.Float32bits(got) != math.Float32bits(m) {
						t.Fatalf("c=%d ow=%d: reference y[%d] = %v, float max %v", c, ow, ox*c+k, got, m)
					}
				}
			}
			for _, f := range poolForms {
				name := f.name
				if f.name == "exported" && rowsAsm(c) {
					name += "(asm)"
				}
				t.Run(fmt.Sprintf("%s/c=%d/ow=%d", name, c, ow), func(t *testing.T) {
					y := filled(n)
					f.fwd(y[:n], top, bottom, c)
					for i, want := range wantY {
						if math.Float32bits(y[i]) != math.Float32bits(want) {
							t.Fatalf("y[%d] = %v (%#x), want %v (%#x)", i, y[i], math.Float32bits(y[i]), want, math.Float32bits(want))
						}
					}
					if y[n] != guard {
						t.Error("the forward pass wrote past the end of y")
					}
				})
			}
		}
	}
}

// argForm is one form of the pooling that keeps the window position.
type argForm struct {
	name string
	fwd  func(y []float32, arg []uint8, top, bottom []float32, c int)
	grad func(dtop, dbottom []float32, arg []uint8, dy []float32, c int)
}

// argForms are the forms of the pooling that keeps the window position.
var argForms = []argForm{
	{"exported", ReLUMaxPool2x2RowsArg, ReLUMaxPool2x2RowsArgGrad},
	{"go", reluMaxPool2x2RowsArgGo, reluMaxPool2x2RowsArgGradGo},
	argAsmForm("avx2", rowsAsm, reluMaxPool2x2RowsArgAVX2, reluMaxPool2x2RowsArgGradAVX2),
	argAsmForm("avx512", wideRows, reluMaxPool2x2RowsArgAVX512, reluMaxPool2x2RowsArgGradAVX512),
}

// argAsmForm calls one set of assembly kernels directly, whichever the
// exported functions would choose, so that on a CPU with AVX-512 the AVX2
// kernels are checked too; where ok says they do not take c channels (or
// the CPU lacks them) the Go forms stand in.
func argAsmForm(name string, ok func(c int) bool,
	fwd func(y *float32, arg *uint8, top, bottom *float32, pixels, c int),
	grad func(dtop, dbottom *float32, arg *uint8, dy *float32, pixels, c int)) argForm {
	return argForm{
		name,
		func(y []float32, arg []uint8, top, bottom []float32, c int) {
			if !ok(c) || len(y) == 0 {
				reluMaxPool2x2RowsArgGo(y, arg, top, bottom, c)
				return
			}
			fwd(&y[0], &arg[0], &top[0], &bottom[0], len(y)/c, c)
		},
		func(dtop, dbottom []float32, arg []uint8, dy []float32, c int) {
			if !ok(c) || len(arg) == 0 {
				reluMaxPool2x2RowsArgGradGo(dtop, dbottom, arg, dy, c)
				return
			}
			grad(&dtop[0], &dbottom[0], &arg[0], &dy[0], len(arg)/c, c)
		},
	}
}

// refArg is the window position of the first of the four keys that is
// the maximum, as the reference takes it, or 4 where y > 0 fails.
func refArg(top, bottom, y []float32, ow, c int) []uint8 {
	arg := make([]uint8, ow*c)
	for ox := range ow {
		for k := range c {
			i, j := 2*ox*c+k, (2*ox+1)*c+k
			keys := []int32{poolKey(top[i]), poolKey(top[j]), poolKey(bottom[i]), poolKey(bottom[j])}
			best := 0
			for p, v := range keys {
				if v > keys[best] {
					best = p
				}
			}
			arg[ox*c+k] = uint8(best)
			if !(y[ox*c+k] > 0) {
				arg[ox*c+k] = 4
			}
		}
	}
	return arg
}

// TestReLUMaxPool2x2RowsArg checks both forms of the pooling that keeps
// the window position: y as refPool, arg as refArg, and a gradient from
// arg with the bits of refPoolGrad from the windows and y, on the windows
// of poolRows (ties in every position, ±0, NaNs). An arg above 3 routes
// nothing. Outputs start as garbage, and a guard past the end of each
// must stay as it was.
func TestReLUMaxPool2x2RowsArg(t *testing.T) {
	for _, c := range []int{8, 16, 32, 64, 3, 12} {
		for _, ow := range []int{1, 3, 24} {
			r := rand.New(rand.NewPCG(uint64(c)+100, uint64(ow)))
			n, nx := ow*c, 2*ow*c
			top, bottom := poolRows(r, ow, c)
			dy := randomVector(r, n, -1, 1)
			for i := 0; i < n; i += 3 {
				dy[i] = float32(math.Copysign(0, -1))
			}
			wantY := refPool(top, bottom, ow, c)
			wantArg := refArg(top, bottom, wantY, ow, c)
			wantT, wantB := refPoolGrad(top, bottom, wantY, dy, ow, c)
			for _, f := range argForms {
				name := f.name
				if f.name == "exported" && rowsAsm(c) {
					name += "(asm)"
				}
				t.Run(fmt.Sprintf("%s/c=%d/ow=%d", name, c, ow), func(t *testing.T) {
					y, arg := filled(n), make([]uint8, n+1)
					for i := range arg {
						arg[i] = 0xee
					}
					f.fwd(y[:n], arg[:n], top, bottom, c)
					for i, want := range wantY {
						if math.Float32bits(y[i]) != math.Float32bits(want) {
							t.Fatalf("y[%d] = %v (%#x), want %v (%#x)", i, y[i], math.Float32bits(y[i]), want, math.Float32bits(want))
						}
						if arg[i] != wantArg[i] {
							t.Fatalf("arg[%d] = %d, want %d", i, arg[i], wantArg[i])
						}
					}
					if y[n] != guard || arg[n] != 0xee {
						t.Error("the forward pass wrote past the end of y or arg")
					}
					dtop, dbottom := filled(nx), filled(nx)
					f.grad(dtop[:nx], dbottom[:nx], arg[:n], dy, c)
					for i := range nx {
						if math.Float32bits(dtop[i]) != math.Float32bits(wantT[i]) {
							t.Fatalf("dtop[%d] = %v (%#x), want %v (%#x)", i, dtop[i], math.Float32bits(dtop[i]), wantT[i], math.Float32bits(wantT[i]))
						}
						if math.Float32bits(dbottom[i]) != math.Float32bits(wantB[i]) {
							t.Fatalf("dbottom[%d] = %v (%#x), want %v (%#x)", i, dbottom[i], math.Float32bits(dbottom[i]), wantB[i], math.Float32bits(wantB[i]))
						}
					}
					if dtop[nx] != guard || dbottom[nx] != guard {
						t.Error("the gradient wrote past the end of dtop or dbottom")
					}
					// Positions past 3 take nothing: every lane +0.
					for i := range n {
						arg[i] = uint8(4 + i%250)
					}
					f.grad(dtop[:nx], dbottom[:nx], arg[:n], dy, c)
					for i := range nx {
						if math.Float32bits(dtop[i]) != 0 || math.Float32bits(dbottom[i]) != 0 {
							t.Fatalf("arg past 3: dtop[%d] = %v, dbottom[%d] = %v, want +0", i, dtop[i], i, dbottom[i])
						}
					}
				})
			}
		}
	}
}

// TestReLUMaxPool2x2RowsEmpty checks that an empty y writes nothing.
func TestReLUMaxPool2x2RowsEmpty(t *testing.T) {
	x := []float32{1, 2}
	ReLUMaxPool2x2Rows(nil, x, x, 8)
	ReLUMaxPool2x2RowsArg(nil, nil, x, x, 8)
	ReLUMaxPool2x2RowsArgGrad(x[:0], x[:0], nil, nil, 3)
	if x[0] != 1 || x[1] != 2 {
		t.Errorf("x changed: %v", x)
	}
}

// TestReLUMaxPool2x2RowsPanics checks that the kernels refuse a y that is
// not whole pixels, c = 0, and any other slice too short, on channel
// counts of both forms.
func TestReLUMaxPool2x2RowsPanics(t *testing.T) {
	for _, c := range []int{8, 32, 3} {
		n := 3 * c
		y, x, a := make([]float32, n), make([]float32, 2*n), make([]uint8, n)
		sx, sy := x[:2*n-1], y[:n-1]
		cases := []struct {
			name string
			f    func()
		}{
			{"fwd/ragged", func() { ReLUMaxPool2x2Rows(sy, x, x, c) }},
			{"fwd/no channels", func() { ReLUMaxPool2x2Rows(y, x, x, 0) }},
			{"fwd/short top", func() { ReLUMaxPool2x2Rows(y, sx, x, c) }},
			{"fwd/short bottom", func() { ReLUMaxPool2x2Rows(y, x, sx, c) }},
			{"arg/ragged", func() { ReLUMaxPool2x2RowsArg(sy, a, x, x, c) }},
			{"arg/short arg", func() { ReLUMaxPool2x2RowsArg(y, a[:n-1], x, x, c) }},
			{"arg/short top", func() { ReLUMaxPool2x2RowsArg(y, a, sx, x, c) }},
			{"arg/short bottom", func() { ReLUMaxPool2x2RowsArg(y, a, x, sx, c) }},
			{"arg grad/ragged", func() { ReLUMaxPool2x2RowsArgGrad(x, x, a[:n-1], y, c) }},
			{"arg grad/no channels", func() { ReLUMaxPool2x2RowsArgGrad(x, x, a, y, 0) }},
			{"arg grad/short dtop", func() { ReLUMaxPool2x2RowsArgGrad(sx, x, a, y, c) }},
			{"arg grad/short dbottom", func() { ReLUMaxPool2x2RowsArgGrad(x, sx, a, y, c) }},
			{"arg grad/short dy", func() { ReLUMaxPool2x2RowsArgGrad(x, x, a, sy, c) }},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/c=%d", tc.name, c), func(t *testing.T) {
				defer func() {
					if recover() == nil {
						t.Error("did not panic")
					}
				}()
				tc.f()
			})
		}
	}
}

// BenchmarkReLUMaxPool2x2Rows times the pooling kernels, exported and in
// Go forms, over whole channels-last images of the default tower's
// poolings (28×28 by 32 channels, 14×14 by 64), a row pair per call.
// GB/s counts the bytes read and written: x and y forward (and the
// window bytes), the window bytes, dy and dx back.
func BenchmarkReLUMaxPool2x2Rows(b *testing.B) {
	for _, s := range []struct{ side, c int }{{28, 32}, {14, 64}} {
		row, oh := s.side*s.c, s.side/2
		n := s.side * row
		r := rand.New(rand.NewPCG(15, 16))
		x, dx := randomVector(r, n, -1, 1), make([]float32, n)
		y, dy := make([]float32, n/4), randomVector(r, n/4, -1, 1)
		ReLUMaxPool2x2Rows(y[:row/2], x[:row], x[row:2*row], s.c)
		perRow := func(f func(y, top, bottom []float32)) func() {
			return func() {
				for oy := range oh {
					f(y[oy*row/2:(oy+1)*row/2], x[2*oy*row:(2*oy+1)*row], x[(2*oy+1)*row:(2*oy+2)*row])
				}
			}
		}
		arg := make([]uint8, n/4)
		perRowArg := func(f func(y []float32, arg []uint8, top, bottom []float32, c int)) func() {
			return func() {
				for oy := range oh {
					o := oy * row / 2
					f(y[o:o+row/2], arg[o:o+row/2], x[2*oy*row:(2*oy+1)*row], x[(2*oy+1)*row:(2*oy+2)*row], s.c)
				}
			}
		}
		perRowGrad := func(f func(dtop, dbottom []float32, arg []uint8, dy []float32, c int)) func() {
			return func() {
				for oy := range oh {
					t, bt, o := 2*oy*row, (2*oy+1)*row, oy*row/2
					f(dx[t:t+row], dx[bt:bt+row], arg[o:o+row/2], dy[o:o+row/2], s.c)
				}
			}
		}
		perRowArg(ReLUMaxPool2x2RowsArg)()
		kernels := []struct {
			name   string
			floats int
			f      func()
		}{
			{"ReLUMaxPool2x2Rows", n + n/4, perRow(func(y, top, bottom []float32) { ReLUMaxPool2x2Rows(y, top, bottom, s.c) })},
			{"reluMaxPool2x2RowsGo", n + n/4, perRow(func(y, top, bottom []float32) { reluMaxPool2x2RowsGo(y, top, bottom, s.c) })},
			{"ReLUMaxPool2x2RowsArg", n + n/4 + n/16, perRowArg(ReLUMaxPool2x2RowsArg)},
			{"ReLUMaxPool2x2RowsArgGrad", n + n/4 + n/16, perRowGrad(ReLUMaxPool2x2RowsArgGrad)},
			{"reluMaxPool2x2RowsArgGradGo", n + n/4 + n/16, perRowGrad(reluMaxPool2x2RowsArgGradGo)},
		}
		for _, k := range kernels {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", s.side, s.side, s.c, k.name), func(b *testing.B) {
				for b.Loop() {
					k.f()
				}
				b.ReportMetric(float64(4*k.floats)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
