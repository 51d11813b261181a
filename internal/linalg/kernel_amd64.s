//go:build amd64 && !purego

#include "textflag.h"
#include "zmm_amd64.h"

// Micro-kernels: each computes one tile
//
//	C[0:rows, 0:cols] = alpha * Apanel·Bpanel + beta * C[0:rows, 0:cols]
//
// from a k-major panel of B (row p of the panel starts at b + p*ldb) and a
// panel of A that is either k-major (element (i, p) at a[p*lda + i]) or row
// major (element (i, p) at a[i*lda + p]). beta == 0 stores without reading C.
// The tile is accumulated in registers over all kc steps, so C is touched
// once per call.
//
// Register use of the AVX-512 kernels:
//
//	Z0, Z1    row p of the B panel (columns 0-15, 16-31)
//	Z2..Z9    A element (i, p) broadcast, one register per row i
//	Z16..Z31  accumulators; row i lives in Z(16+2i), Z(17+2i)
//	           (the 16-wide kernels use Z16+i)
//	K1, K2    column masks of the two halves: loads of B and loads and
//	          stores of C skip masked-out lanes, so edge tiles need no copy
//	          and never touch memory past the last column
//	CX        k steps left          DX  B pointer, R9/R10 = 1x/3x ldb bytes
//	SI        A pointer (rows 0-3), R13 = A pointer of rows 4-7 (row major)
//	R11/R12   1x/3x the A stride in bytes
//	DI        C pointer, R8 = ldc bytes, BX = rows left to store

// FMA32 broadcasts the A element at ap into t and accumulates it times
// the B row (Z0:Z1) into one row of the 8×32 tile.
#define FMA32(ap, t, c0, c1) \
	VBROADCASTSS ap, t;      \
	VFMADD231PS  Z0, t, c0;  \
	VFMADD231PS  Z1, t, c1

// FMA16 is FMA32 for the 8×16 tile (B row in Z0).
#define FMA16(ap, t, c0) \
	VBROADCASTSS ap, t; \
	VFMADD231PS  Z0, t, c0

// LOAD32/LOAD16 load row p of the B panel, masked to the live columns.
#define LOAD32(bp) \
	VMOVUPS.Z bp, K1, Z0; \
	VMOVUPS.Z 64 bp, K2, Z1

#define LOAD16(bp) \
	VMOVUPS.Z bp, K1, Z0

// KROWS32/RROWS32 are four rows of a 32-wide tile in one k step: the A
// elements of a k-major panel at byte offsets o0..o3 from ap, or of a
// row-major one in the rows at base, R11, 2·R11 and R12 bytes on at byte
// offset d, broadcast through t0..t3 into the accumulator pairs c0..c7.
// KROWS16/RROWS16 are the 16-wide forms. The kernels' k steps are made of
// them, so the 2- to 12-row kernels differ only in their registers.
#define KROWS32(o0, o1, o2, o3, ap, t0, t1, t2, t3, c0, c1, c2, c3, c4, c5, c6, c7) \
	FMA32(o0 ap, t0, c0, c1); \
	FMA32(o1 ap, t1, c2, c3); \
	FMA32(o2 ap, t2, c4, c5); \
	FMA32(o3 ap, t3, c6, c7)

#define RROWS32(d, base, t0, t1, t2, t3, c0, c1, c2, c3, c4, c5, c6, c7) \
	FMA32(d(base), t0, c0, c1);         \
	FMA32(d(base)(R11*1), t1, c2, c3);  \
	FMA32(d(base)(R11*2), t2, c4, c5);  \
	FMA32(d(base)(R12*1), t3, c6, c7)

#define KROWS16(o0, o1, o2, o3, ap, t0, t1, t2, t3, c0, c1, c2, c3) \
	FMA16(o0 ap, t0, c0); \
	FMA16(o1 ap, t1, c1); \
	FMA16(o2 ap, t2, c2); \
	FMA16(o3 ap, t3, c3)

#define RROWS16(d, base, t0, t1, t2, t3, c0, c1, c2, c3) \
	FMA16(d(base), t0, c0);        \
	FMA16(d(base)(R11*1), t1, c1); \
	FMA16(d(base)(R11*2), t2, c2); \
	FMA16(d(base)(R12*1), t3, c3)

// STEP32K is one k step of the 8×32 tile with A k-major: the 8 rows of A
// are adjacent at ap.
#define STEP32K(bp, ap) \
	LOAD32(bp); \
	KROWS32(0, 4, 8, 12, ap, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23); \
	KROWS32(16, 20, 24, 28, ap, Z6, Z7, Z8, Z9, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)

