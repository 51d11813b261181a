// Code generated from winograd_amd64.s by widenWinograd (winograd_avx512_gen_test.go,
// go test -run TestWinogradAVX512Generated -update-avx512); DO NOT EDIT.
// The AVX2 kernels on ZMM registers: 16 channels a block, c a multiple of 16.

//go:build amd64 && !purego

#include "textflag.h"
#include "winograd_avx512_amd64.h"

// The tile kernels of Winograd's F(2×2, 3×3) (see winograd.go), on
// tiles > 0 tiles of c channels, c a positive multiple of 8, 8 channels
// (one YMM register) at a time: each 8-channel block of a tile is 16 (or
// 4) loads, a network of additions, subtractions and sign flips, and 4 (or
// 16) stores (or read-modify-writes, in the input gradient).
//
// Register use, common to the four kernels:
//
//	SI, DI    the source and destination at the current 8 channels: the
//	          image side at row 0, column 0 of the tile, the transform side
//	          at plane 0
//	AX        R, the bytes between image rows (stride·4)
//	BX, CX    C and 3C, the bytes in one and three pixels (c·4)
//	DX, R8    P and 3P, the bytes between planes (plane·4)
//	R9, R10,  rows of the tile (image side: pointer + r·R) or rows of
//	R12, R13  planes (transform side: pointer + 4i·P, then + j·P as the
//	          index) at the current 8 channels
//	R11       where the current tile's first pixel ends: the channel loop
//	          runs until the image-side pointer gets there
//	R14       tiles left
//	Z15       the float32 sign mask, 0x80000000 in every lane (the
//	          gradients' negations)
//
// Both sides advance 32 bytes per block; the transform side holds tile
// t's channels at t·c within a plane, so it runs on over tiles, while the
// image side's tile t+1 starts two pixels (2C) on from tile t's, one
// pixel past where its channel loop stopped.
//
// Every value a kernel stores is computed from the same loaded float32
// values by the same operations in the same order as its Go form's
// expression: a - b + c is (a - b) + c, one rounding per VADDPS or VSUBPS,
// no FMA and no reassociation; a negation -x flips the sign bit (VXORPS
// with Z15), as Go's does, so -(+0) is -0; and dd[q] += e is dd[q] + e.
// IEEE addition and subtraction are deterministic, lane by lane, so the
// assembly and the Go forms agree to the bit. The order in which the
// positions of one tile are done does not matter, as none is read after
// another is written, but the input gradient's tiles overlap (tile t's
// columns 2 and 3 are tile t+1's 0 and 1), so it finishes each tile, all
// channels, before the next, as its Go form does.

// The four 8-channel vectors of row a of planes or pixels, with the
// column (plane j, or pixel s) as the index register.
#define AT0(a) (a)
#define AT1(a) (a)(BX*1)
#define AT2(a) (a)(BX*2)
#define AT3(a) (a)(CX*1)
#define PL0(a) (a)
#define PL1(a) (a)(DX*1)
#define PL2(a) (a)(DX*2)
#define PL3(a) (a)(R8*1)

// SIGNMASK sets Z15 to 0x80000000 in every lane: all ones shifted.
#define SIGNMASK \
	VPTERNLOGD $0xff, Z15, Z15, Z15; \
	VPSLLD   $31, Z15, Z15

// ---------------------------------------------------------------------
// func winogradInputAVX512(t *float32, plane int, img *float32, stride, c, tiles int)
//
// v[4i+j] = (Bᵀ x B)[i][j] for the 4×4 tile x of d. The rows of Bᵀ x are
// made two at a time, column by column, into Z0-Z3 and Z4-Z7 (rows 0 and
// 1 from the tile's rows 0-2, then rows 2 and 3 from its rows 1-3, which
// are still in L1), and each row of Bᵀ x B goes through Z8-Z11 or
// Z12-Z14, Z8 to its four planes.

// BTA makes column s of rows 0 and 1 of Bᵀ x from the tile's rows 0-2 at
// column s: u0 = x0 - x2, u1 = x1 + x2.
#define BTA(x0, x1, x2, u0, u1) \
	VMOVUPS x0, u0;     \
	VSUBPS  x2, u0, u0; \
	VMOVUPS x1, u1;     \
	VADDPS  x2, u1, u1

