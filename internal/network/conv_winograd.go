package network

// The Winograd form of a 3×3 convolution with padding 1 on channels-last
// data, at stride 1 (the default tower's second convolution, a residual
// block's second) or 2 (a residual block's first). At stride 1,
// F(m×m,3×3) (see internal/linalg/winograd.go and winograd4.go for the
// maths) turns each image into tiles of m×m output pixels, and the layer
// into (m+2)² matrix products per group of images, with 2.25 (m = 2) or 4
// (m = 4) times fewer flops than the unfolded (im2row) product, and no
// 9-fold unfolded copy of the input. F(4×4) is used where it takes fewer
// multiplications (winogradTile), F(2×2) elsewhere. At stride 2, F(2×2,3×3)
// split by the input's parity (internal/linalg/winograd_s2.go) reads 5×5
// windows four pixels apart and makes 25 products, 1.44 times fewer flops.
//
// The output plane is cut into th×tw tiles, th = ⌈OH/m⌉, whose inputs are
// read from a copy of the image with a zero border, the image at (1,1):
// (m·th+2)×(m·tw+2) pixels at stride 1, (4·th+1)×(4·tw+1) at stride 2.
// A group's transformed tiles V (planes × tiles×C) and products M (planes
// × tiles×O) each hold one plane per ξ, so product ξ reads and writes
// contiguous rows. Then, for a group of images,
//
//	forward:         V = in(x),  M_ξ = V_ξ·U_ξ,         y = out(M)
//	input gradient:  dM = out*(dy), dV_ξ = dM_ξ·U_ξᵀ,   dx = in*(dV)
//	kernel gradient: V = in(x), dM = out*(dy), dU_ξᵀ += dM_ξᵀ·V_ξ, dw = ker*(dUᵀ)
//
// where U = ker(w) is the transformed kernel and * marks an adjoint. The
// kernel transform is one matrix product for all filters, giving Uᵀ
// (planes of O×C), which the input gradient multiplies by as it is; the
// forward pass transposes it to U. The two gradients are one op
// (winogradGradInput), which takes Uᵀ from the forward pass, computes dM
// once for both, and transforms x again rather than keep V for the whole
// batch, so a group's scratch stays under a megabyte.

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/linalg"
)

// useWinograd says whether a convolution runs in the Winograd form: a 3×3
// kernel at stride 1 or 2 with padding 1, channels-last in and out, and
// enough input channels for the channels-last path (see useIm2col). At
// stride 2 the Winograd form's three passes take 4% to 20% less time than
// the unfolded form's on the photo towers' layers (BenchmarkConv2DLayers,
// one core), the most on the smallest planes.
func (g convGeometry) useWinograd(inCL, outCL bool) bool {
	return g.k == 3 && (g.stride == 1 || g.stride == 2) && g.pad == 1 && inCL && outCL && !g.useIm2col()
}

// stride2Pays says whether the stride-2 Winograd form is worth its
// transforms on an OH×OW output plane: when its 25 products per 2×2 tile,
// counting the tiles' outputs past the plane's edge, are under 80% of the
// unfolded product's 9 per pixel. Even planes get 69%; a 3×3 plane, whose
// four tiles compute 16 outputs for 9, 123%, and there the Winograd form's
// three passes took 8.0-9.4 ms against the unfolded form's 7.15 (6×6×64 →
// 3×3×128, batch 128, one core).
func stride2Pays(oh, ow int) bool {
	return 10*linalg.WinogradS2.Products(oh, ow) < 8*9*oh*ow
}

// winogradForm is the Winograd form a layer that may take one
// (useWinograd) runs in, and whether it takes it: at stride 2 where
// stride2Pays, at stride 1 F(4×4) or F(2×2) as winogradTile says. tile is
// conv2D.tile, which overrides both choices.
func winogradForm(g convGeometry, tile int) (linalg.Winograd, bool) {
	if g.stride == 2 {
		return linalg.WinogradS2, tile != 0 || stride2Pays(g.oh, g.ow)
	}
	if tile == 0 {
		tile = winogradTile(g.h, g.w)
	}
	if tile == 4 {
		return linalg.WinogradF4, true
	}
	return linalg.WinogradF2, true
}

