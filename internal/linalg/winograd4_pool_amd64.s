//go:build amd64 && !purego

#include "winograd_avx512_amd64.h"
#include "winograd4_avx512_amd64.h"
#include "zmm_amd64.h"
#include "pool_amd64.h"

// The fused F(4×4) and pooling kernels of winograd4_pool.go in AVX-512, 16
// channels a block: the F(4×4) output transform and its adjoint of
// winograd4_avx512_amd64.s (their macros, generated from the AVX2 ones),
// with the pooling of reluMaxPool2x2RowsArgAVX512 and the routing of
// reluMaxPool2x2RowsArgGradAVX512 (pool_amd64.s) done on the tile in
// registers. The same operations on the same values as those kernels, so
// the same bits. Z16 and up are this file's; the macros use Z0-Z13 and
// Z15 (4.0), and the epilogues zero Z16 up (ZERO32, zmm_amd64.h) before
// VZEROUPPER, as the GEMM kernels do.

// STRIDES turns DX, the floats between planes, and CX, the channels,
// into bytes: DX between planes, R13 between six of them, BX in a pixel.
#define STRIDES \
	SHLQ $2, DX;           \
	MOVQ CX, BX;           \
	SHLQ $2, BX;           \
	LEAQ (DX)(DX*2), R13;  \
	ADDQ R13, R13

// DWORDS04 sets Z20-Z24 to 0-4 in every dword, the window positions.
#define DWORDS04 POSITIONS04(Z20, Z21, Z22, Z23, Z24)

// POOL is RELUPOOLARG (pool_amd64.h) with Z25 and Z26 as scratch
// and K1-K4 clobbered.
#define POOL(tl, tr, bl, br, y, a) RELUPOOLARG(tl, tr, bl, br, y, a, Z20, Z21, Z22, Z23, Z24, Z25, Z26, K1, K2, K3, K4)

// OUTROWREG transforms row r of the stack tile into Z8-Z11, the output
// row's four pixels.
#define OUTROWREG(r) \
	LOAD6(TMP(6*r), TMP(6*r+1), TMP(6*r+2), TMP(6*r+3), TMP(6*r+4), TMP(6*r+5)); \
	OUT1D

// ROWPAIR transforms output rows r0 and r1 = r0+1 of the stack tile: the
// first into Z16-Z19, the second into Z8-Z11.
#define ROWPAIR(r0, r1) \
	OUTROWREG(r0);   \
	VMOVAPS Z8, Z16;  \
	VMOVAPS Z9, Z17;  \
	VMOVAPS Z10, Z18; \
	VMOVAPS Z11, Z19; \
	OUTROWREG(r1)

// POOLROW pools the output rows in Z16-Z19 and Z8-Z11 into the pooled
// row at y (positions at a), but for the last tile's second pixel where
// tail is set.
#define POOLROW(y, a, right, done) \
	POOL(Z16, Z17, Z8, Z9, (y), (a));               \
	CMPQ R14, $1;                                   \
	JNE  right;                                     \
	CMPQ tail+56(FP), $0;                           \
	JNE  done;                                      \
right:                                              \
	POOL(Z18, Z19, Z10, Z11, (y)(BX*1), (a)(CX*1)); \
done:

// func winograd4OutputPoolAVX512(y *float32, arg *uint8, stride int, t *float32, plane, c, tiles, tail, rows int)
//
// DI and R10 the pooled pixels and positions of the current tile and 16
// channels, AX and R11 the bytes between their rows, SI the planes at
// the same tile and channels, DX the bytes between planes (R13 six of
// them), BX and CX the bytes in a pixel of each, R14 the tiles left. tail
// (1 or 0): the last tile's second pooled pixels are left out; rows (1 or
// 2): the pooled rows written.
TEXT ·winograd4OutputPoolAVX512(SB), 0, $1536-72
	FOUR
	DWORDS04
	MOVQ y+0(FP), DI
	MOVQ arg+8(FP), R10
	MOVQ stride+16(FP), R11
	MOVQ t+24(FP), SI
	MOVQ plane+32(FP), DX
	MOVQ c+40(FP), CX
	MOVQ tiles+48(FP), R14
	MOVQ R11, AX
	SHLQ $2, AX
	STRIDES

zptile:
	LEAQ (DI)(BX*1), R8

zpblock:
	OUTCOLS
	ROWPAIR(0, 1)
	POOLROW(DI, R10, zpright0, zprow1)
	CMPQ rows+64(FP), $2
	JNE  zpnext
	ROWPAIR(2, 3)
	LEAQ (DI)(AX*1), R12
	LEAQ (R10)(R11*1), R9
	POOLROW(R12, R9, zpright1, zpnext)

	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $16, R10
	CMPQ DI, R8
	JNE  zpblock

	ADDQ BX, DI  // the next tile, two pooled pixels on from this one
	ADDQ CX, R10
	DECQ R14
	JNZ  zptile

	ZERO32
	VZEROUPPER
	RET

