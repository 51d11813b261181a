//go:build amd64 && !purego

#include "winograd_amd64.h"
#include "winograd4_amd64.h"

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
//	Y15       4.0 in every lane
//
// Every value is computed from the same float32 values by the same
// operations in the same order as in the Go form: no FMA and no
// reassociation. The multiplications are by powers of two, which are
// exact, so x·8 may be made as (x·4)+(x·4), and a negation flips the sign
// bit (VXORPS with Y14), as Go's does. IEEE arithmetic is deterministic
// lane by lane, so the assembly and the Go forms agree to the bit. The
// input gradient's tiles overlap (tile t's columns 4 and 5 are tile
// t+1's 0 and 1), so it finishes each tile, all channels, before the
// next, as its Go form does.

// STORE6 stores Y8-Y13 to six places.
#define STORE6(a0, a1, a2, a3, a4, a5) \
	VMOVUPS Y8, a0;  \
	VMOVUPS Y9, a1;  \
	VMOVUPS Y10, a2; \
	VMOVUPS Y11, a3; \
	VMOVUPS Y12, a4; \
	VMOVUPS Y13, a5

// ---------------------------------------------------------------------
// IN1D is winograd4In: Bᵀ d of d = Y0-Y5 into Y8-Y13 (Y0, Y6, Y7
// clobbered).
#define IN1D \
	VSUBPS Y2, Y4, Y6;   \
	VSUBPS Y1, Y3, Y7;   \
	VADDPS Y7, Y7, Y7;   \
	VSUBPS Y2, Y0, Y8;   \
	VMULPS Y15, Y8, Y8;  \
	VADDPS Y6, Y8, Y8;   \
	VADDPS Y3, Y4, Y9;   \
	VADDPS Y1, Y2, Y10;  \
	VMULPS Y15, Y10, Y10; \
	VSUBPS Y10, Y9, Y9;  \
	VSUBPS Y3, Y4, Y10;  \
	VSUBPS Y2, Y1, Y11;  \
	VMULPS Y15, Y11, Y11; \
	VADDPS Y11, Y10, Y10; \
	VADDPS Y7, Y6, Y11;  \
	VSUBPS Y7, Y6, Y12;  \
	VSUBPS Y3, Y5, Y13;  \
	VSUBPS Y3, Y1, Y0;   \
	VMULPS Y15, Y0, Y0;  \
	VADDPS Y0, Y13, Y13

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

// func winograd4InputAVX2(t *float32, plane int, img *float32, stride, c, tiles int)
TEXT ·winograd4InputAVX2(SB), 0, $1152-48
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

	ADDQ $32, SI
	ADDQ $32, DI
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
	VMOVUPS Y8, (R12); \
	VMOVUPS Y9, (R12)(BX*1); \
	VMOVUPS Y10, (R12)(BX*2); \
	VMOVUPS Y11, (R12)(CX*1); \
	ADDQ AX, R12

// func winograd4OutputAVX2(img *float32, stride int, t *float32, plane, c, tiles int)
TEXT ·winograd4OutputAVX2(SB), 0, $768-48
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

	ADDQ $32, SI
	ADDQ $32, DI
	CMPQ DI, R8
	JNE  o4block

	ADDQ CX, DI // the next tile, four pixels on from this one
	DECQ R14
	JNZ  o4tile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// func winograd4OutputGradAVX2(t *float32, plane int, img *float32, stride, c, tiles int)
TEXT ·winograd4OutputGradAVX2(SB), 0, $768-48
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

	ADDQ $32, SI
	ADDQ $32, DI
	CMPQ SI, R8
	JNE  g4block

	ADDQ CX, SI // the next tile, four pixels on from this one
	DECQ R14
	JNZ  g4tile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// INGRAD1D is winograd4InGrad: B v of v = Y0-Y5 into Y8-Y12, Y5 (Y6, Y7
