package network

// The passes of batch norm over its input, in either layout. Channel-first
// (N×C×S), each channel is N planes of S values, and a channel's sums run
// on one goroutine. Channels-last ((N·S)×C), a row holds one position's C
// channels: maps split the rows among goroutines, and sums add fixed
// slices of the rows, each into its own partial, in slice order. Either
// way a result does not depend on the number of goroutines.

import (
	"github.com/siamese-dev/siamese/internal/linalg"

	"github.com/siamese-dev/siamese/internal/parallel"
)

// bnRowChunks is how many fixed slices of the rows a channels-last sum
// adds separately, so that the slices can run in parallel.
const bnRowChunks = 4

// channelSums sets sum[c] = Σ x over channel c, and sq[c] = Σ x² when sq
// is not nil, in float64. part is scratch of bnRowChunks·2·C values.
func (g bnGeometry) channelSums(x []float32, sum, sq, part []float64) {
	if !g.cl {
		g.parallelChannels(func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				var s, q float64
				g.forChannel(x, ch, func(plane []float32, _ int) {
					if sq == nil {
						s += linalg.Sum(plane)
						return
					}
					ps, pq := linalg.SumSquares(plane)
					s += ps
					q += pq
				})
				sum[ch] = s
				if sq != nil {
					sq[ch] = q
				}
			}
		})
		return
	}
	g.sumRows(sum, sq, part, func(lo, hi int, s, q []float64) {
		if sq == nil {
			linalg.SumRows(x[lo*g.c:hi*g.c], s)
		} else {
			linalg.SumSquaresRows(x[lo*g.c:hi*g.c], s, q)
		}
	})
}

// channelSumDots sets sum[c] = Σ g and dot[c] = Σ g·(x - mean[c]) over
// channel c, in float64, with g = dy, or, for a fused ReLU, dy where its
// output is positive and 0 elsewhere. The mask comes from y, the output,
// and g is then written to masked; or, when scale is not nil
// (channels-last only), from x through the forward pass's map
// scale·(x - mean) + shift, and g is not kept. It makes one pass over dy,
// a block of rows (or a plane) at a time: masked by y, then summed and its
// dots taken while it is still in L1 (channels-last, one kernel sums,
// takes the dots and masks by x). Every column takes its rows in order,
// within the fixed slices of sumRows, as in passes of their own. part is
// scratch of bnRowChunks·2·C values.
func (g bnGeometry) channelSumDots(dy, x, mean, y, masked, scale, shift []float32, sum, dot, part []float64) {
	if g.cl {
		g.sumRows(sum, dot, part, func(lo, hi int, s, d []float64) {
			lo, hi = lo*g.c, hi*g.c
			if y == nil {
				linalg.SumDotCentredRows(dy[lo:hi], x[lo:hi], mean, scale, shift, s, d)
				return
			}
			for at := lo; at < hi; at += g.rowBlock() {
				end := min(hi, at+g.rowBlock())
				linalg.PassPositive(masked[at:end], y[at:end], dy[at:end])
				linalg.SumDotCentredRows(masked[at:end], x[at:end], mean, nil, nil, s, d)
			}
		})
		return
	}
	if y != nil && g.s < minPlaneCall {
		// Planes of a few values: mask in one pass first.
		parallelElems(g.size(), func(lo, hi int) { linalg.PassPositive(masked[lo:hi], y[lo:hi], dy[lo:hi]) })
		dy, y = masked, nil
	}
	grad := func(lo, hi int) []float32 {
		if y == nil {
			return dy[lo:hi]
		}
		linalg.PassPositive(masked[lo:hi], y[lo:hi], dy[lo:hi])
		return masked[lo:hi]
	}
	g.parallelChannels(func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s, d float64
			mu := mean[ch]
			g.forChannel(x, ch, func(plane []float32, off int) {
				gp := grad(off, off+len(plane))
				s += linalg.Sum(gp)
				d += linalg.DotCentred(gp, plane, mu)
			})
			sum[ch], dot[ch] = s, d
		}
	})
}