// winograd is the tiling of one Winograd convolution.
type winograd struct {
	convGeometry
	alg    linalg.Winograd // the form: F(2×2) or F(4×4) at stride 1, F(2×2) at stride 2
	th, tw int             // tiles down and across an image
	per    int             // images per group
	pool   bool            // conv2D.pool: an image's output and its gradient pass through the tiled scratch, unless fused
	poolCF bool            // conv2D.poolCF: and its pooled output through a channels-last one after it
	// fused: the ReLU and pooling run inside the F(4×4) output transform,
	// and their gradient's routing inside its adjoint
	// (linalg.Winograd4OutputPool, Winograd4OutputGradPool), where the CPU
	// runs those kernels fused and the pooled output is at most a row and
	// a column short of what the tiles pool to (a 14×14 plane's 4×4 tiles
	// pool to 8×8, the output to 7×7). The convolution's output then never
	// leaves the registers, where the kernels apart wrote it to a tiled
	// plane and read it back, each way. At 14×14×32 → 64, batch 64, one
	// core, the forward pass took 3.6-5.2% less time and the gradients
	// 2.1-4.8% less (BenchmarkConvPoolWinograd, two runs; docs/RESULTS.md,
	// eighteenth pass).
	fused bool
	// bnIn: the output gradient is computed into the tiled scratch, an
	// image at a time (winogradGradInput.bn).
	bnIn bool
}

// winogradGroupFloats bounds a group's transformed tiles and products, so
// that what the transforms write is still in L2 when the products read it.
const winogradGroupFloats = 192 << 10

// newWinograd is the tiling of Winograd layer k on g.
func (k *conv2D) newWinograd(g convGeometry) winograd {
	alg, _ := winogradForm(g, k.tile)
	wg := winograd{convGeometry: g, alg: alg, pool: k.pool, poolCF: k.poolCF}
	m := alg.M
	wg.th, wg.tw = (g.oh+m-1)/m, (g.ow+m-1)/m
	wg.fused = k.pool && !k.poolApart && m == 4 && linalg.Winograd4PoolFused(g.o) &&
		2*wg.th-1 <= g.oh/2 && 2*wg.tw-1 <= g.ow/2
	wg.per = max(1, min(g.n, wg.imagesIn(winogradGroupFloats)))
	return wg
}

// imagesIn is how many images' transformed tiles and products fit in
// floats floats, at least one.
func (wg winograd) imagesIn(floats int) int {
	return max(1, floats/(wg.planes()*wg.tiles()*(wg.c+wg.o)))
}

// gradPer is the images a group of the backward pass, whose chunks of
// the kernel gradient's sum (at most size images each) it cuts into the
// fewest equal groups of at most twice winogradGroupFloats' worth of
// images. A group's kernel-gradient products add into the chunk's
// planes×O×C sum, reading and writing all of it however few tiles the
// group has: forward-sized groups cut a 14×14 layer's chunks of 4 images
// into 3 and 1, and a 4×4×128 layer's chunks of 32 into 21 and 11.
// Measured in turns (one core, 100 rounds, medians), the gradients took
// 3,214 µs against 3,366 at 14×14×32 → 64 (64 images), 6,288 against
// 6,780 at 24×24 (64), 3,305 against 4,162 at 4×4×128 (128), and about
// the same at 14×14 (128 images, chunks of 8) and 16×16×32 (128).
func (wg winograd) gradPer(size int) int {
	most := wg.imagesIn(2 * winogradGroupFloats)
	groups := max(1, (size+most-1)/most)
	return max(1, (size+groups-1)/groups)
}

// winogradTile is the output tile side for an H×W plane: 4, F(4×4,3×3),
// where that takes fewer multiplications than F(2×2,3×3), counting the
// products of tiles that reach past the plane's edge, else 2. A 4×4
// tile's products cost 36/64 of four 2×2 tiles', so F(4×4) wins on most
// planes; F(2×2) keeps those of 2, 5 and 6 pixels a side, where the 4×4
// tiles waste as much as they save. Measured on one core
// (BenchmarkConv2DLayers, three passes), F(4×4) against F(2×2) takes 24%
// less time on 16×16×32, 25% on 8×8×64, 16% on 14×14×32 (whose edge
// tiles waste a quarter of their products), 30% on 7×7×64, 4% on
// 10×10×64, and about the same on 4×4×128; but 40% more on 6×6×128 and
// 60% more on 5×5×128, where the count is even.
func winogradTile(h, w int) int {
	if linalg.WinogradF4.Products(h, w) < linalg.WinogradF2.Products(h, w) {
		return 4
	}
	return 2
}

