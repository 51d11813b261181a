package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// rowsShapes cover the assembly's column counts (multiples of 8: one
// step, several, and the network's 32 and 128) and two the Go form keeps,
// each on one row, a few, and many.
var rowsShapes = func() (s [][2]int) {
	for _, c := range []int{8, 16, 24, 32, 128, 5, 12} {
		for _, rows := range []int{1, 3, 64} {
			s = append(s, [2]int{rows, c})
		}
	}
	return s
}()

// rowsForm is one implementation of the five kernels: the exported ones
// (the assembly where rowsAsm holds) or the Go forms, called directly.
type rowsForm struct {
	name       string
	sumSquares func(x []float32, sum, sq []float64)
	sum        func(x []float32, sum []float64)
	dot        func(g, x, mu []float32, dot []float64)
	affine     func(out, x, mu, scale, shift []float32)
	combine    func(out, y, x, a, k, mu, b []float32)
}

var rowsForms = []rowsForm{
	{"exported", SumSquaresRows, SumRows, DotCentredRows, AffineCentredRows, CombineCentredRows},
	{"go", sumSquaresRowsGo, sumRowsGo, dotCentredRowsGo, affineCentredRowsGo, combineCentredRowsGo},
}

func randomFloat64s(r *rand.Rand, n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float64()
	}
	return v
}

