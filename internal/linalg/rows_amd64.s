//go:build amd64 && !purego

#include "textflag.h"

// Per-column kernels of a row-major rows×c matrix, c a positive multiple
// of 8 and rows > 0 (the Go wrappers in rows.go see to both). Each walks
// the matrix row by row and a row 8 columns at a time; BX is the byte
// offset of those 8 columns in a float32 row, so the per-column
// parameters are read at (param)(BX*1), the same 32 bytes in every row,
// and the float64 accumulators at (acc)(BX*2). A row of 32 to 256 columns
// has more accumulators than there are registers, so sumRowsAVX2 keeps
// them in the caller's slices, loaded, added to
// and stored per 4 columns; with the parameters, they are a few KiB that
// stay in L1 while x streams past. sumSquaresRowsAVX2 and
// sumDotCentredRowsAVX2 turn the loops round instead: 8 columns at a time
// over all the rows of a block small enough to stay in L1 (the Go wrappers
// cut the blocks), their accumulators in registers, as a store per row and
// accumulator was what bounded them. Each column's accumulator takes its rows in order, as in the Go forms,
// and the products added (x², g·(x-mu), of float32 values) are exact in
// float64, so an FMA rounds as a multiply and an add do: the sums agree
// with the Go forms to the bit. The float32 maps do the operations of
// their Go forms one by one, in the same order and without FMA (as
// affineCentredAVX2 and combineCentredAVX2 do), so they agree too.

// ADDPD4 adds the 4 doubles of v to the 4 float64 accumulators at m,
// through t.
#define ADDPD4(v, m, t) \
	VADDPD  m, v, t; \
	VMOVUPD t, m

// SUMDOT adds g' (8 floats in Y0) to the sum accumulators Y8:Y9 and
// g'·(x - mu) to the dot accumulators Y10:Y11, x - mu being in Y2 as
// float32; both are widened to float64. Y1 and Y3 are scratch.
#define SUMDOT \
	VEXTRACTF128 $1, Y2, X3; \
	VCVTPS2PD    X2, Y2;     \
	VCVTPS2PD    X3, Y3;     \
	VEXTRACTF128 $1, Y0, X1; \
	VCVTPS2PD    X0, Y0;     \
	VCVTPS2PD    X1, Y1;     \
	VADDPD       Y0, Y8, Y8; \
	VADDPD       Y1, Y9, Y9; \
	VFMADD231PD  Y0, Y2, Y10; \
	VFMADD231PD  Y1, Y3, Y11

// func sumSquaresRowsAVX2(x *float32, rows, c int, sum, sq *float64)
// Columns outer, 8 at a time, their accumulators in registers while the
// rows go by, as in sumDotCentredRowsAVX2.
TEXT ·sumSquaresRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ  x+0(FP), SI
	MOVQ  rows+8(FP), CX
	MOVQ  c+16(FP), AX
	MOVQ  sum+24(FP), R8
	MOVQ  sq+32(FP), R9
	SHLQ  $2, AX          // bytes in a row
	TESTQ CX, CX
	JZ    sqdone
	XORQ  BX, BX

sqcol:
	VMOVUPD (R8)(BX*2), Y8
	VMOVUPD 32(R8)(BX*2), Y9
	VMOVUPD (R9)(BX*2), Y10
	VMOVUPD 32(R9)(BX*2), Y11
	MOVQ    BX, R12
	MOVQ    CX, R13

sqrow:
	VCVTPS2PD   (SI)(R12*1), Y0
	VCVTPS2PD   16(SI)(R12*1), Y1
	VADDPD      Y0, Y8, Y8
	VADDPD      Y1, Y9, Y9
	VFMADD231PD Y0, Y0, Y10
	VFMADD231PD Y1, Y1, Y11
	ADDQ        AX, R12
	DECQ        R13
	JNZ         sqrow

	VMOVUPD Y8, (R8)(BX*2)
	VMOVUPD Y9, 32(R8)(BX*2)
	VMOVUPD Y10, (R9)(BX*2)
	VMOVUPD Y11, 32(R9)(BX*2)
	ADDQ    $32, BX
	CMPQ    BX, AX
	JNE     sqcol