// BTB makes column s of rows 2 and 3 from rows 1-3: u2 = x2 - x1,
// u3 = x1 - x3.
#define BTB(x1, x2, x3, u2, u3) \
	VMOVUPS x2, u2;     \
	VSUBPS  x1, u2, u2; \
	VMOVUPS x1, u3;     \
	VSUBPS  x3, u3, u3

// BROW stores row i of (Bᵀ x) B, from row i u0-u3 of Bᵀ x, to the four
// planes at p: u0 - u2, u1 + u2, u2 - u1, u1 - u3.
#define BROW(u0, u1, u2, u3, t0, t1, t2, t3, p) \
	VSUBPS  u2, u0, t0;  \
	VADDPS  u2, u1, t1;  \
	VSUBPS  u1, u2, t2;  \
	VSUBPS  u3, u1, t3;  \
	VMOVUPS t0, PL0(p); \
	VMOVUPS t1, PL1(p); \
	VMOVUPS t2, PL2(p); \
	VMOVUPS t3, PL3(p)

TEXT ·winogradInputAVX512(SB), NOSPLIT, $0-48
	TOPLANES
	LEAQ (DX)(DX*2), R8
	LEAQ (BX)(BX*2), CX

witile:
	LEAQ (SI)(BX*1), R11

wiblock:
	LEAQ (SI)(AX*1), R9  // tile row 1
	LEAQ (SI)(AX*2), R10 // row 2
	LEAQ (R9)(AX*2), R13 // row 3

	BTA(AT0(SI), AT0(R9), AT0(R10), Z0, Z4)
	BTA(AT1(SI), AT1(R9), AT1(R10), Z1, Z5)
	BTA(AT2(SI), AT2(R9), AT2(R10), Z2, Z6)
	BTA(AT3(SI), AT3(R9), AT3(R10), Z3, Z7)
	LEAQ (DI)(DX*4), R12 // planes 4-7
	BROW(Z0, Z1, Z2, Z3, Z8, Z9, Z10, Z11, DI)
	BROW(Z4, Z5, Z6, Z7, Z12, Z13, Z14, Z8, R12)

	BTB(AT0(R9), AT0(R10), AT0(R13), Z0, Z4)
	BTB(AT1(R9), AT1(R10), AT1(R13), Z1, Z5)
	BTB(AT2(R9), AT2(R10), AT2(R13), Z2, Z6)
	BTB(AT3(R9), AT3(R10), AT3(R13), Z3, Z7)
	LEAQ (DI)(DX*8), R12 // planes 8-11
	LEAQ (R12)(DX*4), R9 // planes 12-15
	BROW(Z0, Z1, Z2, Z3, Z8, Z9, Z10, Z11, R12)
	BROW(Z4, Z5, Z6, Z7, Z12, Z13, Z14, Z8, R9)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ SI, R11
	JNE  wiblock

	ADDQ BX, SI // the next tile, two pixels on from this one
	DECQ R14
	JNZ  witile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// func winogradOutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int)
//
// The 2×2 pixels Aᵀ x A of the 4×4 transformed tile x at m. Rows 0 and 1
// of Aᵀ x are made column by column (plane j of each row of planes) into
// Z0-Z3 and Z4-Z7, and each output row goes through Z8-Z9 or Z10-Z11.

// ATX makes column j of Aᵀ x from column j of x's rows 0-3:
// u0 = x0 + x1 + x2, u1 = x1 - x2 - x3.
#define ATX(x0, x1, x2, x3, u0, u1) \
	VMOVUPS x0, u0;     \
	VADDPS  x1, u0, u0; \
	VADDPS  x2, u0, u0; \
	VMOVUPS x1, u1;     \
	VSUBPS  x2, u1, u1; \
	VSUBPS  x3, u1, u1

// AROW stores output row r, from row r u0-u3 of Aᵀ x, to the two pixels
// at p: u0 + u1 + u2, u1 - u2 - u3.
#define AROW(u0, u1, u2, u3, t0, t1, p) \
	VADDPS  u1, u0, t0; \
	VADDPS  u2, t0, t0; \
	VSUBPS  u2, u1, t1; \
	VSUBPS  u3, t1, t1; \
	VMOVUPS t0, AT0(p); \
	VMOVUPS t1, AT1(p)

