// Code generated from winograd_s2_amd64.s by widenWinograd (winograd_avx512_gen_test.go,
// go test -run TestWinogradAVX512Generated -update-avx512); DO NOT EDIT.
// The AVX2 kernels on ZMM registers: 16 channels a block, c a multiple of 16.

//go:build amd64 && !purego

#include "textflag.h"
#include "winograd_avx512_amd64.h"

// The tile kernels of F(2×2, 3×3) at stride 2 (see winograd_s2.go), on
// tiles > 0 tiles of c channels, c a positive multiple of 8, 8 channels
// (one YMM register) at a time, in two passes as in the Go forms: a 1-D
// transform down every column into a stack tile, then along every row of
// that to the destination.
//
// Register use, common to the four kernels:
//
//	SI, DI    the source and destination at the current 8 channels: the
//	          image side at row 0, column 0 of the tile, the transform side
//	          at plane 0
//	AX        the bytes between image rows (stride·4)
//	BX        the bytes in one pixel (c·4)
//	DX        the bytes between planes (plane·4); R13 is 5 of them, a row
//	          of planes
//	R9, R12   the current column or row
//	R14       tiles left
//
// Every value is computed from the same float32 values by the same
// additions and subtractions in the same order as in the Go form, so the
// two agree to the bit. The input gradient's tiles overlap (tile t's
// column 4 is tile t+1's column 0), so it finishes each tile, all
// channels, before the next, as its Go form does.

// S2IN stores winogradS2In of Z0-Z4 to five places: Z0-Z2, Z2, Z4-Z2,
// Z1, Z3 (Z0 and Z4 clobbered).
#define S2IN(a0, a1, a2, a3, a4) \
	VSUBPS  Z2, Z0, Z0; \
	VSUBPS  Z2, Z4, Z4; \
	VMOVUPS Z0, a0;     \
	VMOVUPS Z2, a1;     \
	VMOVUPS Z4, a2;     \
	VMOVUPS Z1, a3;     \
	VMOVUPS Z3, a4

// ---------------------------------------------------------------------
// func winogradS2InputAVX512(t *float32, plane int, img *float32, stride, c, tiles int)

// S2INCOL transforms column s of the image tile (column pointer R9) into
// column s of the stack tile (entries 5i+s), and moves R9 to the next.
#define S2INCOL(s) \
	LEAQ (R9)(AX*1), R12; \
	LOAD5((R9), (R12), (R9)(AX*2), (R12)(AX*2), (R9)(AX*4)); \
	S2IN(TMP(s), TMP(5+s), TMP(10+s), TMP(15+s), TMP(20+s)); \
	ADDQ BX, R9

// S2INROW transforms row i of the stack tile into planes 5i to 5i+4 (row
// pointer R12) and moves R12 on.
#define S2INROW(i) \
	LOAD5(TMP(5*i), TMP(5*i+1), TMP(5*i+2), TMP(5*i+3), TMP(5*i+4)); \
	S2IN((R12), (R12)(DX*1), (R12)(DX*2), (R12)(R10*1), (R12)(DX*4)); \
	ADDQ R13, R12

TEXT ·winogradS2InputAVX512(SB), 0, $1600-48
	TOPLANES
	LEAQ (DX)(DX*2), R10 // 3 planes
	LEAQ (DX)(DX*4), R13 // 5 planes

s2itile:
	LEAQ (SI)(BX*1), CX // where the tile's first pixel ends

s2iblock:
	MOVQ SI, R9
	S2INCOL(0)
	S2INCOL(1)
	S2INCOL(2)
	S2INCOL(3)
	S2INCOL(4)
	MOVQ DI, R12
	S2INROW(0)
	S2INROW(1)
	S2INROW(2)
	S2INROW(3)
	S2INROW(4)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ SI, CX
	JNE  s2iblock

	LEAQ (BX)(BX*2), R9 // the next tile, four pixels on from this one
	ADDQ R9, SI
	DECQ R14
	JNZ  s2itile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// func winogradS2OutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int)

// S2OUTCOL makes column j of Aᵀ m from plane j of each row of planes
// (column pointer R9): (m0 + m1) + m3 and (m1 + m2) + m4 into entries j
// and 5+j of the stack tile, and moves R9 to the next plane.
#define S2OUTCOL(j) \
	LEAQ    (R9)(R13*2), R12; \
	ADDQ    R13, R12;          \
	VMOVUPS (R9), Z0;          \
	VMOVUPS (R9)(R13*1), Z1;   \
	VADDPS  Z1, Z0, Z2;        \
	VADDPS  (R12), Z2, Z2;     \
	VADDPS  (R9)(R13*2), Z1, Z3; \
	VADDPS  (R12)(R13*1), Z3, Z3; \
	VMOVUPS Z2, TMP(j);        \
	VMOVUPS Z3, TMP(5+j);      \
	ADDQ    DX, R9

// S2OUTROW writes output row r, the two pixels (b0 + b1) + b3 and (b1 +
// b2) + b4 of row r of the stack tile, at R12, and moves R12 to the next
// image row.
#define S2OUTROW(r) \
	LOAD5(TMP(5*r), TMP(5*r+1), TMP(5*r+2), TMP(5*r+3), TMP(5*r+4)); \
	VADDPS  Z1, Z0, Z0; \
	VADDPS  Z3, Z0, Z0; \
	VADDPS  Z2, Z1, Z1; \
	VADDPS  Z4, Z1, Z1; \
	VMOVUPS Z0, (R12);  \
	VMOVUPS Z1, (R12)(BX*1); \
	ADDQ    AX, R12

TEXT ·winogradS2OutputAVX512(SB), 0, $640-48
	FROMPLANES
	LEAQ (DX)(DX*4), R13 // 5 planes