func (wg winograd) tiles() int { return wg.th * wg.tw }

// m is the output tile's side, side the input tile's (m+2 at stride 1, 5
// at stride 2), step the pixels between neighbouring tiles' inputs
// (m·stride) and planes the positions ξ of a transformed tile, side².
func (wg winograd) m() int      { return wg.alg.M }
func (wg winograd) side() int   { return wg.alg.Side() }
func (wg winograd) step() int   { return wg.alg.Step() }
func (wg winograd) planes() int { return wg.alg.Planes() }

// even: the output plane is whole tiles, so outputs and output gradients
// are read and written in place rather than through a tile-sized copy.
func (wg winograd) even() bool { return wg.oh%wg.m() == 0 && wg.ow%wg.m() == 0 }

// The padded input's row, and a plane of whole tiles' row, in floats.
func (wg winograd) paddedRow() int { return (wg.step()*wg.tw + wg.side() - wg.step()) * wg.c }
func (wg winograd) paddedLen() int {
	return (wg.step()*wg.th + wg.side() - wg.step()) * wg.paddedRow()
}
func (wg winograd) tiledRow() int { return wg.m() * wg.tw * wg.o }
func (wg winograd) tiledLen() int { return wg.m() * wg.th * wg.tiledRow() }

// winogradScratch is one worker's share of an op's scratch: a padded
// image, a group's transformed input side (V or dV, C wide) and output
// side (M or dM, O wide), and a tiled output plane for odd sizes.
type winogradScratch struct{ padded, in, out, tiled int }

func (wg winograd) scratch() winogradScratch {
	s := winogradScratch{
		padded: wg.paddedLen(),
		in:     wg.planes() * planeStride(wg.per*wg.tiles()*wg.c),
		out:    wg.planes() * planeStride(wg.per*wg.tiles()*wg.o),
	}
	switch {
	case wg.fused:
		if wg.poolCF {
			s.tiled = wg.pooledLen()
		}
	case !wg.even() || wg.pool || wg.bnIn:
		s.tiled = wg.tiledLen()
		if wg.poolCF {
			s.tiled += wg.pooledLen()
		}
	}
	return s
}

// pooledLen is the floats of one image's pooled output.
func (wg winograd) pooledLen() int { return (wg.oh / 2) * (wg.ow / 2) * wg.o }

// poolParts cuts a pooled layer's tiled scratch into the image's output
// and, when poolCF, its channels-last pooled output.
func (wg winograd) poolParts(tiled []float32) (z, pooled []float32) {
	z = tiled[:wg.tiledLen()]
	if wg.poolCF {
		pooled = tiled[wg.tiledLen() : wg.tiledLen()+wg.pooledLen()]
	}
	return z, pooled
}

func (s winogradScratch) size() int { return s.padded + s.in + s.out + s.tiled }

// parts cuts one worker's scratch b (at least size long) into its four
// parts.
func (s winogradScratch) parts(b []float32) (padded, in, out, tiled []float32) {
	padded, b = b[:s.padded], b[s.padded:]
	in, b = b[:s.in], b[s.in:]
	out, b = b[:s.out], b[s.out:]
	return padded, in, out, b[:s.tiled]
}

// eachGroup runs fn on every group of images with its worker's scratch
// parts; see forGroups.
func (wg winograd) eachGroup(buf []float32, fn func(i0, i1 int, padded, in, out, tiled []float32)) []float32 {
	sc := wg.scratch()
	return forGroups(wg.n, wg.per, sc.size(), buf, func(i0, i1 int, b []float32) {
		padded, in, out, tiled := sc.parts(b)
		fn(i0, i1, padded, in, out, tiled)
	})
}

