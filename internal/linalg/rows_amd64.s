//go:build amd64 && !purego

#include "textflag.h"

// Per-column kernels of a row-major rows×c matrix, c a positive multiple
// of 8 and rows > 0 (the Go wrappers in rows.go see to both). Each walks
// the matrix row by row and a row 8 columns at a time; BX is the byte
// offset of those 8 columns in a float32 row, so the per-column
// parameters are read at (param)(BX*1), the same 32 bytes in every row,
// and the float64 accumulators at (acc)(BX*2). The sums instead walk the
// matrix a block of 16 columns at a time, down all the rows, with the
// block's accumulators in registers: kept in the caller's slices, loaded
// and stored every row, each row's add waited on the last row's store
// (18-27 GB/s on Zen 5, against 50 and more this way). A block is 64
// bytes of each row, a cache line where rows are aligned, so the blocks
// together still read x once. Each column's accumulator takes its rows in order, as in the Go forms,
// and the products added (x², g·(x-mu), of float32 values) are exact in
// float64, so an FMA rounds as a multiply and an add do: the sums agree
// with the Go forms to the bit. The float32 maps do the operations of
// their Go forms one by one, in the same order and without FMA (as
// affineCentredAVX2 and combineCentredAVX2 do), so they agree too.

// SUMSQ4 adds 4 columns of a row (off bytes on from DI, the block in the
// current row) to their sums (sacc) and squares (qacc), through v: sums
// in Y8 up, squares in Y12 up, one register per 4 columns.
#define SUMSQ4(off, v, sacc, qacc) \
	VCVTPS2PD   off(DI), v;  \
	VADDPD      sacc, v, sacc; \
	VFMADD231PD v, v, qacc

// func sumSquaresRowsAVX2(x *float32, rows, c int, sum, sq *float64)
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

sqblock:
	MOVQ AX, DX
	SUBQ BX, DX
	LEAQ (SI)(BX*1), DI
	MOVQ CX, R10
	CMPQ DX, $64
	JLT  sqhalf
	VMOVUPD (R8)(BX*2), Y8
	VMOVUPD 32(R8)(BX*2), Y9
	VMOVUPD 64(R8)(BX*2), Y10
	VMOVUPD 96(R8)(BX*2), Y11
	VMOVUPD (R9)(BX*2), Y12
	VMOVUPD 32(R9)(BX*2), Y13
	VMOVUPD 64(R9)(BX*2), Y14
	VMOVUPD 96(R9)(BX*2), Y15

sq16:
	SUMSQ4(0, Y0, Y8, Y12)
	SUMSQ4(16, Y1, Y9, Y13)
	SUMSQ4(32, Y2, Y10, Y14)
	SUMSQ4(48, Y3, Y11, Y15)
	ADDQ AX, DI
	DECQ R10
	JNZ  sq16

	VMOVUPD Y8, (R8)(BX*2)
	VMOVUPD Y9, 32(R8)(BX*2)
	VMOVUPD Y10, 64(R8)(BX*2)
	VMOVUPD Y11, 96(R8)(BX*2)
	VMOVUPD Y12, (R9)(BX*2)
	VMOVUPD Y13, 32(R9)(BX*2)
	VMOVUPD Y14, 64(R9)(BX*2)
	VMOVUPD Y15, 96(R9)(BX*2)
	ADDQ    $64, BX
	CMPQ    BX, AX
	JNE     sqblock
	JMP     sqdone

sqhalf: // the last 8 columns
	VMOVUPD (R8)(BX*2), Y8
	VMOVUPD 32(R8)(BX*2), Y9
	VMOVUPD (R9)(BX*2), Y12
	VMOVUPD 32(R9)(BX*2), Y13

sq8:
	SUMSQ4(0, Y0, Y8, Y12)
	SUMSQ4(16, Y1, Y9, Y13)
	ADDQ AX, DI
	DECQ R10
	JNZ  sq8

	VMOVUPD Y8, (R8)(BX*2)
	VMOVUPD Y9, 32(R8)(BX*2)
	VMOVUPD Y12, (R9)(BX*2)
	VMOVUPD Y13, 32(R9)(BX*2)

sqdone:
	VZEROUPPER
	RET

#define SUM4(off, v, sacc) \
	VCVTPS2PD off(DI), v; \
	VADDPD    sacc, v, sacc

// func sumRowsAVX2(x *float32, rows, c int, sum *float64)
// sumSquaresRowsAVX2 without the squares.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ  x+0(FP), SI
	MOVQ  rows+8(FP), CX
	MOVQ  c+16(FP), AX
	MOVQ  sum+24(FP), R8
	SHLQ  $2, AX
	TESTQ CX, CX
	JZ    sdone
	XORQ  BX, BX

sblock:
	MOVQ AX, DX
	SUBQ BX, DX
	LEAQ (SI)(BX*1), DI
	MOVQ CX, R10
	CMPQ DX, $64
	JLT  shalf
	VMOVUPD (R8)(BX*2), Y8
	VMOVUPD 32(R8)(BX*2), Y9
	VMOVUPD 64(R8)(BX*2), Y10
	VMOVUPD 96(R8)(BX*2), Y11

