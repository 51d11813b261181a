// Code generated from winograd4_amd64.s by widenWinograd (winograd_avx512_gen_test.go,
// go test -run TestWinogradAVX512Generated -update-avx512); DO NOT EDIT.
// The AVX2 kernels on ZMM registers: 16 channels a block, c a multiple of 16.

//go:build amd64 && !purego

#include "winograd_avx512_amd64.h"
#include "winograd4_avx512_amd64.h"

// The tile kernels of Winograd's F(4×4, 3×3) (see winograd4.go), on
// tiles > 0 tiles of c channels, c a positive multiple of 8, 8 channels
// (one YMM register) at a time. A tile is transformed in two passes, as
// in the Go forms: a 1-D transform down every column, into a scratch
// tile on the stack, then along every row of that, to the destination.
// The 6-point transforms need more than the 16 YMM registers to hold a
// whole tile, and the stack tile stays in L1.
//
// Register use, common to the four kernels:
//
//	SI, DI    the source and destination at the current 8 channels: the
//	          image side at row 0, column 0 of the tile, the transform side
//	          at plane 0
//	AX        the bytes between image rows (stride·4)
//	BX        the bytes in one pixel (c·4)
//	DX        the bytes between planes (plane·4); R13 is 6 of them, a row
//	          of planes
//	R9, R12   the current column or row
//	R14       tiles left
//	Z15       4.0 in every lane
//
// Every value is computed from the same float32 values by the same
// operations in the same order as in the Go form: no FMA and no
// reassociation. The multiplications are by powers of two, which are
// exact, so x·8 may be made as (x·4)+(x·4), and a negation flips the sign
// bit (VPXORD with Z14), as Go's does. IEEE arithmetic is deterministic
// lane by lane, so the assembly and the Go forms agree to the bit. The
// input gradient's tiles overlap (tile t's columns 4 and 5 are tile
// t+1's 0 and 1), so it finishes each tile, all channels, before the
// next, as its Go form does.

// STORE6 stores Z8-Z13 to six places.
#define STORE6(a0, a1, a2, a3, a4, a5) \
	VMOVUPS Z8, a0;  \
	VMOVUPS Z9, a1;  \
	VMOVUPS Z10, a2; \
	VMOVUPS Z11, a3; \
	VMOVUPS Z12, a4; \
	VMOVUPS Z13, a5

// ---------------------------------------------------------------------
// IN1D is winograd4In: Bᵀ d of d = Z0-Z5 into Z8-Z13 (Z0, Z6, Z7
// clobbered).
#define IN1D \
	VSUBPS Z2, Z4, Z6;   \
	VSUBPS Z1, Z3, Z7;   \
	VADDPS Z7, Z7, Z7;   \
	VSUBPS Z2, Z0, Z8;   \
	VMULPS Z15, Z8, Z8;  \
	VADDPS Z6, Z8, Z8;   \
	VADDPS Z3, Z4, Z9;   \
	VADDPS Z1, Z2, Z10;  \
	VMULPS Z15, Z10, Z10; \
	VSUBPS Z10, Z9, Z9;  \
	VSUBPS Z3, Z4, Z10;  \
	VSUBPS Z2, Z1, Z11;  \
	VMULPS Z15, Z11, Z11; \
	VADDPS Z11, Z10, Z10; \
	VADDPS Z7, Z6, Z11;  \
	VSUBPS Z7, Z6, Z12;  \
	VSUBPS Z3, Z5, Z13;  \
	VSUBPS Z3, Z1, Z0;   \
	VMULPS Z15, Z0, Z0;  \
	VADDPS Z0, Z13, Z13

// INCOL transforms column s of the image tile (column pointer R9) into
// column s of the stack tile (entries 6i+s), and moves R9 to the next.
#define INCOL(s) \
	LEAQ (R9)(AX*1), R12; \
	LOAD6((R9), (R12), (R9)(AX*2), (R12)(AX*2), (R9)(AX*4), (R12)(AX*4)); \
	IN1D; \
	STORE6(TMP(s), TMP(6+s), TMP(12+s), TMP(18+s), TMP(24+s), TMP(30+s)); \
	ADDQ BX, R9