// pad copies one channels-last image into the interior of padded, its
// rows in one call; the zero border is the caller's (see transformInputs).
func (wg winograd) pad(padded, img []float32) {
	row, run := wg.paddedRow(), wg.w*wg.c
	linalg.CopyRuns(padded[row+wg.c:], row, img, run, run, wg.h)
}

// transformInputs writes V for images [i0, i1) of x, T tiles in all.
// padded may hold anything on entry (the input gradient adds into it):
// it is cleared once, and then each image overwrites only its interior,
// so the border stays zero.
func (wg winograd) transformInputs(v, padded, x []float32, i0, i1 int) {
	c, tiles, plane := wg.c, wg.tiles(), planeStride((i1-i0)*wg.tiles()*wg.c)
	row := wg.paddedRow()
	clear(padded[:wg.paddedLen()])
	for i := i0; i < i1; i++ {
		wg.pad(padded, x[i*wg.inSize():(i+1)*wg.inSize()])
		for ty := range wg.th {
			at := ((i-i0)*tiles + ty*wg.tw) * c
			wg.alg.Input(v[at:], plane, padded[wg.step()*ty*row:], row, c, wg.tw)
		}
	}
}

// transformOutputGrads writes dM for images [i0, i1), image i's
// output gradient being what grads(i, tiled) returns, with its row
// stride: whole tiles (tiledRow) when the plane is not.
func (wg winograd) transformOutputGrads(dm, tiled []float32, i0, i1 int, grads func(i int, tiled []float32) ([]float32, int)) {
	o, tiles, plane := wg.o, wg.tiles(), planeStride((i1-i0)*wg.tiles()*wg.o)
	for i := i0; i < i1; i++ {
		src, row := grads(i, tiled)
		for ty := range wg.th {
			at := ((i-i0)*tiles + ty*wg.tw) * o
			wg.alg.OutputGrad(dm[at:], plane, src[wg.m()*ty*row:], row, o, wg.tw)
		}
	}
}

// outputPooled writes one image's pooled output y, channels-last, and its
// window positions arg from M (m at the image's first tile), in a fused
// layer.
func (wg winograd) outputPooled(y []float32, arg []uint8, m []float32, plane int, pg poolGeometry) {
	row := pg.ow * pg.c
	for ty := range wg.th {
		at := 2 * ty * row
		linalg.Winograd4OutputPool(y[at:], arg[at:], row, m[ty*wg.tw*wg.o:], plane, wg.o, wg.tw, pg.ow, min(2, pg.oh-2*ty))
	}
}

// transformPooledGrads is transformOutputGrads for a fused layer: dM for
// images [i0, i1) from their pooled gradients dy and window positions arg,
// through pooled (an image's channels-last pooled gradient) where dy is
// channel-first.
func (wg winograd) transformPooledGrads(dm, pooled []float32, i0, i1 int, dy []float32, arg []uint8, pg poolGeometry) {
	o, tiles, plane := wg.o, wg.tiles(), planeStride((i1-i0)*wg.tiles()*wg.o)
	n, row := pg.outSize(), pg.ow*pg.c
	for i := i0; i < i1; i++ {
		src := dy[i*n : (i+1)*n]
		if wg.poolCF {
			src = pg.channelsLast(pooled, src)
		}
		a := arg[i*n : (i+1)*n]
		for ty := range wg.th {
			at, r := ((i-i0)*tiles+ty*wg.tw)*o, 2*ty*row
			linalg.Winograd4OutputGradPool(dm[at:], plane, src[r:], a[r:], row, o, wg.tw, pg.ow, min(2, pg.oh-2*ty))
		}
	}
}

// toTiled copies an OH×OW×O plane into tiled, m·th×m·tw×O, zero beyond it.
func (wg winograd) toTiled(tiled, img []float32) []float32 {
	row, run := wg.tiledRow(), wg.ow*wg.o
	for y := range wg.oh {
		copy(tiled[y*row:y*row+run], img[y*run:(y+1)*run])
		clear(tiled[y*row+run : (y+1)*row])
	}
	clear(tiled[wg.oh*row : wg.tiledLen()])
	return tiled
}