// STEP32R is one k step of the 8×32 tile with A row major: rows are R11
// bytes apart, rows 4-7 based at R13, and d is the byte offset along k.
#define STEP32R(bp, d) \
	LOAD32(bp); \
	RROWS32(d, SI, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23); \
	RROWS32(d, R13, Z6, Z7, Z8, Z9, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)

#define STEP16K(bp, ap) \
	LOAD16(bp); \
	KROWS16(0, 4, 8, 12, ap, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19); \
	KROWS16(16, 20, 24, 28, ap, Z6, Z7, Z8, Z9, Z20, Z21, Z22, Z23)

#define STEP16R(bp, d) \
	LOAD16(bp); \
	RROWS16(d, SI, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19); \
	RROWS16(d, R13, Z6, Z7, Z8, Z9, Z20, Z21, Z22, Z23)

// PROLOGUE loads the arguments shared by all AVX-512 kernels and zeroes
// the accumulators from Z16 up to (and including) last.
#define PROLOGUE \
	MOVQ    kc+0(FP), CX;   \
	MOVQ    a+8(FP), SI;    \
	MOVQ    lda+16(FP), R11; \
	SHLQ    $2, R11;        \
	LEAQ    (R11)(R11*2), R12; \
	MOVQ    b+24(FP), DX;   \
	MOVQ    ldb+32(FP), R9; \
	SHLQ    $2, R9;         \
	LEAQ    (R9)(R9*2), R10; \
	MOVQ    c+40(FP), DI;   \
	MOVQ    ldc+48(FP), R8; \
	SHLQ    $2, R8;         \
	MOVQ    rows+64(FP), BX; \
	MOVL    mask+72(FP), AX; \
	KMOVW   AX, K1;         \
	SHRL    $16, AX;        \
	KMOVW   AX, K2

// SCALE32/SCALE16 multiply the accumulators by alpha (in Z0); SCALEHI
// those of rows 4-7 of the 32-wide tile, Z24..Z31.
#define SCALE16 \
	VMULPS Z0, Z16, Z16; \
	VMULPS Z0, Z17, Z17; \
	VMULPS Z0, Z18, Z18; \
	VMULPS Z0, Z19, Z19; \
	VMULPS Z0, Z20, Z20; \
	VMULPS Z0, Z21, Z21; \
	VMULPS Z0, Z22, Z22; \
	VMULPS Z0, Z23, Z23

#define SCALE32 \
	SCALE16; \
	SCALEHI

#define SCALEHI \
	VMULPS Z0, Z24, Z24; \
	VMULPS Z0, Z25, Z25; \
	VMULPS Z0, Z26, Z26; \
	VMULPS Z0, Z27, Z27; \
	VMULPS Z0, Z28, Z28; \
	VMULPS Z0, Z29, Z29; \
	VMULPS Z0, Z30, Z30; \
	VMULPS Z0, Z31, Z31

// Row stores. The beta forms add beta*C (beta in Z1); masked-out lanes of
// C are neither read nor written. After each row, stop once BX rows are
// stored.
#define ROW32BETA(c0, c1, done) \
	VMOVUPS.Z   (DI), K1, Z2;   \
	VFMADD231PS Z2, Z1, c0;     \
	VMOVUPS     c0, K1, (DI);   \
	VMOVUPS.Z   64(DI), K2, Z3; \
	VFMADD231PS Z3, Z1, c1;     \
	VMOVUPS     c1, K2, 64(DI); \
	DECQ        BX;             \
	JZ          done;           \
	ADDQ        R8, DI

#define ROW32(c0, c1, done) \
	VMOVUPS c0, K1, (DI);   \
	VMOVUPS c1, K2, 64(DI); \
	DECQ    BX;             \
	JZ      done;           \
	ADDQ    R8, DI

#define ROW16BETA(c0, done) \
	VMOVUPS.Z   (DI), K1, Z2; \
	VFMADD231PS Z2, Z1, c0;   \
	VMOVUPS     c0, K1, (DI); \
	DECQ        BX;           \
	JZ          done;         \
	ADDQ        R8, DI

#define ROW16(c0, done) \
	VMOVUPS c0, K1, (DI); \
	DECQ    BX;           \
	JZ      done;         \
	ADDQ    R8, DI

// IFBETA goes on at nobeta when beta is ±0 (C is then not read), else
// broadcasts beta into Z1.
#define IFBETA \
	MOVL         beta+60(FP), AX; \
	TESTL        $0x7fffffff, AX; \
	JZ           nobeta;          \
	VBROADCASTSS beta+60(FP), Z1

