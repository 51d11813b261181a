package network

import (
	"github.com/siamese-dev/siamese/internal/linalg"

	"github.com/siamese-dev/siamese/internal/parallel"
)

// Unfolding for the convolution, patch by patch. An image (C×H×W) is first
// transposed to channels-last with its zero border, (H+2p)×(W+2p)×C; the
// window of output pixel (oy, ox) is then K runs of K·C consecutive floats,
// one per kernel row. So the unfolded matrix has one row per output pixel
// and K·K·C columns ordered (ki, kj, c), and is built with K long copies
// per pixel. Laid out channel-first (a row per (c, ki, kj), a column per
// pixel), the same matrix needs C·K·K·OH copies of OW floats each, and on
// the 4×4 to 16×16 planes of a photo tower those tiny copies cost more
// than the matrix products that read them. Pixel rows also let several
// images share one product: their matrices stack.

// paddedLen is the channels-last padded image im2row and row2im work in.
func (g convGeometry) paddedLen() int {
	return (g.h + 2*g.pad) * (g.w + 2*g.pad) * g.c
}

// toPaddedHWC writes img (C×H×W) into dst as (H+2p)×(W+2p)×C with a zero
// border. The image is transposed in one piece, H·W pixels by C channels,
// to the front of dst (a row at a time would leave the small planes of a
// photo tower, 4 or 8 pixels wide, too narrow for the 8×8 vector
// transpose), and its rows are then moved out to their padded places, the
// last first so that none overwrites one not yet moved.
func toPaddedHWC(dst, img []float32, g convGeometry) {
	p, wp, c := g.pad, g.w+2*g.pad, g.c
	dst = dst[:g.paddedLen()]
	linalg.Transpose(c, g.h*g.w, img, g.h*g.w, dst, c)
	if p == 0 {
		return
	}
	rowLen, run := wp*c, g.w*c
	for y := g.h - 1; y >= 0; y-- {
		at := (y+p)*rowLen + p*c
		copy(dst[at:at+run], dst[y*run:(y+1)*run])
		clear(dst[at-p*c : at])
		clear(dst[at+run : at+run+p*c])
	}
	clear(dst[:p*rowLen])
	clear(dst[(g.h+p)*rowLen:])
}

// fromPaddedHWC is the inverse of toPaddedHWC: it writes the interior of
// src ((H+2p)×(W+2p)×C) to img (C×H×W), moving the rows together at the
// front of src first (src is scratch, and is overwritten).
func fromPaddedHWC(img, src []float32, g convGeometry) {
	p, wp, c := g.pad, g.w+2*g.pad, g.c
	if p > 0 {
		rowLen, run := wp*c, g.w*c
		for y := 0; y < g.h; y++ {
			at := (y+p)*rowLen + p*c
			copy(src[y*run:(y+1)*run], src[at:at+run])
		}
	}
	linalg.Transpose(g.h*g.w, c, src, c, img, g.h*g.w)
}

// im2rowCL is im2row on an unpadded channels-last image (H×W×C): runs
// that cross the border are copied in part and zero-filled for the rest,
// which spares the padded copy of the image. It goes kernel row by kernel
// row: the windows of one output row that lie inside the image are runs
// of K·C floats S·C apart in one image row, copied in one call
// (linalg.CopyRuns).
func im2rowCL(rows, img []float32, g convGeometry) {
	c, k, s, p := g.c, g.k, g.stride, g.pad
	run, width := k*c, g.colRows()
	in0, in1 := g.insideCols()
	for oy := 0; oy < g.oh; oy++ {
		row := rows[oy*g.ow*width : (oy+1)*g.ow*width]
		for ki := 0; ki < k; ki++ {
			iy := oy*s + ki - p
			if iy < 0 || iy >= g.h {
				for ox := 0; ox < g.ow; ox++ {
					clear(row[ox*width+ki*run : ox*width+(ki+1)*run])
				}
				continue
			}
			for ox := 0; ox < g.ow; ox++ {
				if ox == in0 && in1 > in0 {
					at := (iy*g.w + in0*s - p) * c
					linalg.CopyRuns(row[in0*width+ki*run:], width, img[at:], s*c, run, in1-in0)
					ox = in1 - 1
					continue
				}
				part := row[ox*width+ki*run : ox*width+(ki+1)*run]
				x0 := ox*s - p
				lo, hi := max(0, -x0), min(k, g.w-x0) // kernel columns inside
				if lo >= hi {
					clear(part)
					continue
				}
				clear(part[:lo*c])
				at := (iy*g.w + x0 + lo) * c
				copy(part[lo*c:hi*c], img[at:at+(hi-lo)*c])
				clear(part[hi*c:])
			}
		}
	}
}

