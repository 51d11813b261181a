// Package linalg is the dense float32 matrix product behind the network's
// convolution and dense layers,
//
//	C = alpha*op(A)*op(B) + beta*C,   op(X) = X or Xᵀ,
//
// on row-major matrices, single-threaded: the trainer runs one product per
// image on every core, so the parallelism is outside.
//
// # Why it is fast
//
// A product of an m×k by a k×n matrix does 2mnk flops on only mk+kn+mn
// numbers, so it can run at the speed of the FMA units if every number,
// once loaded, is used many times from registers and L1. The design is the
// GotoBLAS/BLIS one:
//
//   - A micro-kernel (kernel_amd64.s) keeps an mr×nr tile of C in
//     registers for the whole length of k. With AVX-512 the tile is 8×32:
//     sixteen 512-bit accumulators. Each step along k loads one row of the
//     B panel (two vectors), broadcasts the 8 elements of a column of the
//     A panel, and issues 16 FMAs: 512 flops for 10 loads. A second
//     AVX-512 set has 12×32 tiles in 24 accumulators: 24 FMAs to 14 loads,
//     which a core with two 512-bit FMA units (Intel's Xeons) needs to keep
//     them busy, while Zen 4, with one, runs both alike. On an AVX2
//     machine the tile is 6×16 in twelve 256-bit accumulators, and the
//     pure-Go fallback uses 4×4 scalars.
//
//   - Loops around the kernel block the operands for the caches: k in
//     passes of at most kc (256) steps, so that a kc×nr panel of B (32 KiB)
//     stays in L1 while successive A panels stream past it; m in blocks of
//     mc rows and n in blocks of nc columns so that the A block and the B
//     block of a pass stay in L2. Passes after the first add to C (beta 1).
//     A block's full tiles under one B panel are one call of the kernel,
//     which loops over them in assembly: a Go call per tile cost 6-7% of
//     a training step, the Winograd products (k = 32) giving a tile
//     little work.
//
//   - Packing, copying an operand into the layout the kernel reads, is
//     done only where the stored layout does not already fit. The kernel
//     reads a B panel row by row with any stride, so op(B) = B is used in
//     place; op(B) = Bᵀ is packed with 8×8 register transposes. The A panel
//     is read either k-major with any stride (op(A) = Aᵀ in place) or row
//     major (op(A) = A in place, a pointer per row), so A is never packed
//     except for a last panel of fewer than mr rows. The network's
//     products are small (64×196×288 for a convolution), and on them
//     copying both operands costs a large part of the multiply: the AVX2
//     kernels ran the thin products (32 to 64 columns) at 50-64 GFLOP/s
//     while they packed A, and at 90-104 since they read it in place.
//
//   - Edges: AVX-512 masks the columns past n in the loads of B and the
//     loads and stores of C, and stores only the live rows, so an edge
//     tile costs no copy and never touches memory outside the matrices. A
//     last panel of at most 16 columns runs through an 8×16 kernel, which
//     halves the work wasted on padding (196 = 6×32 + 4 columns). Kernels
//     without masks compute edge tiles into a scratch tile from
//     zero-padded panels and copy the live part out.
//
// A block's last rows go to ever shorter tiles, 8, 4 and then 2 rows
// (kernelSet.edge): 64 rows are five 12-row tiles and one of 4 read in
// place, and 9 rows (a 3×3 kernel's gradient) one of 8 in place and one
// packed row in a 2-row tile. A 2-row tile's four accumulators cost one
// FMA latency per k step, where padding the row out to 8 cost sixteen
// multiply-adds: the 9×32×784 product went from 55 to 81 GFLOP/s on the
// AMD EPYC (Zen 4) VM.
//
// Packing buffers come from a sync.Pool, so steady-state calls do not
// allocate. Gemm starts on the widest kernel set the CPU runs
// (golang.org/x/sys/cpu). ChooseKernels, which training and the server
// call once before their work, times the assembly sets on five of the
// network's shapes (about 30 ms) and switches Gemm to the fastest:
// kernels tuned on one core lose on another, and the assembly sets give
// the same bits, so the choice changes speed only. SIAMESE_KERNELS names
// a set instead (avx512x12, avx512, avx2 or generic), and the purego
// build tag, or any GOARCH but amd64, selects the pure-Go kernel.
//
// # Beside the product
//
// The network's other passes over memory are here too, each an AVX2
// assembly loop over the bulk of a vector and a Go loop over the rest (and
// over all of it without AVX2 and FMA, or under purego): Transpose (8×8
// register blocks, walked in column strips when destination rows are long
// enough to collide in L1), Add, batch norm's float64 sums (SumSquares,
// Sum, DotCentred) and float32 maps (AffineCentred, CombineCentred), ReLU,
// PassPositive and AddReLU, the pair maxima of 2×2 pooling and their
// adjoint (MaxPairs, RoutePairs), and the stride-2 gather EvensRows. The maps
// do exactly the float32 operations of their Go loops, in the same order,
// so their results are the same to the bit; the sums keep sixteen float64
// partial sums instead of four, so they differ from the Go form in the
// last bits.
//
// Their channels-last counterparts take row-major matrices of pixels by C
// channels, wholly in assembly where C is a multiple of 8 and in Go
// otherwise, to the same bits in both: batch norm's per-column sums and
// maps (SumSquaresRows, SumRows, SumDotCentredRows, AffineCentredRows,
// CombineCentredRows; SumDotCentredRows and CombineCentredReLURows can
// mask the gradient by a ReLU after the affine map, computed from the
// map's input), and ReLU with 2×2 max pooling in one pass over a
// pair of pixel rows (ReLUMaxPool2x2Rows; ReLUMaxPool2x2RowsArg keeps a
// byte per output, its window's first maximum, through which
// ReLUMaxPool2x2RowsArgGrad routes the adjoint; both run in AVX-512, with
// the window's equalities in mask registers, where the CPU has it and C
// is a multiple of 16). The tile transforms of Winograd's convolutions
// along a row of tiles, F(2×2, 3×3) (WinogradInput, WinogradOutput and
// their adjoints WinogradOutputGrad, WinogradInputGrad), F(4×4, 3×3)
// (Winograd4Input and the rest) and F(2×2, 3×3) at stride 2
// (WinogradS2Input and the rest), run the same way, in assembly where C is
// a multiple of 8, to the bits of their Go forms. Where the CPU has
// AVX-512 and C is a multiple of 16 they run as AVX-512 twins of the AVX2
// kernels, generated from them (winograd_avx512_gen_test.go): a transform
// whose tiles stay in L1 is bound by the instructions it issues, and the
// twins issue half as many (F(4×4) 1.4-1.9 times as fast on Zen 5).
// Winograd4OutputPool and Winograd4OutputGradPool are F(4×4)'s output
// transform and its adjoint with the ReLU and pooling, or their routing,
// done on each tile in registers, in AVX-512 only (Winograd4PoolFused),
// to the bits of the kernels apart. ProductsReLUPool2x2Arg is the same
// for a convolution read from its input through a table of taps (an
// image padded and read in place, or its unfolding): each pooling window's
// four pixels are multiplied out in registers (the GEMM's FMA chains) and
// only the pooled pixel and its window position are written, in AVX-512
// for a multiple of 32 channels or AVX2 for 16 (ProductsPoolFused);
// PooledGradProducts is its kernel gradient, each pixel's gradient routed
// from the pooled one in registers as the GEMM's passes over the pixels
// reach it (AVX-512, nine taps a pass, PooledGradFused). The filter
// transforms (WinogradKernel, Winograd4Kernel, WinogradS2Kernel and their
// adjoints) are one matrix product each. Strided runs (CopyRuns, AddRuns, EvensRows)
// are the loops of a convolution's unfolding and its adjoint.
//
// AdamStep, the optimiser's update, runs in AVX2 assembly over the bulk of
// its vectors and in Go over the rest, like the maps above; both round
// after every operation, so they give the same bits.
//
// # Accuracy
//
// Each element of C is a float32 sum of k products, accumulated in a
// different order from the naive loop (FMA, k split into passes), so
// results differ from it by rounding: within k·2⁻²³ times the sum of the
// magnitudes of the terms.
package linalg