// STORE32BETA and STORE32 store the 8 rows of 32 in Z16..Z31 (rows 0-7 of
// the 8-row tile, 4-11 of the 12-row one).
#define STORE32BETA \
	ROW32BETA(Z16, Z17, done); \
	ROW32BETA(Z18, Z19, done); \
	ROW32BETA(Z20, Z21, done); \
	ROW32BETA(Z22, Z23, done); \
	ROW32BETA(Z24, Z25, done); \
	ROW32BETA(Z26, Z27, done); \
	ROW32BETA(Z28, Z29, done); \
	ROW32BETA(Z30, Z31, done)

#define STORE32 \
	ROW32(Z16, Z17, done); \
	ROW32(Z18, Z19, done); \
	ROW32(Z20, Z21, done); \
	ROW32(Z22, Z23, done); \
	ROW32(Z24, Z25, done); \
	ROW32(Z26, Z27, done); \
	ROW32(Z28, Z29, done); \
	ROW32(Z30, Z31, done)

// EPILOGUE32 writes alpha*acc + beta*C for the first BX rows, then goes
// on at its label done, where the 32-wide kernels start their next tile
// (NEXTTILE) or return. The kernels zero the accumulators from Z16 up
// before VZEROUPPER, which clears the upper halves of Z0-Z15 only: dirty
// upper halves left in Z16-Z31 can keep an Intel core treating the Go
// code's scalar SSE that follows as 512-bit work. Zeroing idioms cost no
// execution port.
#define EPILOGUE32 \
	VBROADCASTSS alpha+56(FP), Z0; \
	SCALE32;                       \
	IFBETA;                        \
	STORE32BETA;                   \
	JMP          done;             \
nobeta:                            \
	STORE32;                       \
done:

#define EPILOGUE16 \
	VBROADCASTSS alpha+56(FP), Z0; \
	SCALE16;                       \
	IFBETA;                        \
	ROW16BETA(Z16, done);          \
	ROW16BETA(Z17, done);          \
	ROW16BETA(Z18, done);          \
	ROW16BETA(Z19, done);          \
	ROW16BETA(Z20, done);          \
	ROW16BETA(Z21, done);          \
	ROW16BETA(Z22, done);          \
	ROW16BETA(Z23, done);          \
	JMP          done;             \
nobeta:                            \
	ROW16(Z16, done);              \
	ROW16(Z17, done);              \
	ROW16(Z18, done);              \
	ROW16(Z19, done);              \
	ROW16(Z20, done);              \
	ROW16(Z21, done);              \
	ROW16(Z22, done);              \
	ROW16(Z23, done);              \
done:                              \
	ZERO16;                        \
	VZEROUPPER;                    \
	RET

// KLOOP runs the kc steps (CX) of a kernel with A k-major: step(bp, ap)
// is one k step with row p of B at bp and column p of A at ap, four a
// turn while four are left.
#define KLOOP(step) \
	CMPQ CX, $4;                    \
	JLT  tail;                      \
loop4:                              \
	step((DX), (SI));               \
	step((DX)(R9*1), (SI)(R11*1));  \
	step((DX)(R9*2), (SI)(R11*2));  \
	step((DX)(R10*1), (SI)(R12*1)); \
	LEAQ (DX)(R9*4), DX;            \
	LEAQ (SI)(R11*4), SI;           \
	SUBQ $4, CX;                    \
	CMPQ CX, $4;                    \
	JGE  loop4;                     \
tail:                               \
	TESTQ CX, CX;                   \
	JZ    store;                    \
loop1:                              \
	step((DX), (SI));               \
	ADDQ R9, DX;                    \
	ADDQ R11, SI;                   \
	DECQ CX;                        \
	JNZ  loop1;                     \
store:

// RLOOP is KLOOP with A row major: step(bp, d) takes the byte offset d
// along k, and advance(n) moves the kernel's row bases (SI and R13, and
// R14 for 12 rows) n bytes on.
#define RLOOP(step, advance) \
	CMPQ CX, $4;           \
	JLT  tail;             \
loop4:                     \
	step((DX), 0);         \
	step((DX)(R9*1), 4);   \
	step((DX)(R9*2), 8);   \
	step((DX)(R10*1), 12); \
	LEAQ (DX)(R9*4), DX;   \
	advance($16);          \
	SUBQ $4, CX;           \
	CMPQ CX, $4;           \
	JGE  loop4;            \
tail:                      \
	TESTQ CX, CX;          \
	JZ    store;           \