// clobbered; Y14 holds the sign mask).
#define INGRAD1D \
	VADDPS Y1, Y0, Y6;    \
	VMULPS Y15, Y0, Y8;   \
	VSUBPS Y1, Y2, Y9;    \
	VADDPS Y5, Y9, Y9;    \
	VMULPS Y15, Y9, Y9;   \
	VSUBPS Y3, Y4, Y7;    \
	VADDPS Y7, Y7, Y7;    \
	VADDPS Y7, Y9, Y9;    \
	VADDPS Y2, Y6, Y10;   \
	VMULPS Y15, Y10, Y10; \
	VADDPS Y3, Y0, Y7;    \
	VADDPS Y4, Y7, Y7;    \
	VADDPS Y7, Y10, Y10;  \
	VXORPS Y14, Y10, Y10; \
	VSUBPS Y2, Y1, Y11;   \
	VSUBPS Y4, Y3, Y7;    \
	VADDPS Y7, Y7, Y7;    \
	VADDPS Y7, Y11, Y11;  \
	VMULPS Y15, Y5, Y7;   \
	VADDPS Y5, Y7, Y7;    \
	VSUBPS Y7, Y11, Y11;  \
	VADDPS Y2, Y6, Y12;   \
	VADDPS Y3, Y12, Y12;  \
	VADDPS Y4, Y12, Y12

// IGCOL transforms column j of the planes (column pointer R9) into
// column j of the stack tile (entries 6r+j), and moves R9 on.
#define IGCOL(j) \
	LEAQ (R9)(R13*2), R12; \
	ADDQ R13, R12; \
	LOAD6((R9), (R9)(R13*1), (R9)(R13*2), (R12), (R12)(R13*1), (R12)(R13*2)); \
	INGRAD1D; \
	VMOVUPS Y8, TMP(j); \
	VMOVUPS Y9, TMP(6+j); \
	VMOVUPS Y10, TMP(12+j); \
	VMOVUPS Y11, TMP(18+j); \
	VMOVUPS Y12, TMP(24+j); \
	VMOVUPS Y5, TMP(30+j); \
	ADDQ DX, R9

// ADDTO adds v onto the 8 floats at p (dd + v), through Y6.
#define ADDTO(v, p) \
	VMOVUPS p, Y6;     \
	VADDPS  v, Y6, Y6; \
	VMOVUPS Y6, p

// IGROW adds row r of the stack tile's transform onto image row r (row
// pointer R12) and moves R12 on.
#define IGROW(r) \
	LOAD6(TMP(6*r), TMP(6*r+1), TMP(6*r+2), TMP(6*r+3), TMP(6*r+4), TMP(6*r+5)); \
	INGRAD1D; \
	ADDTO(Y8, (R12)); \
	ADDTO(Y9, (R12)(BX*1)); \
	ADDTO(Y10, (R12)(BX*2)); \
	ADDTO(Y11, (R12)(CX*1)); \
	ADDTO(Y12, (R12)(BX*4)); \
	ADDTO(Y5, (R12)(R8*1)); \
	ADDQ AX, R12

// func winograd4InputGradAVX2(img *float32, stride int, t *float32, plane, c, tiles int)
TEXT ·winograd4InputGradAVX2(SB), 0, $1152-48
	FROMPLANES
	LEAQ (DX)(DX*2), R13
	ADDQ R13, R13        // 6 planes
	LEAQ (BX)(BX*2), CX  // 3 pixels
	LEAQ (BX)(BX*4), R8  // 5 pixels
	FOUR
	VPCMPEQD Y14, Y14, Y14
	VPSLLD   $31, Y14, Y14

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

	ADDQ $32, SI
	ADDQ $32, DI
	CMPQ DI, R10
	JNE  n4block

	ADDQ CX, DI // the next tile, four pixels on from this one
	DECQ R14
	JNZ  n4tile

	VZEROUPPER
	RET
