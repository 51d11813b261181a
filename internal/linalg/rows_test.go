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
	sumDot     func(g, x, mu, scale, shift []float32, sum, dot []float64)
	affine     func(out, x, mu, scale, shift []float32)
	combine    func(out, y, x, a, k, mu, b []float32)
}

var rowsForms = []rowsForm{
	{"exported", SumSquaresRows, SumRows, SumDotCentredRows, AffineCentredRows, CombineCentredRows},
	{"go", sumSquaresRowsGo, sumRowsGo, sumDotCentredRowsGo, affineCentredRowsGo, combineCentredRowsGo},
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
		wantSum, wantSq, wantGSum, wantDot := make([]float64, c), make([]float64, c), make([]float64, c), make([]float64, c)
		wantAffine, wantCombine := make([]float32, n), make([]float32, n)
		for j := range c {
			s, q, gs, d := sum0[j], sq0[j], sum0[j], dot0[j]
			for i := j; i < n; i += c {
				v := float64(x[i])
				s += v
				q += v * v
				gs += float64(g[i])
				d += float64(g[i]) * float64(x[i]-mu[j])
				centred := x[i] - mu[j]
				wantAffine[i] = float32(scale[j]*centred) + shift[j]
				wantCombine[i] = float32(a[j]*y[i]) + float32(k[j]*centred) + b[j]
			}
			wantSum[j], wantSq[j], wantGSum[j], wantDot[j] = s, q, gs, d
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

				sum = append([]float64(nil), sum0...)
				dot := append(append([]float64(nil), dot0...), guard)
				f.sumDot(g, x, mu, nil, nil, sum, dot)
				if !sameBits64(sum, wantGSum) || !sameBits64(dot[:c], wantDot) {
					t.Errorf("SumDotCentredRows = %v, %v; want %v, %v", sum, dot[:c], wantGSum, wantDot)
				}
				if dot[c] != guard {
					t.Error("SumDotCentredRows wrote past the end of dot")
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
	SumDotCentredRows(nil, nil, make([]float32, 8), nil, nil, sum, sq)
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
			{"SumDotCentredRows/ragged", func() { SumDotCentredRows(x, ragged, c32, nil, nil, c64, c64) }},
			{"SumDotCentredRows/short dot", func() { SumDotCentredRows(x, x, c32, nil, nil, c64, c64[:c-1]) }},
			{"SumDotCentredRows/short g", func() { SumDotCentredRows(ragged, x, c32, nil, nil, c64, c64) }},
			{"SumDotCentredRows/short shift", func() { SumDotCentredRows(x, x, c32, c32, c32[:c-1], c64, c64) }},
			{"CombineCentredReLURows/short y", func() { CombineCentredReLURows(x, ragged, x, c32, c32, c32, c32, c32, c32) }},
			{"CombineCentredReLURows/short scale", func() { CombineCentredReLURows(x, x, x, c32, c32, c32, c32, c32[:c-1], c32) }},
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
			{"SumDotCentredRows", 2, func() { SumDotCentredRows(g, x, p, nil, nil, sum, sq) }},
			{"SumDotCentredRows/masked", 2, func() { SumDotCentredRows(g, x, p, p, p, sum, sq) }},
			{"sumDotCentredRowsGo/masked", 2, func() { sumDotCentredRowsGo(g, x, p, p, p, sum, sq) }},
			{"AffineCentredRows", 2, func() { AffineCentredRows(out, x, p, p, p) }},
			{"affineCentredRowsGo", 2, func() { affineCentredRowsGo(out, x, p, p, p) }},
			{"CombineCentredReLURows", 3, func() { CombineCentredReLURows(out, g, x, p, p, p, p, p, p) }},
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
}

// TestSumDotCentredRows checks SumDotCentredRows and
// CombineCentredReLURows, exported and in their Go forms, bit for bit
// against the forward pass's AffineCentredRows and ReLU, which give y,
// PassPositive, which masks g by it, and then sums of the masked g one
// column at a time and CombineCentredRows of it. Some
// values of x give an affine map of exactly 0, and some are NaN, which the
// mask must treat as not positive; the shapes include matrices of several
// assembly blocks. Guards past the end of sum, dot and out must stay as
// they were.
func TestSumDotCentredRows(t *testing.T) {
	const guard = 42
	shapes := append(append([][2]int(nil), rowsShapes...), [2]int{97, 32}, [2]int{70, 128}, [2]int{300, 8})
	type form struct {
		name    string
		sumDot  func(g, x, mu, scale, shift []float32, sum, dot []float64)
		combine func(out, y, x, a, k, mu, b, scale, shift []float32)
	}
	forms := []form{
		{"exported", SumDotCentredRows, CombineCentredReLURows},
		{"go", sumDotCentredRowsGo, combineCentredReLURowsGo},
	}
	for _, shape := range shapes {
		rows, c := shape[0], shape[1]
		n := rows * c
		r := rand.New(rand.NewPCG(uint64(rows), uint64(c)+7))
		x, g := randomVector(r, n, -3, 5), randomVector(r, n, -1, 1)
		mu, scale, shift := randomVector(r, c, -1, 1), randomVector(r, c, -2, 2), randomVector(r, c, -1, 1)
		a, k, b := randomVector(r, c, -1, 1), randomVector(r, c, -0.1, 0.1), randomVector(r, c, -0.01, 0.01)
		shift[0] = 0
		for i := 0; i < n; i += 7 {
			x[i] = mu[i%c] // centred 0: the map is shift, 0 in column 0
		}
		for i := 3; i < n; i += 11 {
			x[i] = float32(math.NaN())
		}
		sum0, dot0 := randomFloat64s(r, c, -100, 100), randomFloat64s(r, c, -10, 10)

		y := make([]float32, n)
		AffineCentredRows(y, x, mu, scale, shift)
		ReLU(y, y)
		gm := make([]float32, n)
		PassPositive(gm, y, g)
		for _, masking := range []bool{false, true} {
			gw, sc, sh := g, []float32(nil), []float32(nil)
			if masking {
				gw, sc, sh = gm, scale, shift
			}
			// The sums one column at a time, as in TestRows.
			wantSum, wantDot := append([]float64(nil), sum0...), append([]float64(nil), dot0...)
			for i, v := range gw {
				wantSum[i%c] += float64(v)
				wantDot[i%c] += float64(v) * float64(x[i]-mu[i%c])
			}
			wantOut := make([]float32, n)
			CombineCentredRows(wantOut, gm, x, a, k, mu, b)
			for _, f := range forms {
				t.Run(fmt.Sprintf("%s/masked=%v/%dx%d", f.name, masking, rows, c), func(t *testing.T) {
					sum := append(append([]float64(nil), sum0...), guard)
					dot := append(append([]float64(nil), dot0...), guard)
					f.sumDot(g, x, mu, sc, sh, sum, dot)
					if !sameBits64(sum[:c], wantSum) || !sameBits64(dot[:c], wantDot) {
						t.Errorf("sum, dot = %v, %v; want %v, %v", sum[:c], dot[:c], wantSum, wantDot)
					}
					if sum[c] != guard || dot[c] != guard {
						t.Error("wrote past the end of sum or dot")
					}
					if !masking {
						return
					}
					out := make([]float32, n+1)
					out[n] = guard
					f.combine(out, g, x, a, k, mu, b, scale, shift)
					for i, want := range wantOut {
						if math.Float32bits(out[i]) != math.Float32bits(want) {
							t.Fatalf("CombineCentredReLURows[%d] = %v, want %v (x %v, y %v, g %v)", i, out[i], want, x[i], y[i], g[i])
						}
					}
					if out[n] != guard {
						t.Error("CombineCentredReLURows wrote past the end of x")
					}
				})
			}
		}
	}
}