// INROW transforms row i of the stack tile into planes 6i to 6i+5 (row
// pointer R12), and moves R12 to the next row of planes.
#define INROW(i) \
	LOAD6(TMP(6*i), TMP(6*i+1), TMP(6*i+2), TMP(6*i+3), TMP(6*i+4), TMP(6*i+5)); \
	IN1D; \
	STORE6((R12), (R12)(DX*1), (R12)(DX*2), (R12)(R10*1), (R12)(DX*4), (R12)(R11*1)); \
	ADDQ R13, R12

// func winograd4InputAVX512(t *float32, plane int, img *float32, stride, c, tiles int)
TEXT ·winograd4InputAVX512(SB), 0, $2304-48
	TOPLANES
	LEAQ (DX)(DX*2), R10  // 3 planes
	LEAQ (DX)(DX*4), R11  // 5 planes
	LEAQ (R10)(R10*1), R13 // 6 planes
	FOUR

i4tile:
	LEAQ (SI)(BX*1), CX // where the tile's first pixel ends

i4block:
	MOVQ SI, R9
	INCOL(0)
	INCOL(1)
	INCOL(2)
	INCOL(3)
	INCOL(4)
	INCOL(5)
	MOVQ DI, R12
	INROW(0)
	INROW(1)
	INROW(2)
	INROW(3)
	INROW(4)
	INROW(5)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ SI, CX
	JNE  i4block

	LEAQ (BX)(BX*2), R9 // the next tile, four pixels on from this one
	ADDQ R9, SI
	DECQ R14
	JNZ  i4tile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// OUTROW writes output row r from row r of the stack tile (row pointer
// R12) and moves R12 to the next image row.
#define OUTROW(r) \
	LOAD6(TMP(6*r), TMP(6*r+1), TMP(6*r+2), TMP(6*r+3), TMP(6*r+4), TMP(6*r+5)); \
	OUT1D; \
	VMOVUPS Z8, (R12); \
	VMOVUPS Z9, (R12)(BX*1); \
	VMOVUPS Z10, (R12)(BX*2); \
	VMOVUPS Z11, (R12)(CX*1); \
	ADDQ AX, R12

// func winograd4OutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int)
TEXT ·winograd4OutputAVX512(SB), 0, $1536-48
	FROMPLANES
	LEAQ (DX)(DX*2), R13
	ADDQ R13, R13         // 6 planes
	LEAQ (BX)(BX*2), CX   // 3 pixels
	FOUR

o4tile:
	LEAQ (DI)(BX*1), R8

o4block:
	OUTCOLS
	MOVQ DI, R12
	OUTROW(0)
	OUTROW(1)
	OUTROW(2)
	OUTROW(3)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ DI, R8
	JNE  o4block

	ADDQ CX, DI // the next tile, four pixels on from this one
	DECQ R14
	JNZ  o4tile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// func winograd4OutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int)
TEXT ·winograd4OutputGradAVX512(SB), 0, $1536-48
	TOPLANES
	LEAQ (DX)(DX*2), R10   // 3 planes
	LEAQ (DX)(DX*4), R11   // 5 planes
	LEAQ (R10)(R10*1), R13 // 6 planes
	LEAQ (BX)(BX*2), CX    // 3 pixels
	FOUR

g4tile:
	LEAQ (SI)(BX*1), R8

g4block:
	MOVQ SI, R9
	OGCOL(0)
	OGCOL(1)
	OGCOL(2)
	OGCOL(3)
	OGROWS

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ SI, R8
	JNE  g4block

	ADDQ CX, SI // the next tile, four pixels on from this one
	DECQ R14
	JNZ  g4tile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// INGRAD1D is winograd4InGrad: B v of v = Z0-Z5 into Z8-Z12, Z5 (Z6, Z7