// products runs the planes products of a group of T tiles: out_ξ (T×n) =
// op(a_ξ) · b_ξ, a_ξ being T×k (or k×T for transA, into a k×n sum with
// beta), each ξ a plane of the three: the group's transformed tiles and
// products planeStride apart, the kernel's and the sum's k·n.
func products(planes int, transA bool, tiles, n, k int, a, b []float32, beta float32, out []float32) {
	ap, bp, op := planeStride(tiles*k), k*n, planeStride(tiles*n)
	m, kk := tiles, k
	if transA {
		bp, op = planeStride(tiles*n), k*n
		m, kk = k, tiles
	}
	for xi := range planes {
		linalg.Gemm(transA, false, m, n, kk, 1, a[xi*ap:], k, b[xi*bp:], n, beta, out[xi*op:], n)
	}
}

func (k *conv2D) forwardWinograd(x, w []float32, g convGeometry) {
	wg := k.newWinograd(g)
	co, planes := g.c*g.o, wg.planes()
	// The transform comes as planes of O×C (U_ξᵀ), which the input
	// gradient multiplies by as they are; the products here want U_ξ.
	// Handing them U_ξᵀ as a transposed factor instead, for the GEMM's
	// packing to read across, was slower than these transposes: the
	// products pack it again for every group, and the layer's three passes
	// took 4% (14×14×32) to 10% (24×24×32) longer, one core.
	k.wo = grow(k.wo, planes*co)
	wg.alg.Kernel(k.wo, w, g.o, g.c)
	k.wt = grow(k.wt, planes*co)
	for xi := range planes {
		linalg.Transpose(g.o, g.c, k.wo[xi*co:], g.c, k.wt[xi*co:], g.o)
	}
	var pg poolGeometry
	if k.pool {
		pg, _ = k.pooling(g) // forward has checked it
	}
	k.buf = wg.eachGroup(k.buf, func(i0, i1 int, padded, v, m, tiled []float32) {
		tiles := (i1 - i0) * wg.tiles()
		wg.transformInputs(v, padded, x, i0, i1)
		products(wg.planes(), false, tiles, g.o, g.c, v, k.wt, 0, m)
		plane := planeStride(tiles * g.o)
		for i := i0; i < i1; i++ {
			if wg.fused {
				// Pooled channels-last into k.out, or into the scratch to be
				// transposed while it is in cache.
				n := pg.outSize()
				y := k.out[i*n : (i+1)*n]
				dst := y
				if wg.poolCF {
					dst = tiled[:n]
				}
				wg.outputPooled(dst, k.arg[i*n:(i+1)*n], m[(i-i0)*wg.tiles()*g.o:], plane, pg)
				if wg.poolCF {
					pg.channelFirst(y, dst)
				}
				continue
			}
			dst, row := tiled, wg.tiledRow()
			if wg.even() && !k.pool {
				dst, row = k.out[i*g.outSize():(i+1)*g.outSize()], g.ow*g.o
			}
			for ty := range wg.th {
				at := ((i-i0)*wg.tiles() + ty*wg.tw) * g.o
				wg.alg.Output(dst[wg.m()*ty*row:], row, m[at:], plane, g.o, wg.tw)
			}
			switch {
			case k.pool:
				// From the scratch, where the image's output is in cache;
				// the output itself is never written out.
				at, n := i*pg.outSize(), pg.outSize()
				y, arg := k.out[at:at+n], k.arg[at:at+n]
				if !k.poolCF {
					pg.reluPoolCLArg(y, arg, dst, row)
					break
				}
				_, pooled := wg.poolParts(tiled)
				pg.reluPoolCLArg(pooled, arg, dst, row)
				pg.channelFirst(y, pooled)
			case !wg.even():
				out, run := k.out[i*g.outSize():], g.ow*g.o
				for y := range g.oh {
					copy(out[y*run:(y+1)*run], tiled[y*row:])
				}
			}
		}
	})
}

