package linalg

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// adamLengths cover an empty tensor, a tail only, one 8-element step of
// the assembly, one step plus a tail, and many steps with and without one.
var adamLengths = []int{0, 1, 7, 8, 9, 64, 1000, 4099}

// adamCoefAt returns the coefficients of step t (from 1) of Adam with the
// usual hyperparameters: learning rate 1e-3, B1 0.9, B2 0.999, Eps 1e-8.
// C1 and C2 are rounded from the exact 1-B1 and 1-B2, as AdamCoef asks;
// the bias corrections are computed in float64 and rounded once, as a
// trainer would.
func adamCoefAt(t int) AdamCoef {
	const lr, b1, b2 = 1e-3, 0.9, 0.999
	return AdamCoef{
		B1:   b1,
		C1:   float32(0.1),
		B2:   b2,
		C2:   float32(0.001),
		Step: float32(lr / (1 - math.Pow(b1, float64(t)))),
		Sc2:  float32(1 / math.Sqrt(1-math.Pow(b2, float64(t)))),
		Eps:  1e-8,
	}
}

// adamInputs returns p, g, m and v of n elements, each with guard
// elements past the end (g, m and v only, which AdamStep accepts longer
// than p). g cycles through zeros, tiny values of either sign (1e-30, whose
// square underflows), and random values of either sign over several
// decades; p is random of either sign; m is random of either sign, as a
// first moment is; v is >= 0, some of it 0.
func adamInputs(r *rand.Rand, n, guard int) (p, g, m, v []float32) {
	p, g, m, v = make([]float32, n), make([]float32, n+guard), make([]float32, n+guard), make([]float32, n+guard)
	for i := range g {
		switch i % 7 {
		case 0:
			g[i] = 0
		case 1:
			g[i] = 1e-30
		case 2:
			g[i] = -1e-30
		default:
			g[i] = float32((2*r.Float64() - 1) * math.Pow(10, -4+5*r.Float64()))
		}
		m[i] = float32((2*r.Float64() - 1) * math.Pow(10, -4+4*r.Float64()))
		if i%5 == 0 {
			v[i] = 0
		} else {
			v[i] = float32(r.Float64() * math.Pow(10, -8+8*r.Float64()))
		}
	}
	for i := range p {
		p[i] = 2*r.Float32() - 1
	}
	return p, g, m, v
}

// refSqrt32 is the correctly rounded square root of a float32, in integer
// arithmetic: x = M·2^e with M an integer, e even; sqrt(x) = sqrt(M·4^s)·
// 2^(e/2-s) for M·4^s in [2^60, 2^62), whose integer root has 31 bits and
// whose remainder says whether the root is exact, so rounding the root to
// 24 bits, half to even, needs nothing wider than uint64. A square root
// of a positive float32, even a subnormal one, is a normal float32.
func refSqrt32(x float32) float32 {
	b := math.Float32bits(x)
	switch {
	case b&0x7fffffff == 0: // ±0
		return x
	case b>>31 != 0:
		return float32(math.NaN())
	case b >= 0x7f800000: // +Inf, NaN
		return x
	}
	mant, exp := uint64(b&0x7fffff), int(b>>23)
	if exp == 0 {
		exp = 1 // subnormal: mant·2^-149
	} else {
		mant |= 1 << 23
	}
	e := exp - 150
	if e&1 != 0 {
		mant <<= 1
		e--
	}
	for mant < 1<<60 {
		mant <<= 2
		e -= 2
	}
	root, rem := isqrt64(mant) // root in [2^30, 2^31)
	e /= 2                     // sqrt(x) = (root + rem/...)·2^e
	// Keep 24 bits of the 31: drop 7, rounding half to even with the
	// remainder as a sticky bit.
	keep, drop := root>>7, root&0x7f
	if drop > 0x40 || drop == 0x40 && (rem != 0 || keep&1 != 0) {
		keep++
	}
	e += 7
	if keep == 1<<24 {
		keep >>= 1
		e++
	}
	// keep·2^e with keep in [2^23, 2^24) is 1.f·2^(e+23).
	return math.Float32frombits(uint32(e+23+127)<<23 | uint32(keep)&0x7fffff)
}

// isqrt64 returns the integer square root of x and x minus its square,
// digit by digit.
func isqrt64(x uint64) (root, rem uint64) {
	bit := uint64(1) << ((63 - bits.LeadingZeros64(x)) &^ 1)
	for ; bit != 0; bit >>= 2 {
		if x >= root+bit {
			x -= root + bit
			root = root>>1 + bit
		} else {
			root >>= 1
		}
	}
	return root, x
}