// sameBits64 reports whether two float64 slices hold the same bits.
func sameBits64(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestRows checks every form of the five kernels against reference loops
// written per column, bit for bit: each column's sum takes its rows in
// order in every form, the products it adds are exact in float64, and
// the maps round every float32 operation. The accumulators start with
// earlier partial sums, and a guard element past the end of sq, dot and
// out must stay as it was.
func TestRows(t *testing.T) {
	if !hasAVX2FMA {
		t.Log("no AVX2 and FMA (or the purego tag): the exported kernels run the Go forms")
	}
	const guard = 42
	for _, shape := range rowsShapes {
		rows, c := shape[0], shape[1]
		n := rows * c
		r := rand.New(rand.NewPCG(uint64(rows), uint64(c)))
		x, g, y := randomVector(r, n, -3, 5), randomVector(r, n, -1, 1), randomVector(r, n, -2, 2)
		mu, scale, shift := randomVector(r, c, -1, 1), randomVector(r, c, 0.5, 2), randomVector(r, c, -1, 1)
		a, k, b := randomVector(r, c, -1, 1), randomVector(r, c, -0.1, 0.1), randomVector(r, c, -0.01, 0.01)
		sum0, sq0, dot0 := randomFloat64s(r, c, -100, 100), randomFloat64s(r, c, 0, 1000), randomFloat64s(r, c, -10, 10)

		// The references, one column at a time.
		wantSum, wantSq, wantDot := make([]float64, c), make([]float64, c), make([]float64, c)
		wantAffine, wantCombine := make([]float32, n), make([]float32, n)
		for j := range c {
			s, q, d := sum0[j], sq0[j], dot0[j]
			for i := j; i < n; i += c {
				v := float64(x[i])
				s += v
				q += v * v
				d += float64(g[i]) * float64(x[i]-mu[j])
				centred := x[i] - mu[j]
				wantAffine[i] = float32(scale[j]*centred) + shift[j]
				wantCombine[i] = float32(a[j]*y[i]) + float32(k[j]*centred) + b[j]
			}
			wantSum[j], wantSq[j], wantDot[j] = s, q, d
		}

		for _, f := range rowsForms {
			t.Run(fmt.Sprintf("%s/%dx%d", f.name, rows, c), func(t *testing.T) {
				sum, sq := append([]float64(nil), sum0...), append(append([]float64(nil), sq0...), guard)
				f.sumSquares(x, sum, sq)
				if !sameBits64(sum, wantSum) || !sameBits64(sq[:c], wantSq) {
					t.Errorf("SumSquaresRows = %v, %v; want %v, %v", sum, sq[:c], wantSum, wantSq)
				}
				if sq[c] != guard {
					t.Error("SumSquaresRows wrote past the end of sq")
				}

				sum = append([]float64(nil), sum0...)
				f.sum(x, sum)
				if !sameBits64(sum, wantSum) {
					t.Errorf("SumRows = %v, want %v", sum, wantSum)
				}

				dot := append(append([]float64(nil), dot0...), guard)
				f.dot(g, x, mu, dot)
				if !sameBits64(dot[:c], wantDot) {
					t.Errorf("DotCentredRows = %v, want %v", dot[:c], wantDot)
				}
				if dot[c] != guard {
					t.Error("DotCentredRows wrote past the end of dot")
				}

				out := make([]float32, n+1)
				out[n] = guard
				f.affine(out, x, mu, scale, shift)
				for i, want := range wantAffine {
					if math.Float32bits(out[i]) != math.Float32bits(want) {
						t.Fatalf("AffineCentredRows[%d] = %v, want %v", i, out[i], want)
					}
				}
				f.combine(out, y, x, a, k, mu, b)
				for i, want := range wantCombine {
					if math.Float32bits(out[i]) != math.Float32bits(want) {
						t.Fatalf("CombineCentredRows[%d] = %v, want %v", i, out[i], want)
					}
				}
				if out[n] != guard {
					t.Error("a map wrote past the end of x")
				}
			})
		}
	}
}

// TestRowsEmpty checks that no rows leave the accumulators as they were.
func TestRowsEmpty(t *testing.T) {
	sum, sq := []float64{1, 2, 3, 4, 5, 6, 7, 8}, []float64{9, 10, 11, 12, 13, 14, 15, 16}
	SumSquaresRows(nil, sum, sq)
	SumRows(nil, sum)
	DotCentredRows(nil, nil, make([]float32, 8), sq)
	AffineCentredRows(nil, nil, make([]float32, 8), make([]float32, 8), make([]float32, 8))
	CombineCentredRows(nil, nil, nil, make([]float32, 8), make([]float32, 8), make([]float32, 8), make([]float32, 8))
	if sum[0] != 1 || sum[7] != 8 || sq[0] != 9 || sq[7] != 16 {
		t.Errorf("accumulators changed: %v, %v", sum, sq)
	}
}

// TestRowsPanics checks that the kernels refuse a matrix that is not
// whole rows of C, C = 0, and slices too short for C or for x, on column
// counts of both forms.
func TestRowsPanics(t *testing.T) {
	for _, c := range []int{8, 32, 5} {
		n := 3 * c
		x, c32, c64 := make([]float32, n), make([]float32, c), make([]float64, c)
		ragged := x[:n-1]
		cases := []struct {
			name string
			f    func()
		}{
			{"SumSquaresRows/ragged", func() { SumSquaresRows(ragged, c64, c64) }},
			{"SumSquaresRows/no columns", func() { SumSquaresRows(x, nil, nil) }},
			{"SumSquaresRows/short sq", func() { SumSquaresRows(x, c64, c64[:c-1]) }},
			{"SumRows/ragged", func() { SumRows(ragged, c64) }},
			{"SumRows/no columns", func() { SumRows(x, nil) }},
			{"DotCentredRows/ragged", func() { DotCentredRows(x, ragged, c32, c64) }},
			{"DotCentredRows/short dot", func() { DotCentredRows(x, x, c32, c64[:c-1]) }},
			{"DotCentredRows/short g", func() { DotCentredRows(ragged, x, c32, c64) }},
			{"AffineCentredRows/ragged", func() { AffineCentredRows(x, ragged, c32, c32, c32) }},
			{"AffineCentredRows/short out", func() { AffineCentredRows(ragged, x, c32, c32, c32) }},
			{"AffineCentredRows/short shift", func() { AffineCentredRows(x, x, c32, c32, c32[:c-1]) }},
			{"CombineCentredRows/ragged", func() { CombineCentredRows(x, x, ragged, c32, c32, c32, c32) }},
			{"CombineCentredRows/short y", func() { CombineCentredRows(x, ragged, x, c32, c32, c32, c32) }},
			{"CombineCentredRows/short b", func() { CombineCentredRows(x, x, x, c32, c32, c32, c32[:c-1]) }},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/C=%d", tc.name, c), func(t *testing.T) {
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

// runsForm is one implementation of MaxRuns and RouteRuns: the exported
// kernels (the assembly where rowsAsm holds) or the Go forms.
type runsForm struct {
	name  string
	max   func(h, x []float32, run int)
	route func(dx, x, h, gh []float32, run int)
}

var runsForms = []runsForm{
	{"exported", MaxRuns, RouteRuns},
	{"go", maxRunsGo, routeRunsGo},
}

// runsX returns x for pairs pairs of runs of run floats, plus run floats
// past the end that no kernel may read as part of a pair. The pairs cycle,
// element by element, through ties, every pairing of -0 and +0, -0 against
// a negative value, both values negative, and random values of either sign.
func runsX(r *rand.Rand, pairs, run int) []float32 {
	n := 2 * pairs * run
	x := randomVector(r, n+run, -2, 2)
	negZero := float32(math.Copysign(0, -1))
	for k := range pairs {
		a, b := x[2*k*run:(2*k+1)*run], x[(2*k+1)*run:(2*k+2)*run]
		for j := range a {
			switch (j + 3*k) % 10 {
			case 0: // a tie
				b[j] = a[j]
			case 1:
				a[j], b[j] = negZero, 0
			case 2:
				a[j], b[j] = 0, negZero
			case 3:
				a[j], b[j] = negZero, negZero
			case 4:
				a[j], b[j] = 0, 0
			case 5:
				a[j], b[j] = negZero, -float32(math.Abs(float64(b[j])))
			case 6:
				a[j], b[j] = -float32(math.Abs(float64(a[j]))), -float32(math.Abs(float64(b[j])))
			case 7: // a negative tie
				a[j] = -float32(math.Abs(float64(a[j])))
				b[j] = a[j]
			}
		}
	}
	return x
}

// TestRuns checks both forms of MaxRuns and RouteRuns against reference
// loops over every element, bit for bit: run takes the assembly's
// multiples of 8 (one vector, several, and 96, not a power of two) and
// two the Go form keeps. RouteRuns routes a gradient with -0 among its
// values, so a routed -0 differs from the +0 of an element that gets
// nothing, both for h the pair maxima and for an h that is partly the
// second run of each pair and partly no value of x at all. dx starts as
// garbage, all of its first 2·len(h) must be written, and guards past
// the ends of h and dx must stay as they were.
func TestRuns(t *testing.T) {
	const garbage = 0xdeadbeef
	guard := float32(42)
	for _, run := range []int{8, 16, 32, 64, 96, 3, 12} {
		for _, pairs := range []int{1, 2, 7, 49} {
			r := rand.New(rand.NewPCG(uint64(run), uint64(pairs)))
			nh := pairs * run
			x := runsX(r, pairs, run)
			gh := randomVector(r, nh, -1, 1)
			for i := 0; i < nh; i += 5 {
				gh[i] = float32(math.Copysign(0, -1))
			}

			// The references, one element at a time.
			wantH := make([]float32, nh)
			for k := range pairs {
				for j := range run {
					a, b := x[2*k*run+j], x[(2*k+1)*run+j]
					if int32(math.Float32bits(a)) >= int32(math.Float32bits(b)) {
						wantH[k*run+j] = a
					} else {
						wantH[k*run+j] = b
					}
				}
			}
			mixed := append([]float32(nil), wantH...)
			for i := range mixed {
				k, j := i/run, i%run
				switch i % 3 {
				case 0:
					mixed[i] = 12345.5 // no element of x
				case 1:
					mixed[i] = x[(2*k+1)*run+j]
				}
			}
			route := func(h []float32) []float32 {
				dx := make([]float32, 2*nh)
				for k := range pairs {
					for j := range run {
						ia, ib, m := 2*k*run+j, (2*k+1)*run+j, math.Float32bits(h[k*run+j])
						// dx starts as +0: the elements that get no gradient.
						if math.Float32bits(x[ia]) == m {
							dx[ia] = gh[k*run+j]
						} else if math.Float32bits(x[ib]) == m {
							dx[ib] = gh[k*run+j]
						}
					}
				}
				return dx
			}
			routes := []struct {
				name    string
				h, want []float32
			}{{"max", wantH, route(wantH)}, {"mixed", mixed, route(mixed)}}

			for _, f := range runsForms {
				name := f.name
				if f.name == "exported" && rowsAsm(run) {
					name += "(asm)"
				}
				t.Run(fmt.Sprintf("%s/run=%d/pairs=%d", name, run, pairs), func(t *testing.T) {
					h := make([]float32, nh+1)
					for i := range h {
						h[i] = math.Float32frombits(garbage)
					}
					h[nh] = guard
					f.max(h[:nh], x, run)
					for i, want := range wantH {
						if math.Float32bits(h[i]) != math.Float32bits(want) {
							k, j := i/run, i%run
							t.Fatalf("MaxRuns h[%d] of %v, %v = %v (%#x), want %v (%#x)", i,
								x[2*k*run+j], x[(2*k+1)*run+j], h[i], math.Float32bits(h[i]), want, math.Float32bits(want))
						}
					}
					if h[nh] != guard {
						t.Error("MaxRuns wrote past the end of h")
					}

					for _, rt := range routes {
						dx := make([]float32, 2*nh+1)
						for i := range dx {
							dx[i] = math.Float32frombits(garbage)
						}
						dx[2*nh] = guard
						f.route(dx[:2*nh], x, rt.h, gh, run)
						for i, want := range rt.want {
							if math.Float32bits(dx[i]) != math.Float32bits(want) {
								t.Fatalf("RouteRuns(%s) dx[%d] = %v (%#x), want %v (%#x)",
									rt.name, i, dx[i], math.Float32bits(dx[i]), want, math.Float32bits(want))
							}
						}
						if dx[2*nh] != guard {
							t.Errorf("RouteRuns(%s) wrote past the end of dx", rt.name)
						}
					}
				})
			}
		}
	}
}

// TestRunsEmpty checks that no pairs write nothing.
func TestRunsEmpty(t *testing.T) {
	x := []float32{1, 2}
	MaxRuns(nil, x, 8)
	RouteRuns(nil, nil, nil, nil, 8)
	RouteRuns(x[:0], x, nil, nil, 3)
	if x[0] != 1 || x[1] != 2 {
		t.Errorf("x changed: %v", x)
	}
}

// TestRunsPanics checks that MaxRuns and RouteRuns refuse an h that is
// not whole runs, a run of 0, and dx, x or gh too short, on runs of both
// forms.
func TestRunsPanics(t *testing.T) {
	for _, run := range []int{8, 32, 3} {
		nh := 3 * run
		h, x := make([]float32, nh), make([]float32, 2*nh)
		cases := []struct {
			name string
			f    func()
		}{
			{"MaxRuns/ragged", func() { MaxRuns(h[:nh-1], x, run) }},
			{"MaxRuns/no run", func() { MaxRuns(h, x, 0) }},
			{"MaxRuns/short x", func() { MaxRuns(h, x[:2*nh-1], run) }},
			{"RouteRuns/ragged", func() { RouteRuns(x, x, h[:nh-1], h, run) }},
			{"RouteRuns/no run", func() { RouteRuns(x, x, h, h, 0) }},
			{"RouteRuns/short dx", func() { RouteRuns(x[:2*nh-1], x, h, h, run) }},
			{"RouteRuns/short x", func() { RouteRuns(x, x[:2*nh-1], h, h, run) }},
			{"RouteRuns/short gh", func() { RouteRuns(x, x, h, h[:nh-1], run) }},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/run=%d", tc.name, run), func(t *testing.T) {
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

// BenchmarkRows times each kernel, exported (the assembly where the CPU
// has it) and in its Go form, on the channels-last batch-norm shapes of
// the photos preset: 64 images of 16×16 pixels by 32 channels, and of
// 4×4 by 128. GB/s counts the float32 bytes read and written.
func BenchmarkRows(b *testing.B) {
	shapes := []struct{ rows, c int }{{64 * 16 * 16, 32}, {64 * 4 * 4, 128}}
	for _, s := range shapes {
		n, c := s.rows*s.c, s.c
		r := rand.New(rand.NewPCG(11, 12))
		x, g, out := randomVector(r, n, -1, 1), randomVector(r, n, -1, 1), make([]float32, n)
		p := randomVector(r, c, -1, 1)
		sum, sq := make([]float64, c), make([]float64, c)
		kernels := []struct {
			name  string
			bytes int // float32s read and written per element of x
			f     func()
		}{
			{"SumSquaresRows", 1, func() { SumSquaresRows(x, sum, sq) }},
			{"sumSquaresRowsGo", 1, func() { sumSquaresRowsGo(x, sum, sq) }},
			{"SumRows", 1, func() { SumRows(x, sum) }},
			{"sumRowsGo", 1, func() { sumRowsGo(x, sum) }},
			{"DotCentredRows", 2, func() { DotCentredRows(g, x, p, sum) }},
			{"dotCentredRowsGo", 2, func() { dotCentredRowsGo(g, x, p, sum) }},
			{"AffineCentredRows", 2, func() { AffineCentredRows(out, x, p, p, p) }},
			{"affineCentredRowsGo", 2, func() { affineCentredRowsGo(out, x, p, p, p) }},
			{"CombineCentredRows", 3, func() { CombineCentredRows(out, g, x, p, p, p, p) }},
			{"combineCentredRowsGo", 3, func() { combineCentredRowsGo(out, g, x, p, p, p, p) }},
		}
		for _, k := range kernels {
			b.Run(fmt.Sprintf("%dx%d/%s", s.rows, c, k.name), func(b *testing.B) {
				for b.Loop() {
					k.f()
				}
				b.ReportMetric(float64(4*k.bytes*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}

	// MaxRuns and RouteRuns, exported and in their Go forms, on a 28×28
	// image of 32 channels, channels last: pairs of neighbouring pixels
	// (run 32), then pairs of the rows of 14 pooled pixels (run 14·32).
	// GB/s counts the float32 bytes read and written: x and h for MaxRuns,
	// x, h, gh and dx for RouteRuns.
	runs := []struct {
		name      string
		rows, run int
	}{{"28x28x32", 28 * 28, 32}, {"28x14x32", 28, 14 * 32}}
	for _, s := range runs {
		n := s.rows * s.run
		r := rand.New(rand.NewPCG(13, 14))
		x, gh, dx, h := randomVector(r, n, -1, 1), randomVector(r, n/2, -1, 1), make([]float32, n), make([]float32, n/2)
		MaxRuns(h, x, s.run)
		kernels := []struct {
			name   string
			floats int // float32s read and written
			f      func()
		}{
			{"MaxRuns", n + n/2, func() { MaxRuns(h, x, s.run) }},
			{"maxRunsGo", n + n/2, func() { maxRunsGo(h, x, s.run) }},
			{"RouteRuns", 3 * n, func() { RouteRuns(dx, x, h, gh, s.run) }},
			{"routeRunsGo", 3 * n, func() { routeRunsGo(dx, x, h, gh, s.run) }},
		}
		for _, k := range kernels {
			b.Run(fmt.Sprintf("%s/run=%d/%s", s.name, s.run, k.name), func(b *testing.B) {
				for b.Loop() {
					k.f()
				}
				b.ReportMetric(float64(4*k.floats)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}