// winogradGradInput is the backward pass of a Winograd layer: dL/dx, and
// on the way dL/dw, which winogradGradWeight hands on. Both gradients
// start from dM, the output gradient's transform, which as two ops they
// would each compute: it is the costliest transform, (m+2)² planes
// written for every m² pixels read. Inputs: w, dL/dy, x, and with proj
// a residual block's projection kernel and output gradient, whose input
// gradient dL/dx then includes (shortcutGrad).
type winogradGradInput struct {
	fwd  *conv2D
	proj *conv2D // the 1×1 projection that shares x, or nil
	// bn, if not nil, is the batch norm after the layer, whose input
	// gradient is dL/dy: the op takes that op's inputs in dL/dy's place
	// and computes each image's dL/dy into its tiled scratch as the
	// output-gradient transform needs it, where batch norm's op wrote
	// the whole batch's to memory for this op to read back. The same
	// values by the same kernels. The photos preset's step took 2.1% less
	// time on one core and 2.9% less on two (BenchmarkTrainStepPhotos,
	// test binaries with and without, 12 runs in turn, Zen 5).
	bn *bnGradInputOp

	out     []float32 // dL/dx
	dw      []float32 // dL/dw, O×C×3×3
	partial []float32 // planes×O×C sums of dUᵀ of chunks (sumOverChunks)
	buf     []float32 // per worker: winogradScratch
}

func (k *winogradGradInput) name() string { return "conv2d (Winograd) gradients" }

// The inputs are the kernel, dL/dy (or, with bn, batch norm's input),
// x, then with bn the rest of batch norm's input gradient op's inputs,
// then with proj the projection's kernel and output gradient.
func (k *winogradGradInput) inputs() []string {
	in := []string{"kernel", "output gradient", "input"}
	if k.bn != nil {
		in[1] = "batch norm input"
		names := bnGradInputNames()
		in = append(in, names[1], "batch norm "+names[2], names[3], names[4])
	}
	if k.proj != nil {
		in = append(in, "projection kernel", "projection output gradient")
	}
	return in
}

// projAt is where the projection's inputs start.
func (k *winogradGradInput) projAt() int {
	if k.bn != nil {
		return 7
	}
	return 3
}

// bnInputs picks batch norm's input gradient op's inputs out of the op's.
func bnInputs[T any](in []T) []T { return []T{in[1], in[3], in[4], in[5], in[6]} }

// projGeometry checks the projection's kernel ps and output gradient
// shape gs against the input shape xs and the branch's geometry g.
func (k *winogradGradInput) projGeometry(xs, ps, gs tensor.Shape, g convGeometry) (convGeometry, error) {
	gp, err := k.proj.geometry(xs, ps)
	if err != nil {
		return gp, fmt.Errorf("%s: projection: %w", k.name(), err)
	}
	if gp.k != 1 || gp.oh != g.oh || gp.ow != g.ow {
		return gp, fmt.Errorf("%s: projection kernel %v does not give the branch's %dx%d plane", k.name(), ps, g.oh, g.ow)
	}
	if want := (tensor.Shape{gp.n, gp.o, gp.oh, gp.ow}); !gs.Eq(want) {
		return gp, fmt.Errorf("%s: projection output gradient %v, want %v", k.name(), gs, want)
	}
	return gp, nil
}

func (k *winogradGradInput) geometry(ws, gs, xs tensor.Shape) (convGeometry, error) {
	g, err := k.fwd.geometry(xs, ws)
	if err != nil {
		return g, fmt.Errorf("%s: %w", k.name(), err)
	}
	want := tensor.Shape{g.n, g.o, g.oh, g.ow}
	if k.fwd.pool {
		pg, err := k.fwd.pooling(g)
		if err != nil {
			return g, fmt.Errorf("%s: %w", k.name(), err)
		}
		want = tensor.Shape{pg.n, pg.c, pg.oh, pg.ow}
	}
	if !gs.Eq(want) {
		return g, fmt.Errorf("%s: output gradient %v, want %v", k.name(), gs, want)
	}
	return g, nil
}