sqdone:
	VZEROUPPER
	RET

// func sumRowsAVX2(x *float32, rows, c int, sum *float64)
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ  x+0(FP), SI
	MOVQ  rows+8(FP), CX
	MOVQ  c+16(FP), AX
	MOVQ  sum+24(FP), R8
	SHLQ  $2, AX
	TESTQ CX, CX
	JZ    sdone

srow:
	XORQ BX, BX

scol:
	VCVTPS2PD (SI)(BX*1), Y0
	VCVTPS2PD 16(SI)(BX*1), Y1
	ADDPD4(Y0, (R8)(BX*2), Y2)
	ADDPD4(Y1, 32(R8)(BX*2), Y3)
	ADDQ $32, BX
	CMPQ BX, AX
	JNE  scol

	ADDQ AX, SI
	DECQ CX
	JNZ  srow

sdone:
	VZEROUPPER
	RET

// func sumDotCentredRowsAVX2(grad, x, mu, scale, shift *float32, rows, c int, sum, dot *float64)
// The column sums of g' and of g'·(x - mu) (grad, or grad where (x - mu)·scale +
// shift > 0, each operation rounded as in affineCentredRowsAVX2, and +0
// elsewhere) in one pass. The columns are the outer loop: 8 of them at a
// time, their four float64 accumulators and their parameters in registers
// while the rows go by (each accumulator still takes its rows in order),
// so that nothing is stored per row. The caller keeps rows×c small enough
// to stay in L1 between column steps.
TEXT ·sumDotCentredRowsAVX2(SB), NOSPLIT, $0-72
	MOVQ   grad+0(FP), R11
	MOVQ   x+8(FP), SI
	MOVQ   mu+16(FP), R10
	MOVQ   scale+24(FP), DX
	MOVQ   shift+32(FP), DI
	MOVQ   rows+40(FP), CX
	MOVQ   c+48(FP), AX
	MOVQ   sum+56(FP), R8
	MOVQ   dot+64(FP), R9
	SHLQ   $2, AX
	TESTQ  CX, CX
	JZ     sddone
	VXORPS Y15, Y15, Y15
	XORQ   BX, BX

sdcol:
	VMOVUPD (R8)(BX*2), Y8
	VMOVUPD 32(R8)(BX*2), Y9
	VMOVUPD (R9)(BX*2), Y10
	VMOVUPD 32(R9)(BX*2), Y11
	VMOVUPS (R10)(BX*1), Y12
	MOVQ    BX, R12
	MOVQ    CX, R13
	TESTQ   DX, DX
	JZ      sdplain
	VMOVUPS (DX)(BX*1), Y13
	VMOVUPS (DI)(BX*1), Y14

sdmasked:
	VMOVUPS (SI)(R12*1), Y2
	VSUBPS  Y12, Y2, Y2
	VMULPS  Y13, Y2, Y0
	VADDPS  Y14, Y0, Y0
	VCMPPS  $0x1e, Y15, Y0, Y0 // > 0, ordered: false for NaN
	VANDPS  (R11)(R12*1), Y0, Y0
	SUMDOT
	ADDQ    AX, R12
	DECQ    R13
	JNZ     sdmasked
	JMP     sdstore

sdplain:
	VMOVUPS (SI)(R12*1), Y2
	VSUBPS  Y12, Y2, Y2
	VMOVUPS (R11)(R12*1), Y0
	SUMDOT
	ADDQ    AX, R12
	DECQ    R13
	JNZ     sdplain

