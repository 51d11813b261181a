package linalg

import "math"

// AdamCoef are the coefficients of one Adam step (Kingma and Ba 2015) as
// AdamStep applies them: B1 and B2 the moment decays, C1 = 1-B1 and C2 =
// 1-B2 as the caller rounds them (from exact constants, 1-0.9 is
// float32(0.1), not float32(1)-float32(0.9)), Step the learning rate over
// the first moment's bias correction, Sc2 one over the square root of the
// second's, and Eps the denominator's floor.
type AdamCoef struct {
	B1, C1, B2, C2, Step, Sc2, Eps float32
}

// AdamStep updates the moments m and v with the gradient g and moves the
// parameters p, element by element:
//
//	m = B1·m + C1·g
//	v = B2·v + (C2·g)·g
//	p = p - (Step·m) / (sqrt(v)·Sc2 + Eps)
//
// in float32, rounding after every operation (no fused multiply-add), so
// the assembly and Go forms give the same bits. Where the CPU has AVX2 and
// FMA, the bulk of 8 elements at a time runs in assembly (adam_amd64.s),
// which does the Go form's operations one by one in the same order, with
// VSQRTPS for sqrt32, and the Go form does the tail. It panics if g, m or
// v is shorter than p.
func AdamStep(p, g, m, v []float32, k AdamCoef) {
	if len(p) == 0 {
		return
	}
	_, _, _ = g[len(p)-1], m[len(p)-1], v[len(p)-1]
	bulk := vectorBulk(len(p), 8)
	if bulk > 0 {
		adamStepAVX2(&p[0], &g[0], &m[0], &v[0], bulk, k)
	}
	adamStepGo(p[bulk:], g[bulk:len(p)], m[bulk:len(p)], v[bulk:len(p)], k)
}

func adamStepGo(p, g, m, v []float32, k AdamCoef) {
	for i := range p {
		gi := g[i]
		mi := float32(k.B1*m[i]) + float32(k.C1*gi)
		vi := float32(k.B2*v[i]) + float32(float32(k.C2*gi)*gi)
		m[i], v[i] = mi, vi
		d := float32(sqrt32(vi)*k.Sc2) + k.Eps
		p[i] -= float32(k.Step*mi) / d
	}
}

// sqrt32 is the correctly rounded float32 square root: the float64 root
// of a float32 rounds to the same float32 as VSQRTPS gives.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
