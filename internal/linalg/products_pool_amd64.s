//go:build amd64 && !purego

#include "textflag.h"
#include "zmm_amd64.h"
#include "pool_amd64.h"

// The kernels of products_pool.go, 32 channels a call. Tap t of the pixel
// at src[p] is src[p + taps[t]]; a pixel's neighbour below is row floats
// on.
//
// productsReLUPool2x2ArgAVX512: the products of tile12x32KMajorAVX512
// (kernel_amd64.s) for the four pixels of each pooling window, with the
// pooling of reluMaxPool2x2RowsArgAVX512 (pool_amd64.s) done on the
// accumulators. Every output is an FMA chain over the taps from zero, as in
// every GEMM kernel, and the maximum, ReLU and window position are those
// instructions on those values: the same bits.
//
// Three windows a tile: the top row's six pixels in Z8-Z19 and the bottom
// row's in Z20-Z31, two registers (channels 0-15, 16-31) a pixel; then one
// window a tile in Z8-Z15 for the rest. Registers: DI y, R9 arg, R10 a
// pooled pixel's bytes in y (AX in arg), SI the next window's top-left
// pixel, DX w, R8 w's row in bytes, BX windows left; per tile R12 counts
// the taps, R11 walks taps, R14 and R13 are the tap's offsets for the top
// and bottom rows (floats) and CX walks w.

// FMAPIX broadcasts a pixel's value (src) into t and adds its products
// with w's row (Z0, Z1) to the pixel's accumulators c0 and c1.
#define FMAPIX(src, t, c0, c1) \
	VBROADCASTSS src, t;       \
	VFMADD231PS  Z0, t, c0;    \
	VFMADD231PS  Z1, t, c1

// NEXTTAP loads the next tap's offsets into R14 (top) and R13 (bottom) and
// w's row for it into Z0 and Z1.
#define NEXTTAP \
	MOVQ    (R11), R14;  \
	MOVQ    8(R11), R13; \
	ADDQ    $16, R11;    \
	VMOVUPS (CX), Z0;    \
	VMOVUPS 64(CX), Z1

// FIRSTTAP starts a tile's taps: R12 counts them, R11 walks the table, CX
// walks w.
#define FIRSTTAP \
	MOVQ k+56(FP), R12;     \
	MOVQ taps+32(FP), R11;  \
	MOVQ DX, CX

// POOLWIN is RELUPOOLARG (pool_amd64.h) with the window positions
// in Z0-Z4, Z5 and Z6 as scratch and K3-K6 clobbered (K1 and K2 unused).
#define POOLWIN(tl, tr, bl, br, y, arg) RELUPOOLARG(tl, tr, bl, br, y, arg, Z0, Z1, Z2, Z3, Z4, Z5, Z6, K3, K4, K5, K6)

// func productsReLUPool2x2ArgAVX512(y *float32, arg *uint8, ldy int, src *float32, taps *int, w *float32, ldw, k, windows int)
//
// taps holds two offsets a tap, its top row's and its bottom row's.
TEXT ·productsReLUPool2x2ArgAVX512(SB), NOSPLIT, $0-72
	MOVQ y+0(FP), DI
	MOVQ arg+8(FP), R9
	MOVQ ldy+16(FP), AX
	LEAQ (AX*4), R10
	MOVQ src+24(FP), SI
	MOVQ w+40(FP), DX
	MOVQ ldw+48(FP), R8
	SHLQ $2, R8
	MOVQ windows+64(FP), BX

triple:
	CMPQ BX, $3
	JLT  single
	ZERO32
	ZERO8TO15
	FIRSTTAP