loop1:                     \
	step((DX), 0);         \
	ADDQ R9, DX;           \
	advance($4);           \
	DECQ CX;               \
	JNZ  loop1;            \
store:

#define ADVANCE2(n) \
	ADDQ n, SI; \
	ADDQ n, R13

#define ADVANCE3(n) \
	ADVANCE2(n); \
	ADDQ n, R14

// NEXTTILE starts the next of the call's tiles at again: the 32-wide
// kernels compute tiles full tiles, the A panel of each astep bytes past
// the last's and its C rows cstep bytes past, with the same B panel, so
// that a block's row of tiles is one call instead of one each. The
// advanced pointers are kept in the argument slots, which a kernel owns;
// they only ever point into the matrices. A call of several tiles has
// rows = mr, so BX, counting down past zero, stores every row of each.
// Past the last tile it clears the vector state and returns.
#define NEXTTILE(again) \
	ADVANCETILE(again, tiles+80(FP), astep+88(FP), cstep+96(FP)); \
	ZERO32;                                                     \
	VZEROUPPER;                                                 \
	RET

// NEXTTILE6X16 is NEXTTILE for the AVX2 kernels, whose arguments tiles,
// astep and cstep follow beta.
#define NEXTTILE6X16(again) \
	ADVANCETILE(again, tiles+64(FP), astep+72(FP), cstep+80(FP)); \
	VZEROUPPER;                                                 \
	RET

// ADVANCETILE is NEXTTILE's step to the next tile, given the argument
// slots of tiles, astep and cstep; it falls through at last past the last
// tile.
#define ADVANCETILE(again, tiles, astep, cstep) \
	MOVQ tiles, AX;        \
	DECQ AX;               \
	JZ   last;             \
	MOVQ AX, tiles;        \
	MOVQ a+8(FP), SI;      \
	ADDQ astep, SI;        \
	MOVQ SI, a+8(FP);      \
	MOVQ c+40(FP), DI;     \
	ADDQ cstep, DI;        \
	MOVQ DI, c+40(FP);     \
	MOVQ b+24(FP), DX;     \
	MOVQ kc+0(FP), CX;     \
	JMP  again;            \
last:

// KMAJOR32 and KMAJOR16 are the bodies of the kernels with at most 8 rows
// that read A k-major, 32 or 16 wide, given the k step; ROWMAJOR32 and
// ROWMAJOR16 those of the 4- and 2-row kernels that read A row major,
// from SI alone (the 8- and 12-row ones need more row pointers).
#define KMAJOR32(step) \
	PROLOGUE;          \
tile:                  \
	ZERO32;            \
	KLOOP(step);       \
	EPILOGUE32;        \
	NEXTTILE(tile)

#define ROWMAJOR32(step)       \
	PROLOGUE;              \
tile:                          \
	ZERO32;                \
	RLOOP(step, ADVANCE1); \
	EPILOGUE32;            \
	NEXTTILE(tile)

#define KMAJOR16(step) \
	PROLOGUE;      \
	ZERO16;        \
	KLOOP(step);   \
	EPILOGUE16

#define ROWMAJOR16(step)       \
	PROLOGUE;              \
	ZERO16;                \
	RLOOP(step, ADVANCE1); \
	EPILOGUE16

// func tile8x32KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)
TEXT ·tile8x32KMajorAVX512(SB), NOSPLIT, $0-104
	KMAJOR32(STEP32K)

// func tile8x32RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)
TEXT ·tile8x32RowMajorAVX512(SB), NOSPLIT, $0-104
	PROLOGUE

tile:
	LEAQ (SI)(R11*4), R13
	ZERO32
	RLOOP(STEP32R, ADVANCE2)
	EPILOGUE32
	NEXTTILE(tile)

// func tile8x16KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)
TEXT ·tile8x16KMajorAVX512(SB), NOSPLIT, $0-104
	KMAJOR16(STEP16K)

// func tile8x16RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)
TEXT ·tile8x16RowMajorAVX512(SB), NOSPLIT, $0-104
	PROLOGUE
	LEAQ (SI)(R11*4), R13
	ZERO16
	RLOOP(STEP16R, ADVANCE2)
	EPILOGUE16

// The 12-row kernels keep twelve rows of the tile in Z8..Z31 (row i in
// Z(8+2i), Z(9+2i); the 16-wide ones in Z(8+i)) and broadcast A through
// Z2..Z7 in turn. A k step is then 24 multiply-adds to 14 loads, against
// the 8-row kernels' 16 to 10: a core with two 512-bit FMA units (Intel's)
// needs the loads to keep up, one with a single unit (Zen 4) does not
// care. Each C element sums the same products in the same order as in the
// 8-row kernels, so the two give the same bits. Rows 8-11 of a row-major
// A are based at R14.