// insideCols is the output columns [lo, hi) whose whole window lies
// inside the image: those whose first kernel column and last do.
func (g convGeometry) insideCols() (lo, hi int) {
	lo, _ = g.colRange(0)
	_, hi = g.colRange(g.k - 1)
	return lo, max(lo, hi)
}

// row2imCL is the adjoint of im2rowCL: it adds every entry of rows that
// came from inside the image back onto its pixel of acc (H×W×C), which the
// caller zeroes. Like im2rowCL it goes kernel row by kernel row, the
// windows inside the image in one call (linalg.AddRuns); a pixel gets its
// terms in the order of the output pixels whatever the loop, as one output
// row reaches an image row through one kernel row only.
func row2imCL(acc, rows []float32, g convGeometry) {
	c, k, s, p := g.c, g.k, g.stride, g.pad
	run, width := k*c, g.colRows()
	in0, in1 := g.insideCols()
	for oy := 0; oy < g.oh; oy++ {
		row := rows[oy*g.ow*width : (oy+1)*g.ow*width]
		for ki := 0; ki < k; ki++ {
			iy := oy*s + ki - p
			if iy < 0 || iy >= g.h {
				continue
			}
			for ox := 0; ox < g.ow; ox++ {
				if ox == in0 && in1 > in0 {
					at := (iy*g.w + in0*s - p) * c
					linalg.AddRuns(acc[at:], s*c, row[in0*width+ki*run:], width, run, in1-in0)
					ox = in1 - 1
					continue
				}
				x0 := ox*s - p
				lo, hi := max(0, -x0), min(k, g.w-x0)
				if lo >= hi {
					continue
				}
				at := (iy*g.w + x0 + lo) * c
				linalg.Add(acc[at:at+(hi-lo)*c], row[ox*width+ki*run+lo*c:ox*width+ki*run+hi*c])
			}
		}
	}
}

// im2row unfolds a padded channels-last image (see toPaddedHWC) into rows,
// one per output pixel (oy·OW+ox), of K·K·C values ordered (ki, kj, c):
// row[(ki·K+kj)·C+c] = x[c, oy·s+ki-p, ox·s+kj-p], zero in the padding.
func im2row(rows, hwc []float32, g convGeometry) {
	c, k, s, wp := g.c, g.k, g.stride, g.w+2*g.pad
	run, width := k*c, g.colRows()
	r := 0
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			dst := rows[r*width : (r+1)*width]
			r++
			at := (oy*s*wp + ox*s) * c
			for ki := 0; ki < k; ki++ {
				copy(dst[ki*run:(ki+1)*run], hwc[at+ki*wp*c:at+ki*wp*c+run])
			}
		}
	}
}

// row2im is the adjoint of im2row: it adds every entry of rows back onto
// the padded channels-last pixel it was copied from. acc must be zeroed
// (or hold what earlier images' rows summed to) by the caller.
func row2im(acc, rows []float32, g convGeometry) {
	c, k, s, wp := g.c, g.k, g.stride, g.w+2*g.pad
	run, width := k*c, g.colRows()
	r := 0
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			src := rows[r*width : (r+1)*width]
			r++
			at := (oy*s*wp + ox*s) * c
			for ki := 0; ki < k; ki++ {
				linalg.Add(acc[at+ki*wp*c:at+ki*wp*c+run], src[ki*run:(ki+1)*run])
			}
		}
	}
}

// kernelRows reorders a kernel O×C×K×K into O×(K·K·C), each filter's
// values in the (ki, kj, c) order of im2row's rows, or into the transpose
// of that, (K·K·C)×O, when transposed is set.
func kernelRows(dst, w []float32, g convGeometry, transposed bool) {
	kk, width := g.k*g.k, g.colRows()
	for o := 0; o < g.o; o++ {
		src := w[o*width : (o+1)*width]
		for c := 0; c < g.c; c++ {
			for q := 0; q < kk; q++ {
				if j := q*g.c + c; transposed {
					dst[j*g.o+o] = src[c*kk+q]
				} else {
					dst[o*width+j] = src[c*kk+q]
				}
			}
		}
	}
}