s2otile:
	LEAQ (DI)(BX*1), R8

s2oblock:
	MOVQ SI, R9
	S2OUTCOL(0)
	S2OUTCOL(1)
	S2OUTCOL(2)
	S2OUTCOL(3)
	S2OUTCOL(4)
	MOVQ DI, R12
	S2OUTROW(0)
	S2OUTROW(1)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ DI, R8
	JNE  s2oblock

	ADDQ BX, DI // the next tile, two pixels on from this one
	DECQ R14
	JNZ  s2otile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// func winogradS2OutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int)
//
// With the 2×2 gradient tile g in Z0 (g00), Z1 (g01), Z2 (g10), Z3 (g11),
// the rows of A g are (g00, g01), (g00+g10, g01+g11), (g10, g11), (g00,
// g01), (g10, g11), and each row (a, b) of A g Aᵀ is (a, a+b, b, a, b):
// no stack tile is needed.

// S2GROW stores row (a, b, a+b) to planes 5i to 5i+4 at R12 and moves
// R12 on.
#define S2GROW(a, b, s) \
	VMOVUPS a, (R12);         \
	VMOVUPS s, (R12)(DX*1);   \
	VMOVUPS b, (R12)(DX*2);   \
	VMOVUPS a, (R12)(R10*1);  \
	VMOVUPS b, (R12)(DX*4);   \
	ADDQ    R13, R12

TEXT ·winogradS2OutputGradAVX512(SB), NOSPLIT, $0-48
	TOPLANES
	LEAQ (DX)(DX*2), R10 // 3 planes
	LEAQ (DX)(DX*4), R13 // 5 planes

s2gtile:
	LEAQ (SI)(BX*1), R8

s2gblock:
	LEAQ    (SI)(AX*1), R9
	VMOVUPS (SI), Z0
	VMOVUPS (SI)(BX*1), Z1
	VMOVUPS (R9), Z2
	VMOVUPS (R9)(BX*1), Z3
	VADDPS  Z2, Z0, Z4 // column sums: row 1 of A g
	VADDPS  Z3, Z1, Z5
	VADDPS  Z1, Z0, Z6 // row sums of rows 0, 1, 2 (rows 3 and 4 repeat 0 and 2)
	VADDPS  Z5, Z4, Z7
	VADDPS  Z3, Z2, Z8
	MOVQ    DI, R12
	S2GROW(Z0, Z1, Z6)
	S2GROW(Z4, Z5, Z7)
	S2GROW(Z2, Z3, Z8)
	S2GROW(Z0, Z1, Z6)
	S2GROW(Z2, Z3, Z8)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ SI, R8
	JNE  s2gblock

	ADDQ BX, SI // the next tile, two pixels on from this one
	DECQ R14
	JNZ  s2gtile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// func winogradS2InputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int)

// S2BG stores winogradS2InGrad of Z0-Z4 to five places: Z0, Z3,
// (Z1-Z0)-Z2, Z4, Z2 (Z1 clobbered).
#define S2BG(a0, a1, a2, a3, a4) \
	VSUBPS  Z0, Z1, Z1; \
	VSUBPS  Z2, Z1, Z1; \
	VMOVUPS Z0, a0;     \
	VMOVUPS Z3, a1;     \
	VMOVUPS Z1, a2;     \
	VMOVUPS Z4, a3;     \
	VMOVUPS Z2, a4

// S2IGCOL transforms column j of the planes (column pointer R9) into
// column j of the stack tile (entries 5r+j), and moves R9 on.
#define S2IGCOL(j) \
	LEAQ (R9)(R13*2), R12; \
	ADDQ R13, R12; \
	LOAD5((R9), (R9)(R13*1), (R9)(R13*2), (R12), (R12)(R13*1)); \
	S2BG(TMP(j), TMP(5+j), TMP(10+j), TMP(15+j), TMP(20+j)); \
	ADDQ DX, R9

// S2ADDTO adds v onto the 8 floats at p (dd + v), through Z5.
#define S2ADDTO(v, p) \
	VMOVUPS p, Z5;     \
	VADDPS  v, Z5, Z5; \
	VMOVUPS Z5, p

// S2IGROW adds row r of the stack tile's transform onto image row r (row
// pointer R12) and moves R12 on.
#define S2IGROW(r) \
	LOAD5(TMP(5*r), TMP(5*r+1), TMP(5*r+2), TMP(5*r+3), TMP(5*r+4)); \
	VSUBPS Z0, Z1, Z1; \
	VSUBPS Z2, Z1, Z1; \
	S2ADDTO(Z0, (R12)); \
	S2ADDTO(Z3, (R12)(BX*1)); \
	S2ADDTO(Z1, (R12)(BX*2)); \
	S2ADDTO(Z4, (R12)(CX*1)); \
	S2ADDTO(Z2, (R12)(BX*4)); \
	ADDQ AX, R12

TEXT ·winogradS2InputGradAVX512(SB), 0, $1600-48
	FROMPLANES
	LEAQ (DX)(DX*4), R13 // 5 planes
	LEAQ (BX)(BX*2), CX  // 3 pixels

s2ntile:
	LEAQ (DI)(BX*1), R8

s2nblock:
	MOVQ SI, R9
	S2IGCOL(0)
	S2IGCOL(1)
	S2IGCOL(2)
	S2IGCOL(3)
	S2IGCOL(4)
	MOVQ DI, R12
	S2IGROW(0)
	S2IGROW(1)
	S2IGROW(2)
	S2IGROW(3)
	S2IGROW(4)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ DI, R8
	JNE  s2nblock

	ADDQ CX, DI // the next tile, four pixels on from this one
	DECQ R14
	JNZ  s2ntile

	VZEROUPPER
	RET