tloop:
	NEXTTAP
	FMAPIX(0(SI)(R14*4), Z2, Z8, Z9)
	FMAPIX(4(SI)(R14*4), Z3, Z10, Z11)
	FMAPIX(8(SI)(R14*4), Z4, Z12, Z13)
	FMAPIX(12(SI)(R14*4), Z5, Z14, Z15)
	FMAPIX(16(SI)(R14*4), Z6, Z16, Z17)
	FMAPIX(20(SI)(R14*4), Z7, Z18, Z19)
	FMAPIX(0(SI)(R13*4), Z2, Z20, Z21)
	FMAPIX(4(SI)(R13*4), Z3, Z22, Z23)
	FMAPIX(8(SI)(R13*4), Z4, Z24, Z25)
	FMAPIX(12(SI)(R13*4), Z5, Z26, Z27)
	FMAPIX(16(SI)(R13*4), Z6, Z28, Z29)
	FMAPIX(20(SI)(R13*4), Z7, Z30, Z31)
	ADDQ R8, CX
	DECQ R12
	JNZ  tloop

	POSITIONS04(Z0, Z1, Z2, Z3, Z4)
	POOLWIN(Z8, Z10, Z20, Z22, (DI), (R9))
	POOLWIN(Z9, Z11, Z21, Z23, 64(DI), 16(R9))
	POOLWIN(Z12, Z14, Z24, Z26, (DI)(R10*1), (R9)(AX*1))
	POOLWIN(Z13, Z15, Z25, Z27, 64(DI)(R10*1), 16(R9)(AX*1))
	POOLWIN(Z16, Z18, Z28, Z30, (DI)(R10*2), (R9)(AX*2))
	POOLWIN(Z17, Z19, Z29, Z31, 64(DI)(R10*2), 16(R9)(AX*2))
	LEAQ (DI)(R10*2), DI
	ADDQ R10, DI
	LEAQ (R9)(AX*2), R9
	ADDQ AX, R9
	ADDQ $24, SI
	SUBQ $3, BX
	JMP  triple

single:
	TESTQ BX, BX
	JZ    done
	ZERO8TO15
	FIRSTTAP

sloop:
	NEXTTAP
	FMAPIX(0(SI)(R14*4), Z2, Z8, Z9)
	FMAPIX(4(SI)(R14*4), Z3, Z10, Z11)
	FMAPIX(0(SI)(R13*4), Z4, Z12, Z13)
	FMAPIX(4(SI)(R13*4), Z5, Z14, Z15)
	ADDQ R8, CX
	DECQ R12
	JNZ  sloop

	POSITIONS04(Z0, Z1, Z2, Z3, Z4)
	POOLWIN(Z8, Z10, Z12, Z14, (DI), (R9))
	POOLWIN(Z9, Z11, Z13, Z15, 64(DI), 16(R9))
	ADDQ R10, DI
	ADDQ AX, R9
	ADDQ $8, SI
	DECQ BX
	JMP  single

done:
	ZERO32
	VZEROUPPER
	RET

// GRADTAP adds tap t's products, the pixel's input at the tap (the offset
// at byte off of the taps table, broadcast into t), times the pixel's
// routed gradient (Z0, Z1), to the tap's accumulators.
#define GRADTAP(off, t, c0, c1) \
	MOVQ         off(R11), BX;   \
	VBROADCASTSS (SI)(BX*4), t;  \
	VFMADD231PS  Z0, t, c0;      \
	VFMADD231PS  Z1, t, c1

// ADDROW adds the tap row at DI to the row's accumulators c0, c1 (the
// GEMM epilogue's C = acc + 1·C, one rounding either way) and STOREROW
// stores them there; both step DI to the next row (DX bytes on).
#define ADDROW(c0, c1) \
	VADDPS (DI), c0, c0;   \
	VADDPS 64(DI), c1, c1; \
	ADDQ   DX, DI

#define STOREROW(c0, c1) \
	VMOVUPS c0, (DI);   \
	VMOVUPS c1, 64(DI); \
	ADDQ    DX, DI