// clobbered; Z14 holds the sign mask).
#define INGRAD1D \
	VADDPS Z1, Z0, Z6;    \
	VMULPS Z15, Z0, Z8;   \
	VSUBPS Z1, Z2, Z9;    \
	VADDPS Z5, Z9, Z9;    \
	VMULPS Z15, Z9, Z9;   \
	VSUBPS Z3, Z4, Z7;    \
	VADDPS Z7, Z7, Z7;    \
	VADDPS Z7, Z9, Z9;    \
	VADDPS Z2, Z6, Z10;   \
	VMULPS Z15, Z10, Z10; \
	VADDPS Z3, Z0, Z7;    \
	VADDPS Z4, Z7, Z7;    \
	VADDPS Z7, Z10, Z10;  \
	VPXORD Z14, Z10, Z10; \
	VSUBPS Z2, Z1, Z11;   \
	VSUBPS Z4, Z3, Z7;    \
	VADDPS Z7, Z7, Z7;    \
	VADDPS Z7, Z11, Z11;  \
	VMULPS Z15, Z5, Z7;   \
	VADDPS Z5, Z7, Z7;    \
	VSUBPS Z7, Z11, Z11;  \
	VADDPS Z2, Z6, Z12;   \
	VADDPS Z3, Z12, Z12;  \
	VADDPS Z4, Z12, Z12

// IGCOL transforms column j of the planes (column pointer R9) into
// column j of the stack tile (entries 6r+j), and moves R9 on.
#define IGCOL(j) \
	LEAQ (R9)(R13*2), R12; \
	ADDQ R13, R12; \
	LOAD6((R9), (R9)(R13*1), (R9)(R13*2), (R12), (R12)(R13*1), (R12)(R13*2)); \
	INGRAD1D; \
	VMOVUPS Z8, TMP(j); \
	VMOVUPS Z9, TMP(6+j); \
	VMOVUPS Z10, TMP(12+j); \
	VMOVUPS Z11, TMP(18+j); \
	VMOVUPS Z12, TMP(24+j); \
	VMOVUPS Z5, TMP(30+j); \
	ADDQ DX, R9

// ADDTO adds v onto the 8 floats at p (dd + v), through Z6.
#define ADDTO(v, p) \
	VMOVUPS p, Z6;     \
	VADDPS  v, Z6, Z6; \
	VMOVUPS Z6, p

// IGROW adds row r of the stack tile's transform onto image row r (row
// pointer R12) and moves R12 on.
#define IGROW(r) \
	LOAD6(TMP(6*r), TMP(6*r+1), TMP(6*r+2), TMP(6*r+3), TMP(6*r+4), TMP(6*r+5)); \
	INGRAD1D; \
	ADDTO(Z8, (R12)); \
	ADDTO(Z9, (R12)(BX*1)); \
	ADDTO(Z10, (R12)(BX*2)); \
	ADDTO(Z11, (R12)(CX*1)); \
	ADDTO(Z12, (R12)(BX*4)); \
	ADDTO(Z5, (R12)(R8*1)); \
	ADDQ AX, R12

// func winograd4InputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int)
TEXT ·winograd4InputGradAVX512(SB), 0, $2304-48
	FROMPLANES
	LEAQ (DX)(DX*2), R13
	ADDQ R13, R13        // 6 planes
	LEAQ (BX)(BX*2), CX  // 3 pixels
	LEAQ (BX)(BX*4), R8  // 5 pixels
	FOUR
	VPTERNLOGD $0xff, Z14, Z14, Z14
	VPSLLD   $31, Z14, Z14

n4tile:
	LEAQ (DI)(BX*1), R10

n4block:
	MOVQ SI, R9
	IGCOL(0)
	IGCOL(1)
	IGCOL(2)
	IGCOL(3)
	IGCOL(4)
	IGCOL(5)
	MOVQ DI, R12
	IGROW(0)
	IGROW(1)
	IGROW(2)
	IGROW(3)
	IGROW(4)
	IGROW(5)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ DI, R10
	JNE  n4block

	ADDQ CX, DI // the next tile, four pixels on from this one
	DECQ R14
	JNZ  n4tile

	VZEROUPPER
	RET