#define STEP32K12(bp, ap) \
	LOAD32(bp); \
	KROWS32(0, 4, 8, 12, ap, Z2, Z3, Z4, Z5, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15); \
	KROWS32(16, 20, 24, 28, ap, Z6, Z7, Z2, Z3, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23); \
	KROWS32(32, 36, 40, 44, ap, Z4, Z5, Z6, Z7, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)

#define STEP32R12(bp, d) \
	LOAD32(bp); \
	RROWS32(d, SI, Z2, Z3, Z4, Z5, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15); \
	RROWS32(d, R13, Z6, Z7, Z2, Z3, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23); \
	RROWS32(d, R14, Z4, Z5, Z6, Z7, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)

#define STEP16K12(bp, ap) \
	LOAD16(bp); \
	KROWS16(0, 4, 8, 12, ap, Z2, Z3, Z4, Z5, Z8, Z9, Z10, Z11); \
	KROWS16(16, 20, 24, 28, ap, Z6, Z7, Z2, Z3, Z12, Z13, Z14, Z15); \
	KROWS16(32, 36, 40, 44, ap, Z4, Z5, Z6, Z7, Z16, Z17, Z18, Z19)

#define STEP16R12(bp, d) \
	LOAD16(bp); \
	RROWS16(d, SI, Z2, Z3, Z4, Z5, Z8, Z9, Z10, Z11); \
	RROWS16(d, R13, Z6, Z7, Z2, Z3, Z12, Z13, Z14, Z15); \
	RROWS16(d, R14, Z4, Z5, Z6, Z7, Z16, Z17, Z18, Z19)

#define ZERO12X16 \
	ZERO8TO15; \
	ZERO16

#define SCALELO \
	VMULPS Z0, Z8, Z8;   \
	VMULPS Z0, Z9, Z9;   \
	VMULPS Z0, Z10, Z10; \
	VMULPS Z0, Z11, Z11; \
	VMULPS Z0, Z12, Z12; \
	VMULPS Z0, Z13, Z13; \
	VMULPS Z0, Z14, Z14; \
	VMULPS Z0, Z15, Z15

#define EPILOGUE12X32 \
	VBROADCASTSS alpha+56(FP), Z0; \
	SCALELO;                       \
	SCALE32;                       \
	IFBETA;                        \
	ROW32BETA(Z8, Z9, done);       \
	ROW32BETA(Z10, Z11, done);     \
	ROW32BETA(Z12, Z13, done);     \
	ROW32BETA(Z14, Z15, done);     \
	STORE32BETA;                   \
	JMP          done;             \
nobeta:                            \
	ROW32(Z8, Z9, done);           \
	ROW32(Z10, Z11, done);         \
	ROW32(Z12, Z13, done);         \
	ROW32(Z14, Z15, done);         \
	STORE32;                       \
done:

#define EPILOGUE12X16 \
	VBROADCASTSS alpha+56(FP), Z0; \
	SCALELO;                       \
	SCALE16;                       \
	IFBETA;                        \
	ROW16BETA(Z8, done);           \
	ROW16BETA(Z9, done);           \
	ROW16BETA(Z10, done);          \
	ROW16BETA(Z11, done);          \
	ROW16BETA(Z12, done);          \
	ROW16BETA(Z13, done);          \
	ROW16BETA(Z14, done);          \
	ROW16BETA(Z15, done);          \
	ROW16BETA(Z16, done);          \
	ROW16BETA(Z17, done);          \
	ROW16BETA(Z18, done);          \
	ROW16BETA(Z19, done);          \
	JMP          done;             \
nobeta:                            \
	ROW16(Z8, done);               \
	ROW16(Z9, done);               \
	ROW16(Z10, done);              \
	ROW16(Z11, done);              \
	ROW16(Z12, done);              \
	ROW16(Z13, done);              \
	ROW16(Z14, done);              \
	ROW16(Z15, done);              \
	ROW16(Z16, done);              \
	ROW16(Z17, done);              \
	ROW16(Z18, done);              \
	ROW16(Z19, done);              \
done:                              \
	ZERO16;                        \
	VZEROUPPER;                    \
	RET

// func tile12x32KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)
TEXT ·tile12x32KMajorAVX512(SB), NOSPLIT, $0-104
	PROLOGUE

tile:
	ZERO12X16
	ZERO32
	KLOOP(STEP32K12)
	EPILOGUE12X32
	NEXTTILE(tile)