// func productsPooledGradAVX512(sum *float32, ldsum int, add bool, src *float32, taps *int, row int, dy *float32, arg *uint8, o, x, y, pixels, ow, pw, ph int)
//
// Nine taps × 32 channels of sum (rows ldsum floats apart) = taps·dz over
// pixels pixels of the plane from (x, y) on (src at that pixel, the
// plane's rows row floats apart, ow pixels used of each), in plane order,
// dz being the gradient that reluMaxPool2x2RowsArgGradAVX512 routes from
// dy and arg (pooled pixels of o floats and o bytes, pw a pooled row, ph
// rows): for a pixel inside the pooled area, dy's window masked where arg
// names the pixel's position, elsewhere zero. The accumulators start at
// zero and take the pixels in order with VFMADD231PS, as the GEMM's tiles
// do over a pass of K, and are then stored or, with add, added to sum.
//
// Registers: SI the pixel, R11 taps, R8 x and R12 y, R13 2·pw and R14
// 2·ph, CX counts pixels, DI dy; AX, BX and DX are scratch. Z14-Z31
// accumulate, Z0-Z1 are dz, Z2-Z4 broadcasts, Z11 the position, Z12-Z13
// arg's bytes as dwords.
TEXT ·productsPooledGradAVX512(SB), NOSPLIT, $0-120
	MOVQ src+24(FP), SI
	MOVQ taps+32(FP), R11
	MOVQ dy+48(FP), DI
	MOVQ x+72(FP), R8
	MOVQ y+80(FP), R12
	MOVQ pixels+88(FP), CX
	MOVQ pw+104(FP), R13
	ADDQ R13, R13
	MOVQ ph+112(FP), R14
	ADDQ R14, R14
	ZERO32
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

gpix:
	CMPQ R8, R13
	JAE  gzero
	CMPQ R12, R14
	JAE  gzero
	// The window: (y/2)·pw + x/2; the position: 2·(y&1) + (x&1).
	MOVQ         R12, AX
	SHRQ         $1, AX
	IMULQ        pw+104(FP), AX
	MOVQ         R8, BX
	SHRQ         $1, BX
	ADDQ         BX, AX
	IMULQ        o+64(FP), AX
	MOVQ         R12, BX
	ANDQ         $1, BX
	ADDQ         BX, BX
	MOVQ         R8, DX
	ANDQ         $1, DX
	ADDQ         DX, BX
	VPBROADCASTD BX, Z11
	MOVQ         arg+56(FP), BX
	VPMOVZXBD    (BX)(AX*1), Z12
	VPMOVZXBD    16(BX)(AX*1), Z13
	VPCMPEQD     Z12, Z11, K1
	VPCMPEQD     Z13, Z11, K2
	VMOVUPS.Z    (DI)(AX*4), K1, Z0
	VMOVUPS.Z    64(DI)(AX*4), K2, Z1
	JMP          gfma

gzero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

gfma:
	GRADTAP(0, Z2, Z14, Z15)
	GRADTAP(8, Z3, Z16, Z17)
	GRADTAP(16, Z4, Z18, Z19)
	GRADTAP(24, Z2, Z20, Z21)
	GRADTAP(32, Z3, Z22, Z23)
	GRADTAP(40, Z4, Z24, Z25)
	GRADTAP(48, Z2, Z26, Z27)
	GRADTAP(56, Z3, Z28, Z29)
	GRADTAP(64, Z4, Z30, Z31)
	ADDQ $4, SI
	INCQ R8
	CMPQ R8, ow+96(FP)
	JNE  gnext
	// The next row: past the row's floats beyond the ow pixels.
	MOVQ row+40(FP), BX
	SUBQ R8, BX
	LEAQ (SI)(BX*4), SI
	XORQ R8, R8
	INCQ R12

gnext:
	DECQ CX
	JNZ  gpix

	MOVQ    sum+0(FP), DI
	MOVQ    ldsum+8(FP), DX
	SHLQ    $2, DX
	MOVBQZX add+16(FP), AX
	TESTQ   AX, AX
	JZ      gstore
	ADDROW(Z14, Z15)
	ADDROW(Z16, Z17)
	ADDROW(Z18, Z19)
	ADDROW(Z20, Z21)
	ADDROW(Z22, Z23)
	ADDROW(Z24, Z25)
	ADDROW(Z26, Z27)
	ADDROW(Z28, Z29)
	ADDROW(Z30, Z31)
	MOVQ    sum+0(FP), DI