TEXT ·winogradOutputAVX512(SB), NOSPLIT, $0-48
	FROMPLANES
	LEAQ (DX)(DX*2), R8

wotile:
	LEAQ (DI)(BX*1), R11

woblock:
	LEAQ (SI)(DX*4), R9  // planes 4-7
	LEAQ (SI)(DX*8), R10 // planes 8-11
	LEAQ (R9)(DX*8), R12 // planes 12-15

	ATX(PL0(SI), PL0(R9), PL0(R10), PL0(R12), Z0, Z4)
	ATX(PL1(SI), PL1(R9), PL1(R10), PL1(R12), Z1, Z5)
	ATX(PL2(SI), PL2(R9), PL2(R10), PL2(R12), Z2, Z6)
	ATX(PL3(SI), PL3(R9), PL3(R10), PL3(R12), Z3, Z7)
	LEAQ (DI)(AX*1), R13 // output row 1
	AROW(Z0, Z1, Z2, Z3, Z8, Z9, DI)
	AROW(Z4, Z5, Z6, Z7, Z10, Z11, R13)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ DI, R11
	JNE  woblock

	ADDQ BX, DI
	DECQ R14
	JNZ  wotile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// func winogradOutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int)
//
// dm[4i+j] = (A x Aᵀ)[i][j] for the 2×2 gradient tile x of dy (g in the
// Go form). The four rows of A x, two columns each, are Z0-Z1 (x's row 0
// itself), Z4-Z5, Z6-Z7 and Z2-Z3 (rows 1, 2, 3: x0 + x1, x0 - x1, -x1,
// the last made in place over x's row 1), and each row of A x Aᵀ goes
// through three of Z8-Z13.

// AGROW stores row i of (A x) Aᵀ, from row i u0, u1 of A x, to the four
// planes at p: u0, u0 + u1, u0 - u1, -u1.
#define AGROW(u0, u1, t0, t1, t2, p) \
	VADDPS  u1, u0, t0;  \
	VSUBPS  u1, u0, t1;  \
	VPXORD  Z15, u1, t2; \
	VMOVUPS u0, PL0(p);  \
	VMOVUPS t0, PL1(p);  \
	VMOVUPS t1, PL2(p);  \
	VMOVUPS t2, PL3(p)

TEXT ·winogradOutputGradAVX512(SB), NOSPLIT, $0-48
	TOPLANES
	LEAQ (DX)(DX*2), R8
	SIGNMASK

gotile:
	LEAQ (SI)(BX*1), R11

goblock:
	LEAQ    (SI)(AX*1), R9 // tile row 1
	VMOVUPS AT0(SI), Z0
	VMOVUPS AT1(SI), Z1
	VMOVUPS AT0(R9), Z2
	VMOVUPS AT1(R9), Z3
	VADDPS  Z2, Z0, Z4     // x0 + x1
	VADDPS  Z3, Z1, Z5
	VSUBPS  Z2, Z0, Z6     // x0 - x1
	VSUBPS  Z3, Z1, Z7
	VPXORD  Z15, Z2, Z2    // -x1
	VPXORD  Z15, Z3, Z3

	LEAQ (DI)(DX*4), R10  // planes 4-7
	LEAQ (DI)(DX*8), R12  // planes 8-11
	LEAQ (R10)(DX*8), R13 // planes 12-15
	AGROW(Z0, Z1, Z8, Z9, Z10, DI)
	AGROW(Z4, Z5, Z11, Z12, Z13, R10)
	AGROW(Z6, Z7, Z8, Z9, Z10, R12)
	AGROW(Z2, Z3, Z11, Z12, Z13, R13)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ SI, R11
	JNE  goblock

	ADDQ BX, SI
	DECQ R14
	JNZ  gotile

	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// func winogradInputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int)
//
// Adds (B x Bᵀ) for the 4×4 transformed tile x at dv onto the tile of dd.
// The rows of B x are made two at a time, column by column (plane j of
// each row of planes), into Z0-Z3 and Z4-Z7: rows 0 and 1 (x0, then
// x1 - x2 + x3), then rows 2 and 3 (x1 + x2 - x0, then -x3); each row of
// (B x) Bᵀ is added onto its row of dd through three of Z8-Z13.