sdstore:
	VMOVUPD Y8, (R8)(BX*2)
	VMOVUPD Y9, 32(R8)(BX*2)
	VMOVUPD Y10, (R9)(BX*2)
	VMOVUPD Y11, 32(R9)(BX*2)
	ADDQ    $32, BX
	CMPQ    BX, AX
	JNE     sdcol

sddone:
	VZEROUPPER
	RET

// func affineCentredRowsAVX2(out, x, mu, scale, shift *float32, rows, c int)
// out = (x - mu)·scale + shift, each operation rounded.
TEXT ·affineCentredRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ  out+0(FP), DI
	MOVQ  x+8(FP), SI
	MOVQ  mu+16(FP), R8
	MOVQ  scale+24(FP), R9
	MOVQ  shift+32(FP), R10
	MOVQ  rows+40(FP), CX
	MOVQ  c+48(FP), AX
	SHLQ  $2, AX
	TESTQ CX, CX
	JZ    adone

arow:
	XORQ BX, BX

acol:
	VMOVUPS (SI)(BX*1), Y0
	VSUBPS  (R8)(BX*1), Y0, Y0
	VMULPS  (R9)(BX*1), Y0, Y0
	VADDPS  (R10)(BX*1), Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, AX
	JNE     acol

	ADDQ AX, SI
	ADDQ AX, DI
	DECQ CX
	JNZ  arow

adone:
	VZEROUPPER
	RET

// func combineCentredRowsAVX2(out, y, x, a, k, mu, b, scale, shift *float32, rows, c int)
// out = (a·y' + k·(x - mu)) + b, each operation rounded, where y' = y or,
// when scale is not nil, y where (x - mu)·scale + shift > 0 and +0
// elsewhere, rounded as in sumDotCentredRowsAVX2.
TEXT ·combineCentredRowsAVX2(SB), NOSPLIT, $0-88
	MOVQ   out+0(FP), DI
	MOVQ   y+8(FP), DX
	MOVQ   x+16(FP), SI
	MOVQ   a+24(FP), R8
	MOVQ   k+32(FP), R9
	MOVQ   mu+40(FP), R10
	MOVQ   b+48(FP), R11
	MOVQ   scale+56(FP), R12
	MOVQ   shift+64(FP), R13
	MOVQ   rows+72(FP), CX
	MOVQ   c+80(FP), AX
	SHLQ   $2, AX
	TESTQ  CX, CX
	JZ     cdone
	VXORPS Y15, Y15, Y15
	TESTQ  R12, R12
	JNZ    crrow

crow:
	XORQ BX, BX

ccol:
	VMOVUPS (DX)(BX*1), Y0
	VMULPS  (R8)(BX*1), Y0, Y0
	VMOVUPS (SI)(BX*1), Y1
	VSUBPS  (R10)(BX*1), Y1, Y1
	VMULPS  (R9)(BX*1), Y1, Y1
	VADDPS  Y1, Y0, Y0
	VADDPS  (R11)(BX*1), Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, AX
	JNE     ccol

	ADDQ AX, DX
	ADDQ AX, SI
	ADDQ AX, DI
	DECQ CX
	JNZ  crow
	JMP  cdone

crrow:
	XORQ BX, BX

crcol:
	VMOVUPS (SI)(BX*1), Y1
	VSUBPS  (R10)(BX*1), Y1, Y1
	VMULPS  (R12)(BX*1), Y1, Y2
	VADDPS  (R13)(BX*1), Y2, Y2
	VCMPPS  $0x1e, Y15, Y2, Y2
	VANDPS  (DX)(BX*1), Y2, Y0
	VMULPS  (R8)(BX*1), Y0, Y0
	VMULPS  (R9)(BX*1), Y1, Y1
	VADDPS  Y1, Y0, Y0
	VADDPS  (R11)(BX*1), Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, AX
	JNE     crcol

	ADDQ AX, DX
	ADDQ AX, SI
	ADDQ AX, DI
	DECQ CX
	JNZ  crrow

cdone:
	VZEROUPPER
	RET