// func tile12x32RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)
TEXT ·tile12x32RowMajorAVX512(SB), NOSPLIT, $0-104
	PROLOGUE

tile:
	ZERO12X16
	ZERO32
	LEAQ (SI)(R11*4), R13
	LEAQ (R13)(R11*4), R14
	RLOOP(STEP32R12, ADVANCE3)
	EPILOGUE12X32
	NEXTTILE(tile)

// func tile12x16KMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)
TEXT ·tile12x16KMajorAVX512(SB), NOSPLIT, $0-104
	PROLOGUE
	ZERO12X16
	KLOOP(STEP16K12)
	EPILOGUE12X16

// func tile12x16RowMajorAVX512(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, tiles int, astep int, cstep int)
TEXT ·tile12x16RowMajorAVX512(SB), NOSPLIT, $0-104
	PROLOGUE
	ZERO12X16
	LEAQ (SI)(R11*4), R13
	LEAQ (R13)(R11*4), R14
	RLOOP(STEP16R12, ADVANCE3)
	EPILOGUE12X16

// The 4- and 2-row kernels compute a block's last rows (kernelSet.edge):
// 9 rows as 8 and 1 cost an 8-row tile and a 2-row one rather than two
// 8-row tiles, and a 2-row tile's four accumulators take one FMA latency
// per k step, a quarter of an 8-row tile's sixteen multiply-adds. They keep
// the 8-row kernels' registers (row i in Z(16+2i), Z(17+2i), or Z16+i
// when 16 wide) and epilogues, which stop storing after BX rows and, past
// the live accumulators, scale and clear registers left zero. They compute
// one tile a call (the driver gives them no runs), so NEXTTILE returns.
// Each C element sums the same products in the same order as in the other
// kernels, so all give the same bits.