// rowsToKernel is the inverse of kernelRows(transposed): it reorders a
// (K·K·C)×O matrix, as the kernel gradient comes out of its product, into
// the kernel's O×C×K×K.
func rowsToKernel(dst, t []float32, g convGeometry) {
	kk, width := g.k*g.k, g.colRows()
	for o := 0; o < g.o; o++ {
		d := dst[o*width : (o+1)*width]
		for c := 0; c < g.c; c++ {
			for q := 0; q < kk; q++ {
				d[c*kk+q] = t[(q*g.c+c)*g.o+o]
			}
		}
	}
}

// rowScratch is the per-worker scratch of the unfolded (im2row) path: a
// padded copy of a channel-first image, the rows of a group of images, and
// that group's pixels×O matrix (an output before its transpose, or dL/dy
// transposed). Channels-last data needs neither the first nor the last.
type rowScratch struct {
	per                int // images per product
	padded, rows, mats int // lengths of the three parts
}

func newRowScratch(g convGeometry, inCL, outCL bool) rowScratch {
	per := imagesPerProduct(g)
	sc := rowScratch{per: per, rows: per * g.colSize()}
	// Channels-last data needs no padded copy (im2rowCL, row2imCL) and no
	// transposed matrix (a product reads and writes it as it is).
	if !inCL {
		sc.padded = g.paddedLen()
	}
	if !outCL {
		sc.mats = per * g.outPlane() * g.o
	}
	return sc
}

func (s rowScratch) size() int { return s.padded + s.rows + s.mats }

// parts cuts one worker's scratch b (at least size long) into its three
// parts.
func (s rowScratch) parts(b []float32) (padded, rows, mat []float32) {
	return b[:s.padded], b[s.padded : s.padded+s.rows], b[s.padded+s.rows : s.size()]
}

// eachGroup runs fn on every group of images of the unfolded path
// (imagesPerProduct images, the last group maybe fewer) with its worker's
// rowScratch parts; see forGroups.
func eachGroup(g convGeometry, inCL, outCL bool, buf []float32, fn func(i0, i1 int, padded, rows, mat []float32)) []float32 {
	sc := newRowScratch(g, inCL, outCL)
	return forGroups(g.n, sc.per, sc.size(), buf, func(i0, i1 int, b []float32) {
		padded, rows, mat := sc.parts(b)
		fn(i0, i1, padded, rows, mat)
	})
}

// forGroups runs fn on n images in the fewest groups of at most per, of
// sizes differing by one at most, the groups spread over the workers,
// each handing fn its own size floats of buf as scratch. buf holds every
// worker's scratch; forGroups returns it grown to fit. Groups of per and
// a remainder left the last one's products a few rows, or one (a 4×4×128
// Winograd layer's 64 images as 21, 21, 21 and 1 tiles a product): even
// groups (16 each there) took that layer's forward pass from 991 to 939
// µs, 8×8×64's from 663 to 647 (one core, 200 rounds in turns, medians).
func forGroups(n, per, size int, buf []float32, fn func(i0, i1 int, scratch []float32)) []float32 {
	groups := (n + per - 1) / per
	workers := workersFor(groups)
	buf = grow(buf, workers*size)
	parallel.Range(groups, workers, func(wk, lo, hi int) {
		b := buf[wk*size : (wk+1)*size]
		for grp := lo; grp < hi; grp++ {
			fn(grp*n/groups, (grp+1)*n/groups, b)
		}
	})
	return buf
}

// imagesPerProduct is how many images share one matrix product: enough to
// give the product a few hundred rows on small planes, few enough that
// their unfolded rows (about 256 KiB) stay in a core's L2 between being
// written and being read. It depends on the geometry alone, never on the
// number of workers, so sums over a batch keep their order.
func imagesPerProduct(g convGeometry) int {
	const target = 64 << 10 // floats
	return max(1, min(g.n, target/max(1, g.colSize())))
}

// Channel-first unfolding, for input layers: with one to three channels
// the runs of im2row are only K·C floats long, while a row of the
// channel-first matrix is a whole output row, and the product's output
// needs no transposing. useIm2col says which a geometry gets.
func (g convGeometry) useIm2col() bool { return g.k*g.c < 16 }

// colRange is the output columns [lo, hi) whose input column
// ox·stride+kj-pad lies inside the image; the others read padding.
// rowRange is the same for output rows and kernel row ki.
func (g convGeometry) colRange(kj int) (lo, hi int) { return g.insideRange(g.w, g.ow, kj) }
func (g convGeometry) rowRange(ki int) (lo, hi int) { return g.insideRange(g.h, g.oh, ki) }

