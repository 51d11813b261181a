//go:build amd64 && !purego

#include "textflag.h"
#include "zmm_amd64.h"
#include "pool_avx512_amd64.h"

// productsReLUPool2x2ArgAVX512 of products_pool.go, 32 channels: the
// products of tile12x32KMajorAVX512 (kernel_amd64.s) for the four pixels of
// each pooling window, with the pooling of reluMaxPool2x2RowsArgAVX512
// (pool_amd64.s) done on the accumulators. Every output is an FMA chain
// over k from zero, as in every GEMM kernel, and the maximum, ReLU and
// window position are those instructions on those values: the same bits.
//
// Three windows a tile: the top row's six pixels in Z8-Z19 and the bottom
// row's in Z20-Z31, two registers (channels 0-15, 16-31) a pixel; then one
// window a tile in Z8-Z15 for the rest. Registers: DI y, R9 arg, R10 a
// pooled pixel's bytes in y (AX in arg), SI the next window's top-left
// pixel in col, R11 col's row in bytes, R13 the bottom row's offset, DX w,
// R8 w's row in bytes, BX windows left; per tile R12 counts k, R14 walks
// col and CX walks w.

// FMAPIX broadcasts a pixel's value in col's row at R14 (src) into t and
// adds its products with w's row (Z0, Z1) to the pixel's accumulators c0
// and c1.
#define FMAPIX(src, t, c0, c1) \
	VBROADCASTSS src, t;       \
	VFMADD231PS  Z0, t, c0;    \
	VFMADD231PS  Z1, t, c1

// POOLWIN is RELUPOOLARG (pool_avx512_amd64.h) with the window positions
// in Z0-Z4, Z5 and Z6 as scratch and K3-K6 clobbered (K1 and K2 unused).
#define POOLWIN(tl, tr, bl, br, y, arg) RELUPOOLARG(tl, tr, bl, br, y, arg, Z0, Z1, Z2, Z3, Z4, Z5, Z6, K3, K4, K5, K6)

// func productsReLUPool2x2ArgAVX512(y *float32, arg *uint8, ldy int, col *float32, ld, below int, w *float32, ldw, k, windows int)
TEXT ·productsReLUPool2x2ArgAVX512(SB), NOSPLIT, $0-80
	MOVQ y+0(FP), DI
	MOVQ arg+8(FP), R9
	MOVQ ldy+16(FP), AX
	LEAQ (AX*4), R10
	MOVQ col+24(FP), SI
	MOVQ ld+32(FP), R11
	SHLQ $2, R11
	MOVQ below+40(FP), R13
	SHLQ $2, R13
	MOVQ w+48(FP), DX
	MOVQ ldw+56(FP), R8
	SHLQ $2, R8
	MOVQ windows+72(FP), BX

triple:
	CMPQ BX, $3
	JLT  single
	ZERO32
	ZERO8TO15
	MOVQ   k+64(FP), R12
	MOVQ   SI, R14
	MOVQ   DX, CX

tloop:
	VMOVUPS (CX), Z0
	VMOVUPS 64(CX), Z1
	FMAPIX(0(R14), Z2, Z8, Z9)
	FMAPIX(4(R14), Z3, Z10, Z11)
	FMAPIX(8(R14), Z4, Z12, Z13)
	FMAPIX(12(R14), Z5, Z14, Z15)
	FMAPIX(16(R14), Z6, Z16, Z17)
	FMAPIX(20(R14), Z7, Z18, Z19)
	FMAPIX(0(R14)(R13*1), Z2, Z20, Z21)
	FMAPIX(4(R14)(R13*1), Z3, Z22, Z23)
	FMAPIX(8(R14)(R13*1), Z4, Z24, Z25)
	FMAPIX(12(R14)(R13*1), Z5, Z26, Z27)
	FMAPIX(16(R14)(R13*1), Z6, Z28, Z29)
	FMAPIX(20(R14)(R13*1), Z7, Z30, Z31)
	ADDQ    R8, CX
	ADDQ    R11, R14
	DECQ    R12
	JNZ     tloop

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
	MOVQ   k+64(FP), R12
	MOVQ   SI, R14
	MOVQ   DX, CX

sloop:
	VMOVUPS (CX), Z0
	VMOVUPS 64(CX), Z1
	FMAPIX(0(R14), Z2, Z8, Z9)
	FMAPIX(4(R14), Z3, Z10, Z11)
	FMAPIX(0(R14)(R13*1), Z4, Z12, Z13)
	FMAPIX(4(R14)(R13*1), Z5, Z14, Z15)
	ADDQ    R8, CX
	ADDQ    R11, R14
	DECQ    R12
	JNZ     sloop

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