// sumRows runs add on every fixed slice of the rows, each adding into its
// own zeroed partials, then adds the partials in slice order into sum (and
// sq unless nil).
func (g bnGeometry) sumRows(sum, sq, part []float64, add func(lo, hi int, s, q []float64)) {
	r, c := g.count(), g.c
	chunks := min(bnRowChunks, r)
	part = part[:2*chunks*c]
	clear(part)
	workers := 1
	if g.size() >= minParallelElems {
		workers = workersFor(chunks)
	}
	parallel.Range(chunks, workers, func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			s, q := part[2*k*c:(2*k+1)*c], part[(2*k+1)*c:(2*k+2)*c]
			add(k*r/chunks, (k+1)*r/chunks, s, q)
		}
	})
	clear(sum[:c])
	if sq != nil {
		clear(sq[:c])
	}
	for k := range chunks {
		for j := range c {
			sum[j] += part[2*k*c+j]
			if sq != nil {
				sq[j] += part[(2*k+1)*c+j]
			}
		}
	}
}

// channelAffine sets out = scale[c]·(x - mean[c]) + shift[c] over every
// channel c, then out = max(out, 0) if relu, a block at a time.
func (g bnGeometry) channelAffine(out, x, mean, scale, shift []float32, relu bool) {
	if !g.cl {
		// Planes of a few values (S = 1 after a dense layer) take their
		// ReLU in one pass at the end rather than a call per plane.
		perPlane := relu && g.s >= minPlaneCall
		g.parallelChannels(func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				mu, a, b := mean[ch], scale[ch], shift[ch]
				g.forChannel(x, ch, func(plane []float32, off int) {
					o := out[off : off+len(plane)]
					for at := 0; at < len(plane); at += affineBlock {
						end := min(len(plane), at+affineBlock)
						linalg.AffineCentred(o[at:end], plane[at:end], mu, a, b)
						if perPlane {
							linalg.ReLU(o[at:end], o[at:end])
						}
					}
				})
			}
		})
		if relu && !perPlane {
			parallelElems(g.size(), func(lo, hi int) { linalg.ReLU(out[lo:hi], out[lo:hi]) })
		}
		return
	}
	g.mapRows(func(lo, hi int) {
		for at := lo; at < hi; at += g.rowBlock() {
			end := min(hi, at+g.rowBlock())
			linalg.AffineCentredRows(out[at:end], x[at:end], mean, scale, shift)
			if relu {
				linalg.ReLU(out[at:end], out[at:end])
			}
		}
	})
}

// affineBlock is the floats channelAffine writes before it takes their
// ReLU, and channelSumDots masks before it sums them: few enough to be
// still in L1.
const affineBlock = 2048

// rowBlock is affineBlock in whole channels-last rows, at least one.
func (g bnGeometry) rowBlock() int { return max(1, affineBlock/g.c) * g.c }

// minPlaneCall is the smallest channel-first plane worth a kernel call of
// its own for a fused ReLU or its gradient.
const minPlaneCall = 64

// channelCombine sets out = a[c]·dy + k[c]·(x - mean[c]) + b[c] over every
// channel c of a channel-first input; bnCombine does it channels-last.
func (g bnGeometry) channelCombine(out, dy, x, a, k, mean, b []float32) {
	g.parallelChannels(func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			ac, kc, mu, bc := a[ch], k[ch], mean[ch], b[ch]
			g.forChannel(x, ch, func(plane []float32, off int) {
				linalg.CombineCentred(out[off:off+len(plane)], dy[off:off+len(plane)], plane, ac, kc, mu, bc)
			})
		}
	})
}

// mapRows runs fn on ranges [lo, hi) of the values, whole rows each,
// split among goroutines when the input is large enough to pay for them.
func (g bnGeometry) mapRows(fn func(lo, hi int)) {
	parallel.Range(g.count(), g.rowWorkers(), func(_, lo, hi int) { fn(lo*g.c, hi*g.c) })
}

// rowWorkers is how many goroutines share the rows of a pass over the
// values: one unless the input is large enough to pay for more.
func (g bnGeometry) rowWorkers() int {
	if g.size() >= minParallelElems {
		return workersFor(g.count())
	}
	return 1
}