#define STEP32K4(bp, ap) \
	LOAD32(bp); \
	KROWS32(0, 4, 8, 12, ap, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

#define STEP32R4(bp, d) \
	LOAD32(bp); \
	RROWS32(d, SI, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

#define STEP16K4(bp, ap) \
	LOAD16(bp); \
	KROWS16(0, 4, 8, 12, ap, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19)

#define STEP16R4(bp, d) \
	LOAD16(bp); \
	RROWS16(d, SI, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19)

#define STEP32K2(bp, ap) \
	LOAD32(bp);                \
	FMA32(0 ap, Z2, Z16, Z17); \
	FMA32(4 ap, Z3, Z18, Z19)

#define STEP32R2(bp, d) \
	LOAD32(bp);                 \
	FMA32(d(SI), Z2, Z16, Z17); \
	FMA32(d(SI)(R11*1), Z3, Z18, Z19)

#define STEP16K2(bp, ap) \
	LOAD16(bp);           \
	FMA16(0 ap, Z2, Z16); \
	FMA16(4 ap, Z3, Z17)

#define STEP16R2(bp, d) \
	LOAD16(bp);            \
	FMA16(d(SI), Z2, Z16); \
	FMA16(d(SI)(R11*1), Z3, Z17)

#define ADVANCE1(n) \
	ADDQ n, SI

// The edge kernels, with tile8x32KMajorAVX512's signature.
TEXT ·tile4x32KMajorAVX512(SB), NOSPLIT, $0-104
	KMAJOR32(STEP32K4)

TEXT ·tile4x32RowMajorAVX512(SB), NOSPLIT, $0-104
	ROWMAJOR32(STEP32R4)

TEXT ·tile4x16KMajorAVX512(SB), NOSPLIT, $0-104
	KMAJOR16(STEP16K4)

TEXT ·tile4x16RowMajorAVX512(SB), NOSPLIT, $0-104
	ROWMAJOR16(STEP16R4)

TEXT ·tile2x32KMajorAVX512(SB), NOSPLIT, $0-104
	KMAJOR32(STEP32K2)

TEXT ·tile2x32RowMajorAVX512(SB), NOSPLIT, $0-104
	ROWMAJOR32(STEP32R2)

TEXT ·tile2x16KMajorAVX512(SB), NOSPLIT, $0-104
	KMAJOR16(STEP16K2)

TEXT ·tile2x16RowMajorAVX512(SB), NOSPLIT, $0-104
	ROWMAJOR16(STEP16R2)

// The AVX2 kernel computes full 6×16 tiles only (no masks in AVX2 without
// slow VMASKMOV); the driver pads edges. Registers:
//
//	Y0, Y1    row p of the B panel
//	Y2, Y3    A element broadcast (alternating rows)
//	Y4..Y15   accumulators; row i lives in Y(4+2i), Y(5+2i)

#define STEP6X16(bp, ap) \
	VMOVUPS      bp, Y0;      \
	VMOVUPS      32 bp, Y1;   \
	VBROADCASTSS 0 ap, Y2;    \
	VFMADD231PS  Y0, Y2, Y4;  \
	VFMADD231PS  Y1, Y2, Y5;  \
	VBROADCASTSS 4 ap, Y3;    \
	VFMADD231PS  Y0, Y3, Y6;  \
	VFMADD231PS  Y1, Y3, Y7;  \
	VBROADCASTSS 8 ap, Y2;    \
	VFMADD231PS  Y0, Y2, Y8;  \
	VFMADD231PS  Y1, Y2, Y9;  \
	VBROADCASTSS 12 ap, Y3;   \
	VFMADD231PS  Y0, Y3, Y10; \
	VFMADD231PS  Y1, Y3, Y11; \
	VBROADCASTSS 16 ap, Y2;   \
	VFMADD231PS  Y0, Y2, Y12; \
	VFMADD231PS  Y1, Y2, Y13; \
	VBROADCASTSS 20 ap, Y3;   \
	VFMADD231PS  Y0, Y3, Y14; \
	VFMADD231PS  Y1, Y3, Y15

// STEP6X16R is STEP6X16 with A row major: rows are R11 bytes apart, rows
// 3-5 based at R13, and d is the byte offset along k.
#define STEP6X16R(bp, d) \
	VMOVUPS      bp, Y0;              \
	VMOVUPS      32 bp, Y1;           \
	VBROADCASTSS d(SI), Y2;           \
	VFMADD231PS  Y0, Y2, Y4;          \
	VFMADD231PS  Y1, Y2, Y5;          \
	VBROADCASTSS d(SI)(R11*1), Y3;    \
	VFMADD231PS  Y0, Y3, Y6;          \
	VFMADD231PS  Y1, Y3, Y7;          \
	VBROADCASTSS d(SI)(R11*2), Y2;    \
	VFMADD231PS  Y0, Y2, Y8;          \
	VFMADD231PS  Y1, Y2, Y9;          \
	VBROADCASTSS d(R13), Y3;          \
	VFMADD231PS  Y0, Y3, Y10;         \
	VFMADD231PS  Y1, Y3, Y11;         \
	VBROADCASTSS d(R13)(R11*1), Y2;   \
	VFMADD231PS  Y0, Y2, Y12;         \
	VFMADD231PS  Y1, Y2, Y13;         \
	VBROADCASTSS d(R13)(R11*2), Y3;   \
	VFMADD231PS  Y0, Y3, Y14;         \
	VFMADD231PS  Y1, Y3, Y15

#define ROW6X16BETA(c0, c1) \
	VMULPS      Y0, c0, c0;     \
	VMULPS      Y0, c1, c1;     \
	VFMADD231PS (DI), Y1, c0;   \
	VFMADD231PS 32(DI), Y1, c1; \
	VMOVUPS     c0, (DI);       \
	VMOVUPS     c1, 32(DI);     \
	ADDQ        R8, DI

#define ROW6X16(c0, c1) \
	VMULPS  Y0, c0, c0;   \
	VMULPS  Y0, c1, c1;   \
	VMOVUPS c0, (DI);     \
	VMOVUPS c1, 32(DI);   \
	ADDQ    R8, DI

// PROLOGUE6X16 loads the arguments of the AVX2 kernels (CX k steps, SI
// A, R11/R12 1x/3x lda bytes, DX B, R9/R10 1x/3x ldb bytes, DI C, R8 ldc
// bytes); ZERO6X16 zeroes the accumulators Y4..Y15.
#define PROLOGUE6X16 \
	MOVQ   kc+0(FP), CX;     \
	MOVQ   a+8(FP), SI;      \
	MOVQ   lda+16(FP), R11;  \
	SHLQ   $2, R11;          \
	LEAQ   (R11)(R11*2), R12; \
	MOVQ   b+24(FP), DX;     \
	MOVQ   ldb+32(FP), R9;   \
	SHLQ   $2, R9;           \
	LEAQ   (R9)(R9*2), R10;  \
	MOVQ   c+40(FP), DI;     \
	MOVQ   ldc+48(FP), R8;   \
	SHLQ   $2, R8

#define ZERO6X16 \
	VXORPS Y4, Y4, Y4;        \
	VXORPS Y5, Y5, Y5;        \
	VXORPS Y6, Y6, Y6;        \
	VXORPS Y7, Y7, Y7;        \
	VXORPS Y8, Y8, Y8;        \
	VXORPS Y9, Y9, Y9;        \
	VXORPS Y10, Y10, Y10;     \
	VXORPS Y11, Y11, Y11;     \
	VXORPS Y12, Y12, Y12;     \
	VXORPS Y13, Y13, Y13;     \
	VXORPS Y14, Y14, Y14;     \
	VXORPS Y15, Y15, Y15

// EPILOGUE6X16 stores the 6×16 tile: C = alpha·tile, plus beta·C unless
// beta is ±0, when C is not read; then goes on at done (NEXTTILE6X16).
#define EPILOGUE6X16 \
	VBROADCASTSS alpha+56(FP), Y0; \
	MOVL         beta+60(FP), AX;  \
	TESTL        $0x7fffffff, AX;  \
	JZ           nobeta;           \
	VBROADCASTSS beta+60(FP), Y1;  \
	ROW6X16BETA(Y4, Y5);           \
	ROW6X16BETA(Y6, Y7);           \
	ROW6X16BETA(Y8, Y9);           \
	ROW6X16BETA(Y10, Y11);         \
	ROW6X16BETA(Y12, Y13);         \
	ROW6X16BETA(Y14, Y15);         \
	JMP          done;             \
nobeta:                            \
	ROW6X16(Y4, Y5);               \
	ROW6X16(Y6, Y7);               \
	ROW6X16(Y8, Y9);               \
	ROW6X16(Y10, Y11);             \
	ROW6X16(Y12, Y13);             \
	ROW6X16(Y14, Y15);             \
done:


// func tile6x16KMajorAVX2(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, tiles int, astep int, cstep int)
TEXT ·tile6x16KMajorAVX2(SB), NOSPLIT, $0-88
	PROLOGUE6X16

tile:
	ZERO6X16
	KLOOP(STEP6X16)
	EPILOGUE6X16
	NEXTTILE6X16(tile)

// func tile6x16RowMajorAVX2(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, tiles int, astep int, cstep int)
TEXT ·tile6x16RowMajorAVX2(SB), NOSPLIT, $0-88
	PROLOGUE6X16

tile:
	ZERO6X16
	LEAQ (SI)(R12*1), R13
	RLOOP(STEP6X16R, ADVANCE2)
	EPILOGUE6X16
	NEXTTILE6X16(tile)

// func transposeAVX(dst *float32, ldd int, src *float32, lds int, rows int, cols int)
//
// dst[q*ldd + r] = src[r*lds + q] for r < rows, q < cols, both multiples of
// 8, as 8×8 blocks transposed in registers: unpack pairs of rows, shuffle
// pairs of pairs, then swap 128-bit halves. Uses AVX only.
TEXT ·transposeAVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R11
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10
	MOVQ rows+32(FP), BX
	SHRQ $3, BX
	MOVQ cols+40(FP), CX
	SHRQ $3, CX
	TESTQ BX, BX
	JZ    done
	TESTQ CX, CX
	JZ    done

rowblock:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ CX, DX

colblock:
	LEAQ    (R12)(R9*4), R14
	VMOVUPS (R12), Y0
	VMOVUPS (R12)(R9*1), Y1
	VMOVUPS (R12)(R9*2), Y2
	VMOVUPS (R12)(R10*1), Y3
	VMOVUPS (R14), Y4
	VMOVUPS (R14)(R9*1), Y5
	VMOVUPS (R14)(R9*2), Y6
	VMOVUPS (R14)(R10*1), Y7

	// Y8..Y15 = interleaved pairs: (r0 r1), (r2 r3), (r4 r5), (r6 r7).
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	// Y0..Y7: columns q and q+4 of four rows each.
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	// Join the halves: Y8..Y15 are columns 0..7, all eight rows.
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	LEAQ    (R13)(R8*4), AX
	VMOVUPS Y8, (R13)
	VMOVUPS Y9, (R13)(R8*1)
	VMOVUPS Y10, (R13)(R8*2)
	VMOVUPS Y11, (R13)(R11*1)
	VMOVUPS Y12, (AX)
	VMOVUPS Y13, (AX)(R8*1)
	VMOVUPS Y14, (AX)(R8*2)
	VMOVUPS Y15, (AX)(R11*1)

	ADDQ $32, R12
	LEAQ (R13)(R8*8), R13
	DECQ DX
	JNZ  colblock

	LEAQ (SI)(R9*8), SI
	ADDQ $32, DI
	DECQ BX
	JNZ  rowblock

done:
	VZEROUPPER
	RET