s16:
	SUM4(0, Y0, Y8)
	SUM4(16, Y1, Y9)
	SUM4(32, Y2, Y10)
	SUM4(48, Y3, Y11)
	ADDQ AX, DI
	DECQ R10
	JNZ  s16

	VMOVUPD Y8, (R8)(BX*2)
	VMOVUPD Y9, 32(R8)(BX*2)
	VMOVUPD Y10, 64(R8)(BX*2)
	VMOVUPD Y11, 96(R8)(BX*2)
	ADDQ    $64, BX
	CMPQ    BX, AX
	JNE     sblock
	JMP     sdone

shalf:
	VMOVUPD (R8)(BX*2), Y8
	VMOVUPD 32(R8)(BX*2), Y9

s8:
	SUM4(0, Y0, Y8)
	SUM4(16, Y1, Y9)
	ADDQ AX, DI
	DECQ R10
	JNZ  s8

	VMOVUPD Y8, (R8)(BX*2)
	VMOVUPD Y9, 32(R8)(BX*2)

sdone:
	VZEROUPPER
	RET

// func dotCentredRowsAVX2(grad, x, mu *float32, rows, c int, dot *float64)
// x - mu is rounded to float32 (VSUBPS) before it is widened, as in the
// Go form; a block's mu stays in Y6 and Y7. (grad, not g: g names a
// register to the assembler.) DI walks x and R11 grad, down the block.
TEXT ·dotCentredRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ  grad+0(FP), R12
	MOVQ  x+8(FP), SI
	MOVQ  mu+16(FP), R9
	MOVQ  rows+24(FP), CX
	MOVQ  c+32(FP), AX
	MOVQ  dot+40(FP), R8
	SHLQ  $2, AX
	TESTQ CX, CX
	JZ    ddone
	XORQ  BX, BX

dblock:
	MOVQ AX, DX
	SUBQ BX, DX
	LEAQ (SI)(BX*1), DI
	LEAQ (R12)(BX*1), R11
	MOVQ CX, R10
	VMOVUPS (R9)(BX*1), Y6
	VMOVUPD (R8)(BX*2), Y8
	VMOVUPD 32(R8)(BX*2), Y9
	CMPQ DX, $64
	JLT  d8
	VMOVUPS 32(R9)(BX*1), Y7
	VMOVUPD 64(R8)(BX*2), Y10
	VMOVUPD 96(R8)(BX*2), Y11

d16:
	VMOVUPS      (DI), Y0
	VMOVUPS      32(DI), Y1
	VSUBPS       Y6, Y0, Y0
	VSUBPS       Y7, Y1, Y1
	VEXTRACTF128 $1, Y0, X2
	VEXTRACTF128 $1, Y1, X3
	VCVTPS2PD    X0, Y0
	VCVTPS2PD    X2, Y2
	VCVTPS2PD    X1, Y1
	VCVTPS2PD    X3, Y3
	VCVTPS2PD    (R11), Y4
	VCVTPS2PD    16(R11), Y5
	VCVTPS2PD    32(R11), Y12
	VCVTPS2PD    48(R11), Y13
	VFMADD231PD  Y4, Y0, Y8
	VFMADD231PD  Y5, Y2, Y9
	VFMADD231PD  Y12, Y1, Y10
	VFMADD231PD  Y13, Y3, Y11
	ADDQ         AX, DI
	ADDQ         AX, R11
	DECQ         R10
	JNZ          d16

	VMOVUPD Y8, (R8)(BX*2)
	VMOVUPD Y9, 32(R8)(BX*2)
	VMOVUPD Y10, 64(R8)(BX*2)
	VMOVUPD Y11, 96(R8)(BX*2)
	ADDQ    $64, BX
	CMPQ    BX, AX
	JNE     dblock
	JMP     ddone

d8: // the last 8 columns
	VMOVUPS      (DI), Y0
	VSUBPS       Y6, Y0, Y0
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD    X0, Y0
	VCVTPS2PD    X2, Y2
	VCVTPS2PD    (R11), Y4
	VCVTPS2PD    16(R11), Y5
	VFMADD231PD  Y4, Y0, Y8
	VFMADD231PD  Y5, Y2, Y9
	ADDQ         AX, DI
	ADDQ         AX, R11
	DECQ         R10
	JNZ          d8

	VMOVUPD Y8, (R8)(BX*2)
	VMOVUPD Y9, 32(R8)(BX*2)

ddone:
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

// func combineCentredRowsAVX2(out, y, x, a, k, mu, b *float32, rows, c int)
// out = (a·y + k·(x - mu)) + b, each operation rounded.
TEXT ·combineCentredRowsAVX2(SB), NOSPLIT, $0-72
	MOVQ  out+0(FP), DI
	MOVQ  y+8(FP), DX
	MOVQ  x+16(FP), SI
	MOVQ  a+24(FP), R8
	MOVQ  k+32(FP), R9
	MOVQ  mu+40(FP), R10
	MOVQ  b+48(FP), R11
	MOVQ  rows+56(FP), CX
	MOVQ  c+64(FP), AX
	SHLQ  $2, AX
	TESTQ CX, CX
	JZ    cdone

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

cdone:
	VZEROUPPER
	RET