// refAdamStep is AdamStep written out again, one float32 operation per
// statement, each rounded by an explicit conversion (which forbids the
// compiler to fuse a multiply into an add, as it may across statements
// under GOAMD64=v3), the square root by refSqrt32: no float64 anywhere.
func refAdamStep(p, g, m, v []float32, k AdamCoef) {
	for i := range p {
		decayedM := float32(m[i] * k.B1)
		newM := float32(g[i] * k.C1)
		newM = float32(decayedM + newM)
		decayedV := float32(v[i] * k.B2)
		newV := float32(g[i] * k.C2)
		newV = float32(newV * g[i])
		newV = float32(decayedV + newV)
		m[i], v[i] = newM, newV
		den := refSqrt32(newV)
		den = float32(den * k.Sc2)
		den = float32(den + k.Eps)
		num := float32(newM * k.Step)
		p[i] = float32(p[i] - float32(num/den))
	}
}

// TestRefSqrt32 checks the reference square root against sqrt32 (the
// float64 root rounded) on the edges of the float32 range and on random
// bit patterns of every exponent, subnormals included: two independent
// derivations of the correctly rounded root.
func TestRefSqrt32(t *testing.T) {
	xs := []float32{0, math.SmallestNonzeroFloat32, 2 * math.SmallestNonzeroFloat32, 3 * math.SmallestNonzeroFloat32,
		math.Float32frombits(0x007fffff), math.Float32frombits(0x00800000), 0.25, 0.5, 1, 2, 3, 4,
		math.Nextafter32(1, 0), math.Nextafter32(1, 2), math.Nextafter32(4, 0), math.MaxFloat32, float32(math.Inf(1))}
	r := rand.New(rand.NewPCG(21, 22))
	for range 1 << 20 {
		if b := r.Uint32() >> 1; b < 0x7f800000 { // positive and finite
			xs = append(xs, math.Float32frombits(b))
		}
	}
	for i := 1; i < 1<<12; i++ { // squares and their neighbours: exact roots and ties
		s := float32(i) * float32(i)
		xs = append(xs, s, math.Nextafter32(s, 0), math.Nextafter32(s, float32(math.Inf(1))))
	}
	for _, x := range xs {
		if got, want := refSqrt32(x), sqrt32(x); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("refSqrt32(%g) = %g (%#08x), sqrt32 gives %g (%#08x)", x, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	if x := refSqrt32(-1); x == x {
		t.Errorf("refSqrt32(-1) = %g, want NaN", x)
	}
	if x := refSqrt32(float32(math.Copysign(0, -1))); math.Float32bits(x) != 0x80000000 {
		t.Errorf("refSqrt32(-0) = %g, want -0", x)
	}
}

// sameBits32 returns the first index where a and b differ in their bits,
// or -1.
func sameBits32(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestAdamStep checks AdamStep (the assembly on the bulk where the CPU has
// it, the Go form on the tail) against adamStepGo and against refAdamStep,
// bit for bit in p, m and v, on the first step and on a late one, and
// that the guard elements of g, m and v past len(p) are left alone. Each
// case takes three steps in a row, so the later ones start from moments
// the earlier ones wrote.
func TestAdamStep(t *testing.T) {
	t.Logf("assembly: %v", hasAVX2FMA)
	const guard = 9
	forms := []struct {
		name string
		f    func(p, g, m, v []float32, k AdamCoef)
	}{
		{"AdamStep", AdamStep},
		{"adamStepGo", func(p, g, m, v []float32, k AdamCoef) { adamStepGo(p, g[:len(p)], m[:len(p)], v[:len(p)], k) }},
	}
	for _, step := range []int{1, 1000} {
		for _, n := range adamLengths {
			t.Run(fmt.Sprintf("t=%d/n=%d", step, n), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(step), uint64(n)))
				p0, g, m0, v0 := adamInputs(r, n, guard)
				wantP, wantM, wantV := clone32(p0), clone32(m0), clone32(v0)
				for s := step; s < step+3; s++ {
					refAdamStep(wantP, g[:n], wantM[:n], wantV[:n], adamCoefAt(s))
				}
				if sameBits32(wantM[n:], m0[n:]) >= 0 || sameBits32(wantV[n:], v0[n:]) >= 0 {
					t.Fatal("refAdamStep wrote past len(p)")
				}
				for _, form := range forms {
					p, m, v := clone32(p0), clone32(m0), clone32(v0)
					for s := step; s < step+3; s++ {
						form.f(p, g, m, v, adamCoefAt(s))
					}
					for _, c := range []struct {
						name      string
						got, want []float32
					}{{"p", p, wantP}, {"m", m, wantM}, {"v", v, wantV}} {
						if i := sameBits32(c.got, c.want); i >= 0 {
							t.Errorf("%s: %s[%d] = %g (%#08x), want %g (%#08x)", form.name, c.name, i,
								c.got[i], math.Float32bits(c.got[i]), c.want[i], math.Float32bits(c.want[i]))
						}
					}
				}
			})
		}
	}
}

func clone32(x []float32) []float32 { return append([]float32(nil), x...) }

// TestAdamStepAliased checks that AdamStep agrees with adamStepGo where
// one slice is both p and m, or both g and v, element by element as the
// assembly's order of loads and stores promises.
func TestAdamStepAliased(t *testing.T) {
	k := adamCoefAt(7)
	for _, n := range adamLengths {
		r := rand.New(rand.NewPCG(31, uint64(n)))
		p, g, m, v := adamInputs(r, n, 0)
		copy(p, m)
		pm1, pm2 := clone32(p), clone32(p)
		g1, v1, g2, v2 := clone32(g), clone32(v), clone32(g), clone32(v)
		AdamStep(pm1, g1, pm1, v1, k)
		adamStepGo(pm2, g2, pm2, v2, k)
		if sameBits32(pm1, pm2) >= 0 || sameBits32(v1, v2) >= 0 {
			t.Errorf("n=%d: p = m: AdamStep and adamStepGo differ", n)
		}
		for i := range v {
			v[i] = float32(math.Abs(float64(g[i])))
		}
		gv1, gv2, p1, p2, m1, m2 := clone32(v), clone32(v), clone32(p), clone32(p), clone32(m), clone32(m)
		AdamStep(p1, gv1, m1, gv1, k)
		adamStepGo(p2, gv2, m2, gv2, k)
		if sameBits32(p1, p2) >= 0 || sameBits32(m1, m2) >= 0 || sameBits32(gv1, gv2) >= 0 {
			t.Errorf("n=%d: g = v: AdamStep and adamStepGo differ", n)
		}
	}
}

// TestAdamStepPanics checks that AdamStep refuses g, m or v shorter than
// p, by one element and by a whole assembly step, on a length the Go form
// takes alone, one the assembly takes alone, and one it splits, and that
// it writes nothing before it panics.
func TestAdamStepPanics(t *testing.T) {
	for _, n := range []int{7, 16, 17} {
		for _, short := range []int{1, 8} {
			if short > n {
				continue
			}
			for _, which := range []string{"g", "m", "v"} {
				t.Run(fmt.Sprintf("n=%d/%s short by %d", n, which, short), func(t *testing.T) {
					r := rand.New(rand.NewPCG(41, uint64(n)))
					p, g, m, v := adamInputs(r, n, 0)
					p0, m0, v0 := clone32(p), clone32(m), clone32(v)
					gs, ms, vs := g, m, v
					switch which {
					case "g":
						gs = g[:n-short]
					case "m":
						ms = m[:n-short]
					case "v":
						vs = v[:n-short]
					}
					defer func() {
						if recover() == nil {
							t.Error("did not panic")
						}
						if sameBits32(p, p0) >= 0 || sameBits32(m, m0) >= 0 || sameBits32(v, v0) >= 0 {
							t.Error("wrote before panicking")
						}
					}()
					AdamStep(p, gs, ms, vs, adamCoefAt(1))
				})
			}
		}
	}
}

// BenchmarkAdamStep times AdamStep (the assembly where the CPU has it)
// and the Go form on a tensor of 1<<20 parameters, 16 MiB of p, g, m and
// v together. GB/s counts the bytes read (p, g, m, v) and written (p, m,
// v): 28 per parameter.
func BenchmarkAdamStep(b *testing.B) {
	const n = 1 << 20
	r := rand.New(rand.NewPCG(51, 52))
	g := randomVector(r, n, -1, 1)
	k := adamCoefAt(1000)
	for _, form := range []struct {
		name string
		f    func(p, g, m, v []float32, k AdamCoef)
	}{
		{"AdamStep", AdamStep},
		{"adamStepGo", adamStepGo},
	} {
		b.Run(form.name, func(b *testing.B) {
			p, m, v := randomVector(r, n, -1, 1), make([]float32, n), make([]float32, n)
			for b.Loop() {
				form.f(p, g, m, v, k)
			}
			b.ReportMetric(28*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