gstore:
	STOREROW(Z14, Z15)
	STOREROW(Z16, Z17)
	STOREROW(Z18, Z19)
	STOREROW(Z20, Z21)
	STOREROW(Z22, Z23)
	STOREROW(Z24, Z25)
	STOREROW(Z26, Z27)
	STOREROW(Z28, Z29)
	STOREROW(Z30, Z31)
	ZERO32
	VZEROUPPER
	RET

// productsReLUPool2x2ArgAVX2 is productsReLUPool2x2ArgAVX512 in AVX2 on
// 16 channels, one window a tile: its four pixels' accumulators in Y8-Y15
// (two registers a pixel: top left, top right, bottom left, bottom right),
// pooled as reluMaxPool2x2RowsArgAVX2 pools (pool_amd64.h), 8
// channels at a time. Registers as in the AVX-512 kernel; after the taps
// Y0 is zero, Y1 all ones and Y2 all 4, and Y3-Y6 are scratch.

// POOLAVX2 is RELUPOOLARG2 (pool_amd64.h) with Y0 zero, Y1 all ones, Y2
// all 4 and Y3-Y6 as scratch.
#define POOLAVX2(tl, tr, bl, br, y, arg) RELUPOOLARG2(tl, tr, bl, br, y, arg, Y0, Y1, Y2, Y3, Y4, Y5, Y6, X4, X5)

// FMAPIX2 is FMAPIX on a 16-channel row (Y0, Y1).
#define FMAPIX2(src, t, c0, c1) \
	VBROADCASTSS src, t;     \
	VFMADD231PS  Y0, t, c0;  \
	VFMADD231PS  Y1, t, c1

// func productsReLUPool2x2ArgAVX2(y *float32, arg *uint8, ldy int, src *float32, taps *int, w *float32, ldw, k, windows int)
TEXT ·productsReLUPool2x2ArgAVX2(SB), NOSPLIT, $0-72
	MOVQ y+0(FP), DI
	MOVQ arg+8(FP), R9
	MOVQ ldy+16(FP), AX
	LEAQ (AX*4), R10
	MOVQ src+24(FP), SI
	MOVQ w+40(FP), DX
	MOVQ ldw+48(FP), R8
	SHLQ $2, R8
	MOVQ windows+64(FP), BX
	TESTQ BX, BX
	JZ    adone

awin:
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	VPXOR Y12, Y12, Y12
	VPXOR Y13, Y13, Y13
	VPXOR Y14, Y14, Y14
	VPXOR Y15, Y15, Y15
	FIRSTTAP

aloop:
	MOVQ    (R11), R14
	MOVQ    8(R11), R13
	ADDQ    $16, R11
	VMOVUPS (CX), Y0
	VMOVUPS 32(CX), Y1
	FMAPIX2(0(SI)(R14*4), Y2, Y8, Y9)
	FMAPIX2(4(SI)(R14*4), Y3, Y10, Y11)
	FMAPIX2(0(SI)(R13*4), Y4, Y12, Y13)
	FMAPIX2(4(SI)(R13*4), Y5, Y14, Y15)
	ADDQ R8, CX
	DECQ R12
	JNZ  aloop

	VPXOR    Y0, Y0, Y0
	VPCMPEQD Y1, Y1, Y1
	VPSRLD   $31, Y1, Y2
	VPSLLD   $2, Y2, Y2
	POOLAVX2(Y8, Y10, Y12, Y14, (DI), (R9))
	POOLAVX2(Y9, Y11, Y13, Y15, 32(DI), 8(R9))
	ADDQ R10, DI
	ADDQ AX, R9
	ADDQ $8, SI
	DECQ BX
	JNZ  awin

adone:
	VZEROUPPER
	RET