// insideRange is the outputs [lo, hi), of out along an axis of n input
// pixels, whose input o·stride+t-pad lies inside the image.
func (g convGeometry) insideRange(n, out, t int) (lo, hi int) {
	if d := g.pad - t; d > 0 {
		lo = (d + g.stride - 1) / g.stride
	}
	if last := n - 1 + g.pad - t; last >= 0 {
		hi = min(out, last/g.stride+1)
	}
	return lo, hi
}

// im2col lays one image (C×H×W) out as a (C·K·K)×(OH·OW) matrix: row
// (c,ki,kj) holds x[c, oy·s+ki-pad, ox·s+kj-pad] for every output pixel,
// zero where that falls in the padding. A convolution is then one matrix
// product with the kernel seen as O×(C·K·K).
func im2col(col, img []float32, g convGeometry) {
	r, s, ow := 0, g.stride, g.ow
	for c := 0; c < g.c; c++ {
		plane := img[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			y0, y1 := g.rowRange(ki)
			for kj := 0; kj < g.k; kj++ {
				row := col[r*g.colStride() : r*g.colStride()+g.outPlane()]
				r++
				lo, hi := g.colRange(kj)
				if lo >= hi || y0 >= y1 {
					clear(row)
					continue
				}
				if s == 1 && ow == g.w {
					shiftedPlane(row, plane, ow, (ki-g.pad)*ow+kj-g.pad, y0, y1, lo, hi)
					continue
				}
				// Zeros where the window reads padding; the rest a block of
				// y1-y0 rows of hi-lo pixels, taken in one call.
				clear(row[:y0*ow+lo])
				for oy := y0; oy < y1-1; oy++ {
					clear(row[oy*ow+hi : (oy+1)*ow+lo])
				}
				clear(row[(y1-1)*ow+hi:])
				dst := row[y0*ow+lo:]
				src := plane[(y0*s+ki-g.pad)*g.w+lo*s+kj-g.pad:]
				rows, n := y1-y0, hi-lo
				switch s {
				case 1:
					linalg.CopyRuns(dst, ow, src, g.w, n, rows)
				case 2:
					linalg.EvensRows(dst, ow, src, 2*g.w, n, rows)
				default:
					for y := range rows {
						for t := range n {
							dst[y*ow+t] = src[y*s*g.w+t*s]
						}
					}
				}
			}
		}
	}
}

// shiftedPlane writes one row of a stride-1 unfolding whose output plane
// is as wide as the input (ow = w, "same" padding): there output pixel p
// (oy·ow+ox) reads input pixel p+d, so everything from the first pixel
// inside the image, row y0 column lo, to the last, row y1-1 column hi-1,
// is one copy of the plane shifted by d. That copy also carries, into each
// gap between an output row's columns [lo, hi), a pixel from the
// neighbouring image row, which is then zeroed. On a 28×28 gray input the
// gaps are one pixel, and one copy of 27 rows with 27 single zeros takes
// the place of 27 short copies and 27 one-float clears.
func shiftedPlane(row, plane []float32, ow, d, y0, y1, lo, hi int) {
	first, last := y0*ow+lo, (y1-1)*ow+hi
	clear(row[:first])
	copy(row[first:last], plane[first+d:last+d])
	clear(row[last:])
	gap := ow - hi + lo
	for at := y0*ow + hi; at < last; at += ow {
		for i := at; i < at+gap; i++ {
			row[i] = 0
		}
	}
}

// col2im is the adjoint of im2col: it adds every column entry back onto the
// input pixel it was copied from. img must be zeroed by the caller.
func col2im(img, col []float32, g convGeometry) {
	r, s := 0, g.stride
	for c := 0; c < g.c; c++ {
		plane := img[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.k; ki++ {
			y0, y1 := g.rowRange(ki)
			for kj := 0; kj < g.k; kj++ {
				row := col[r*g.colStride() : r*g.colStride()+g.outPlane()]
				r++
				lo, hi := g.colRange(kj)
				if lo >= hi {
					continue
				}
				for oy := y0; oy < y1; oy++ {
					iy := oy*s + ki - g.pad
					src := row[oy*g.ow+lo : oy*g.ow+hi]
					if s == 1 {
						linalg.Add(plane[iy*g.w+lo+kj-g.pad:iy*g.w+hi+kj-g.pad], src)
						continue
					}
					dst := plane[iy*g.w : (iy+1)*g.w]
					for j, v := range src {
						dst[(lo+j)*s+kj-g.pad] += v
					}
				}
			}
		}
	}
}