func (k *winogradGradInput) shape(in []tensor.Shape) (tensor.Shape, error) {
	g, err := k.geometry(in[0], in[1], in[2])
	if err != nil {
		return nil, err
	}
	if k.proj != nil {
		if _, err := k.projGeometry(in[2], in[k.projAt()], in[k.projAt()+1], g); err != nil {
			return nil, err
		}
	}
	if k.bn != nil && (k.fwd.pool || !in[1].Eq(in[4])) {
		return nil, fmt.Errorf("%s: batch norm input %v and output gradient %v differ in shape, or the layer pools", k.name(), in[1], in[4])
	}
	return in[2].Clone(), nil
}

// winogradChunkPixels is the fewest output pixels (whole tiles) a chunk
// of the kernel gradient sums over: on small planes (a photo tower's
// 4×4, one F(4×4) tile an image) 16 chunks would make each product's
// inner dimension a few dozen and the chunks' planes×C×O partials more to
// add than to compute. Counted in pixels, not tiles, so that a plane cut
// into 2×2 or 4×4 tiles gets the same chunks, and so the same parallel
// work.
const winogradChunkPixels = 512

func (k *winogradGradInput) forward(in [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	w, dy, x := in[0], in[1], in[2]
	g, err := k.geometry(shapes[0], shapes[1], shapes[2])
	if err != nil {
		return nil, err
	}
	wg := k.fwd.newWinograd(g)
	co, planes := g.c*g.o, wg.planes()
	// dy comes from the forward pass's output, so that pass has run on
	// these weights in this same run of the graph and left Uᵀ in fwd.wo;
	// only an op run on its own has to transform them.
	ut := k.fwd.wo
	if len(ut) != planes*co {
		k.fwd.wo = grow(k.fwd.wo, planes*co)
		ut = k.fwd.wo
		wg.alg.Kernel(ut, w, g.o, g.c)
	}
	k.out = grow(k.out, g.n*g.inSize())
	// What transformOutputGrads reads: dy itself, or for a pooled layer
	// the convolution's gradient, routed from the pooled one through the
	// window positions the forward pass kept.
	grads := func(i int, tiled []float32) ([]float32, int) {
		src := dy[i*g.outSize() : (i+1)*g.outSize()]
		if !wg.even() {
			return wg.toTiled(tiled, src), wg.tiledRow()
		}
		return src, g.ow * g.o
	}
	if k.bn != nil {
		c, err := k.bn.prepare(bnInputs(in), bnInputs(shapes))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.name(), err)
		}
		wg.bnIn = true
		grads = func(i int, tiled []float32) ([]float32, int) {
			row, run, at := wg.tiledRow(), g.ow*g.o, i*g.outSize()
			for y := range g.oh {
				c.rows(tiled[y*row:y*row+run], at+y*run, at+(y+1)*run)
				clear(tiled[y*row+run : (y+1)*row])
			}
			clear(tiled[g.oh*row : wg.tiledLen()])
			return tiled, row
		}
	}
	var pg poolGeometry
	if k.fwd.pool {
		pg, _ = k.fwd.pooling(g) // geometry has checked it
		if len(k.fwd.arg) != pg.n*pg.outSize() {
			return nil, fmt.Errorf("%s: the forward pass has not run", k.name())
		}
		arg, n := k.fwd.arg, pg.outSize()
		grads = func(i int, tiled []float32) ([]float32, int) {
			z, pooled := wg.poolParts(tiled)
			dyi := dy[i*n : (i+1)*n]
			if wg.poolCF {
				dyi = pg.channelsLast(pooled, dyi)
			}
			pg.reluPoolCLArgGrad(z, wg.tiledRow(), arg[i*n:(i+1)*n], dyi)
			return z, wg.tiledRow()
		}
	}
	// The chunks of the kernel gradient's sum, as gradChunks: a count that
	// depends on the geometry alone, so the sum is the same at any
	// number of workers.
	chunks := max(1, min(g.n, gradChunks, g.n*wg.tiles()*wg.m()*wg.m()/winogradChunkPixels))
	workers := workersFor(chunks)
	wg.per = wg.gradPer((g.n + chunks - 1) / chunks)
	sc := wg.scratch()
	// With a projection, a group's rows of its input gradient (pixels×C).
	var gp convGeometry
	rows := 0
	if k.proj != nil {
		gp, _ = k.projGeometry(shapes[2], shapes[k.projAt()], shapes[k.projAt()+1], g) // shape has checked it
		rows = wg.per * gp.outPlane() * gp.c
	}
	each := sc.size() + rows
	k.buf = grow(k.buf, workers*each)
	total := sumOverChunks(g.n, chunks, workers, planes*co, &k.partial, func(wk int, sum []float32, lo, hi int) {
		b := k.buf[wk*each : (wk+1)*each]
		padded, v, dm, tiled := sc.parts(b)
		beta := float32(0)
		for i0 := lo; i0 < hi; i0 += wg.per {
			i1 := min(hi, i0+wg.per)
			tiles := (i1 - i0) * wg.tiles()
			if wg.fused {
				wg.transformPooledGrads(dm, tiled, i0, i1, dy, k.fwd.arg, pg)
			} else {
				wg.transformOutputGrads(dm, tiled, i0, i1, grads)
			}
			// dV_ξ (T×C) = dM_ξ (T×O) · U_ξᵀ (O×C), then dx from dV.
			products(planes, false, tiles, g.c, g.o, dm, ut, 0, v)
			wg.inputGrads(k.out, padded, v, i0, i1)
			if k.proj != nil {
				addProjectionGrads(k.out, b[sc.size():], in[k.projAt()], in[k.projAt()+1], gp, i0, i1)
			}
			// V over dV, then dU_ξᵀ (O×C) += dM_ξᵀ (O×T) · V_ξ (T×C).
			wg.transformInputs(v, padded, x, i0, i1)
			products(planes, true, tiles, g.c, g.o, dm, v, beta, sum)
			beta = 1
		}
	})
	k.dw = grow(k.dw, 9*co)
	wg.alg.KernelGrad(k.dw, total, g.o, g.c)
	return k.out, nil
}