// BGA makes column j of rows 0 and 1 of B x from column j of x's rows
// 0-3: u0 = x0, u1 = x1 - x2 + x3.
#define BGA(x0, x1, x2, x3, u0, u1) \
	VMOVUPS x0, u0;     \
	VMOVUPS x1, u1;     \
	VSUBPS  x2, u1, u1; \
	VADDPS  x3, u1, u1

// BGB makes column j of rows 2 and 3: u2 = x1 + x2 - x0, u3 = -x3.
#define BGB(x0, x1, x2, x3, u2, u3) \
	VMOVUPS x1, u2;     \
	VADDPS  x2, u2, u2; \
	VSUBPS  x0, u2, u2; \
	VMOVUPS x3, u3;     \
	VPXORD  Z15, u3, u3

// BGROW adds row r of (B x) Bᵀ, from row r u0-u3 of B x, onto the four
// pixels at p: dd + u0, dd + (u1 - u2 + u3), dd + (u1 + u2 - u0), dd - u3.
#define BGROW(u0, u1, u2, u3, t0, t1, t2, p) \
	VSUBPS  u2, u1, t1;  \
	VADDPS  u3, t1, t1;  \
	VADDPS  u2, u1, t2;  \
	VSUBPS  u0, t2, t2;  \
	VMOVUPS AT0(p), t0;  \
	VADDPS  u0, t0, t0;  \
	VMOVUPS t0, AT0(p);  \
	VMOVUPS AT1(p), t0;  \
	VADDPS  t1, t0, t0;  \
	VMOVUPS t0, AT1(p);  \
	VMOVUPS AT2(p), t0;  \
	VADDPS  t2, t0, t0;  \
	VMOVUPS t0, AT2(p);  \
	VMOVUPS AT3(p), t0;  \
	VSUBPS  u3, t0, t0;  \
	VMOVUPS t0, AT3(p)

TEXT ·winogradInputGradAVX512(SB), NOSPLIT, $0-48
	FROMPLANES
	LEAQ (DX)(DX*2), R8
	LEAQ (BX)(BX*2), CX
	SIGNMASK

gitile:
	LEAQ (DI)(BX*1), R11

giblock:
	LEAQ (SI)(DX*4), R9  // planes 4-7
	LEAQ (SI)(DX*8), R10 // planes 8-11
	LEAQ (R9)(DX*8), R12 // planes 12-15

	BGA(PL0(SI), PL0(R9), PL0(R10), PL0(R12), Z0, Z4)
	BGA(PL1(SI), PL1(R9), PL1(R10), PL1(R12), Z1, Z5)
	BGA(PL2(SI), PL2(R9), PL2(R10), PL2(R12), Z2, Z6)
	BGA(PL3(SI), PL3(R9), PL3(R10), PL3(R12), Z3, Z7)
	LEAQ (DI)(AX*1), R13 // dd row 1
	BGROW(Z0, Z1, Z2, Z3, Z8, Z9, Z10, DI)
	BGROW(Z4, Z5, Z6, Z7, Z11, Z12, Z13, R13)

	BGB(PL0(SI), PL0(R9), PL0(R10), PL0(R12), Z0, Z4)
	BGB(PL1(SI), PL1(R9), PL1(R10), PL1(R12), Z1, Z5)
	BGB(PL2(SI), PL2(R9), PL2(R10), PL2(R12), Z2, Z6)
	BGB(PL3(SI), PL3(R9), PL3(R10), PL3(R12), Z3, Z7)
	LEAQ (DI)(AX*2), R9   // dd row 2
	LEAQ (R13)(AX*2), R13 // dd row 3
	BGROW(Z0, Z1, Z2, Z3, Z8, Z9, Z10, R9)
	BGROW(Z4, Z5, Z6, Z7, Z11, Z12, Z13, R13)

	ADDQ $64, SI
	ADDQ $64, DI
	CMPQ DI, R11
	JNE  giblock

	ADDQ BX, DI // the next tile, two pixels on from this one
	DECQ R14
	JNZ  gitile

	VZEROUPPER
	RET