// ROUTE sets Z0-Z3 to a column of the 4×4 gradient tile, the left (p0 =
// 0, p2 = 2) or right (1, 3) column of pooled pixel s's windows: Z0 and Z1
// dy0 (Z16) where arg0 (Z18) is p0 and where it is p2 (the top pooled
// row's window, its top and bottom pixel), Z2 and Z3 the same of dy1 (Z17)
// and arg1 (Z19), +0 elsewhere, as reluMaxPool2x2RowsArgGradAVX512 routes.
#define ROUTE(p0, p2) \
	VPCMPEQD    p0, Z18, K1;  \
	VPCMPEQD    p2, Z18, K2;  \
	VPCMPEQD    p0, Z19, K3;  \
	VPCMPEQD    p2, Z19, K4;  \
	VMOVDQA32.Z Z16, K1, Z0;  \
	VMOVDQA32.Z Z16, K2, Z1;  \
	VMOVDQA32.Z Z17, K3, Z2;  \
	VMOVDQA32.Z Z17, K4, Z3

// GPIXEL transforms the two columns of the gradient tile that pooled
// pixel s routes to, its gradients in Z16 (top pooled row) and Z17, its
// positions in Z18 and Z19.
#define GPIXEL(s) \
	ROUTE(Z20, Z22); \
	OUTGRAD1D;       \
	TOTMP(2*s);      \
	ROUTE(Z21, Z23); \
	OUTGRAD1D;       \
	TOTMP(2*s+1)

// LOADPIXEL loads the gradients and positions of a pooled pixel (dy at
// y, arg at a) into Z16-Z19, the second pooled row's only where rows is 2
// and +0 (whatever its positions) otherwise. R12 is the bytes between
// rows of arg.
#define LOADPIXEL(y, a, one, done) \
	VMOVUPS   (y), Z16;          \
	VPMOVZXBD (a), Z18;          \
	CMPQ      rows+64(FP), $2;   \
	JNE       one;               \
	VMOVUPS   (y)(AX*1), Z17;    \
	VPMOVZXBD (a)(R12*1), Z19;   \
	JMP       done;              \
one:                              \
	VPXORD    Z17, Z17, Z17;     \
	VMOVDQA32 Z24, Z19;          \
done:

// func winograd4OutputGradPoolAVX512(t *float32, plane int, dy *float32, arg *uint8, stride, c, tiles, tail, rows int)
//
// DI the planes at the current tile and 16 channels, DX the bytes between
// them (R10, R11, R13 three, five and six of them in the row pass), SI
// and R9 the pooled gradients and positions of the tile, AX the bytes
// between rows of dy, R12 between rows of arg (in the column pass), BX
// and CX the bytes in a pixel of each, R14 the tiles left; tail and rows
// as in winograd4OutputPoolAVX512, the pixels left out routing +0.
TEXT ·winograd4OutputGradPoolAVX512(SB), 0, $1536-72
	FOUR
	DWORDS04
	MOVQ t+0(FP), DI
	MOVQ plane+8(FP), DX
	MOVQ dy+16(FP), SI
	MOVQ arg+24(FP), R9
	MOVQ stride+32(FP), AX
	MOVQ c+40(FP), CX
	MOVQ tiles+48(FP), R14
	SHLQ $2, AX
	STRIDES

zgtile:
	LEAQ (SI)(BX*1), R8

zgblock:
	MOVQ stride+32(FP), R12
	LOADPIXEL(SI, R9, zgone0, zgload0)
	GPIXEL(0)
	CMPQ R14, $1
	JNE  zgright
	CMPQ tail+56(FP), $0
	JEQ  zgright
	VPXORD    Z16, Z16, Z16 // the last tile's second pixels, left out
	VPXORD    Z17, Z17, Z17
	JMP  zgpixel1

zgright:
	LEAQ (SI)(BX*1), R10
	LEAQ (R9)(CX*1), R11
	LOADPIXEL(R10, R11, zgone1, zgpixel1)
	GPIXEL(1)
	LEAQ (DX)(DX*2), R10 // 3 planes
	LEAQ (DX)(DX*4), R11 // 5 planes
	OGROWS

	ADDQ $64, SI
	ADDQ $16, R9
	ADDQ $64, DI
	CMPQ SI, R8
	JNE  zgblock

	ADDQ BX, SI // the next tile, two pooled pixels on from this one
	ADDQ CX, R9
	DECQ R14
	JNZ  zgtile

	ZERO32
	VZEROUPPER
	RET