// inputGrads writes dL/dx of images [i0, i1) into dx from their dV,
// adding the overlapping tiles up in padded.
func (wg winograd) inputGrads(dx, padded, dv []float32, i0, i1 int) {
	c, plane, row, run := wg.c, planeStride((i1-i0)*wg.tiles()*wg.c), wg.paddedRow(), wg.w*wg.c
	for i := i0; i < i1; i++ {
		clear(padded)
		for ty := range wg.th {
			at := ((i-i0)*wg.tiles() + ty*wg.tw) * c
			wg.alg.InputGrad(padded[wg.step()*ty*row:], row, dv[at:], plane, c, wg.tw)
		}
		linalg.CopyRuns(dx[i*wg.inSize():], run, padded[row+c:], row, run, wg.h)
	}
}

// addProjectionGrads adds a 1×1 projection's input gradient of images
// [i0, i1) into dx, channels-last: rows (pixels×C) = dL/ds (pixels×O) ·
// Wp (O×C), each row onto its pixel of x, while dx is in cache. g is the
// projection's geometry.
func addProjectionGrads(dx, rows, wp, ds []float32, g convGeometry, i0, i1 int) {
	plane := g.outPlane()
	linalg.Gemm(false, false, (i1-i0)*plane, g.c, g.o, 1, ds[i0*g.outSize():], g.o, wp, g.c, 0, rows, g.c)
	for i := i0; i < i1; i++ {
		row2imCL(dx[i*g.inSize():(i+1)*g.inSize()], rows[(i-i0)*plane*g.c:], g)
	}
}

// winogradGradWeight is dL/dw of a Winograd layer, which its
// winogradGradInput computed. Inputs: w, for the shape, and that op's
// output, to make it run after it.
type winogradGradWeight struct {
	src *winogradGradInput
}

func (k *winogradGradWeight) name() string     { return "conv2d (Winograd) kernel gradient" }
func (k *winogradGradWeight) inputs() []string { return []string{"kernel", "input gradient"} }

func (k *winogradGradWeight) shape(in []tensor.Shape) (tensor.Shape, error) {
	return in[0].Clone(), nil
}

func (k *winogradGradWeight) forward(_ [][]float32, shapes []tensor.Shape, _ tensor.Shape) ([]float32, error) {
	if len(k.src.dw) != shapes[0].TotalSize() {
		return nil, fmt.Errorf("%s: the input gradient has not run", k.name())
	}
	return k.src.dw, nil
}
