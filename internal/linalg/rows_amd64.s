//go:build amd64 && !purego

#include "textflag.h"

// Per-column kernels of a row-major rows×c matrix, c a positive multiple
// of 8 and rows > 0 (the Go wrappers in rows.go see to both). Each walks
// the matrix row by row and a row 8 columns at a time; BX is the byte
// offset of those 8 columns in a float32 row, so the per-column
// parameters are read at (param)(BX*1), the same 32 bytes in every row,
// and the float64 accumulators at (acc)(BX*2). A row of 32 to 256 columns
// has more accumulators than there are registers, so they live in the
// caller's slices, loaded, added to and stored per 4 columns; with the
// parameters, they are a few KiB that stay in L1 while x streams past.
// Each column's accumulator takes its rows in order, as in the Go forms,
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

// FMAPD4 adds a·b, lane by lane, to the 4 float64 accumulators at m,
// through t.
#define FMAPD4(a, b, m, t) \
	VMOVUPD     m, t;    \
	VFMADD231PD a, b, t; \
	VMOVUPD     t, m

// The three sums run a column group at a time, rows inside: the group's
// float64 accumulators (16 columns, or 8 for a last odd group) are
// loaded into registers, take every row of the block in order, and are
// stored back, instead of a load, add and store in memory per row, whose
// chains through store forwarding held the sums to half the speed of the
// maps. The Go wrappers hand them blocks of rows small enough to stay in
// L1 while each group walks down them (rowsBlock). Each column still takes
// its rows in order, with the same operations, so the bits do not change.
// DX is the bytes of the row left from the group, DI walks the group's
// rows, R11 counts them.

// func sumSquaresRowsAVX2(x *float32, rows, c int, sum, sq *float64)
TEXT ·sumSquaresRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ rows+8(FP), CX
	MOVQ c+16(FP), AX
	MOVQ sum+24(FP), R8
	MOVQ sq+32(FP), R9
	SHLQ $2, AX          // bytes in a row
	XORQ BX, BX          // the group's byte offset in a row

qgroup:
	MOVQ AX, DX
	SUBQ BX, DX
	LEAQ (SI)(BX*1), DI
	MOVQ CX, R11
	CMPQ DX, $64
	JB   q8
	VMOVUPD (R8)(BX*2), Y0
	VMOVUPD 32(R8)(BX*2), Y1
	VMOVUPD 64(R8)(BX*2), Y2
	VMOVUPD 96(R8)(BX*2), Y3
	VMOVUPD (R9)(BX*2), Y4
	VMOVUPD 32(R9)(BX*2), Y5
	VMOVUPD 64(R9)(BX*2), Y6
	VMOVUPD 96(R9)(BX*2), Y7

q16row:
	VCVTPS2PD   (DI), Y8
	VCVTPS2PD   16(DI), Y9
	VCVTPS2PD   32(DI), Y10
	VCVTPS2PD   48(DI), Y11
	VADDPD      Y8, Y0, Y0
	VADDPD      Y9, Y1, Y1
	VADDPD      Y10, Y2, Y2
	VADDPD      Y11, Y3, Y3
	VFMADD231PD Y8, Y8, Y4
	VFMADD231PD Y9, Y9, Y5
	VFMADD231PD Y10, Y10, Y6
	VFMADD231PD Y11, Y11, Y7
	ADDQ        AX, DI
	DECQ        R11
	JNZ         q16row

	VMOVUPD Y0, (R8)(BX*2)
	VMOVUPD Y1, 32(R8)(BX*2)
	VMOVUPD Y2, 64(R8)(BX*2)
	VMOVUPD Y3, 96(R8)(BX*2)
	VMOVUPD Y4, (R9)(BX*2)
	VMOVUPD Y5, 32(R9)(BX*2)
	VMOVUPD Y6, 64(R9)(BX*2)
	VMOVUPD Y7, 96(R9)(BX*2)
	ADDQ    $64, BX
	JMP     qnext

q8:
	VMOVUPD (R8)(BX*2), Y0
	VMOVUPD 32(R8)(BX*2), Y1
	VMOVUPD (R9)(BX*2), Y4
	VMOVUPD 32(R9)(BX*2), Y5

q8row:
	VCVTPS2PD   (DI), Y8
	VCVTPS2PD   16(DI), Y9
	VADDPD      Y8, Y0, Y0
	VADDPD      Y9, Y1, Y1
	VFMADD231PD Y8, Y8, Y4
	VFMADD231PD Y9, Y9, Y5
	ADDQ        AX, DI
	DECQ        R11
	JNZ         q8row

	VMOVUPD Y0, (R8)(BX*2)
	VMOVUPD Y1, 32(R8)(BX*2)
	VMOVUPD Y4, (R9)(BX*2)
	VMOVUPD Y5, 32(R9)(BX*2)
	ADDQ    $32, BX

qnext:
	CMPQ BX, AX
	JB   qgroup
	VZEROUPPER
	RET

// func sumRowsAVX2(x *float32, rows, c int, sum *float64)
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ rows+8(FP), CX
	MOVQ c+16(FP), AX
	MOVQ sum+24(FP), R8
	SHLQ $2, AX
	XORQ BX, BX

sgroup:
	MOVQ AX, DX
	SUBQ BX, DX
	LEAQ (SI)(BX*1), DI
	MOVQ CX, R11
	CMPQ DX, $64
	JB   s8
	VMOVUPD (R8)(BX*2), Y0
	VMOVUPD 32(R8)(BX*2), Y1
	VMOVUPD 64(R8)(BX*2), Y2
	VMOVUPD 96(R8)(BX*2), Y3

s16row:
	VCVTPS2PD (DI), Y8
	VCVTPS2PD 16(DI), Y9
	VCVTPS2PD 32(DI), Y10
	VCVTPS2PD 48(DI), Y11
	VADDPD    Y8, Y0, Y0
	VADDPD    Y9, Y1, Y1
	VADDPD    Y10, Y2, Y2
	VADDPD    Y11, Y3, Y3
	ADDQ      AX, DI
	DECQ      R11
	JNZ       s16row

	VMOVUPD Y0, (R8)(BX*2)
	VMOVUPD Y1, 32(R8)(BX*2)
	VMOVUPD Y2, 64(R8)(BX*2)
	VMOVUPD Y3, 96(R8)(BX*2)
	ADDQ    $64, BX
	JMP     snext

s8:
	VMOVUPD (R8)(BX*2), Y0
	VMOVUPD 32(R8)(BX*2), Y1

s8row:
	VCVTPS2PD (DI), Y8
	VCVTPS2PD 16(DI), Y9
	VADDPD    Y8, Y0, Y0
	VADDPD    Y9, Y1, Y1
	ADDQ      AX, DI
	DECQ      R11
	JNZ       s8row

	VMOVUPD Y0, (R8)(BX*2)
	VMOVUPD Y1, 32(R8)(BX*2)
	ADDQ    $32, BX

snext:
	CMPQ BX, AX
	JB   sgroup
	VZEROUPPER
	RET

// func dotCentredRowsAVX2(grad, x, mu *float32, rows, c int, dot *float64)
// x - mu is rounded to float32 (VSUBPS) before it is widened, as in the
// Go form. (grad, not g: g names a register to the assembler.) R12 walks
// grad's rows as DI walks x's; Y12 and Y13 hold the group's mu.
TEXT ·dotCentredRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ grad+0(FP), R10
	MOVQ x+8(FP), SI
	MOVQ mu+16(FP), R9
	MOVQ rows+24(FP), CX
	MOVQ c+32(FP), AX
	MOVQ dot+40(FP), R8
	SHLQ $2, AX
	XORQ BX, BX

dgroup:
	MOVQ AX, DX
	SUBQ BX, DX
	LEAQ (SI)(BX*1), DI
	LEAQ (R10)(BX*1), R12
	MOVQ CX, R11
	CMPQ DX, $64
	JB   d8
	VMOVUPD (R8)(BX*2), Y0
	VMOVUPD 32(R8)(BX*2), Y1
	VMOVUPD 64(R8)(BX*2), Y2
	VMOVUPD 96(R8)(BX*2), Y3
	VMOVUPS (R9)(BX*1), Y12
	VMOVUPS 32(R9)(BX*1), Y13

d16row:
	VMOVUPS      (DI), Y4
	VMOVUPS      32(DI), Y5
	VSUBPS       Y12, Y4, Y4
	VSUBPS       Y13, Y5, Y5
	VEXTRACTF128 $1, Y4, X6
	VEXTRACTF128 $1, Y5, X7
	VCVTPS2PD    X4, Y4
	VCVTPS2PD    X6, Y6
	VCVTPS2PD    X5, Y5
	VCVTPS2PD    X7, Y7
	VCVTPS2PD    (R12), Y8
	VCVTPS2PD    16(R12), Y9
	VCVTPS2PD    32(R12), Y10
	VCVTPS2PD    48(R12), Y11
	VFMADD231PD  Y8, Y4, Y0
	VFMADD231PD  Y9, Y6, Y1
	VFMADD231PD  Y10, Y5, Y2
	VFMADD231PD  Y11, Y7, Y3
	ADDQ         AX, DI
	ADDQ         AX, R12
	DECQ         R11
	JNZ          d16row

	VMOVUPD Y0, (R8)(BX*2)
	VMOVUPD Y1, 32(R8)(BX*2)
	VMOVUPD Y2, 64(R8)(BX*2)
	VMOVUPD Y3, 96(R8)(BX*2)
	ADDQ    $64, BX
	JMP     dnext

d8:
	VMOVUPD (R8)(BX*2), Y0
	VMOVUPD 32(R8)(BX*2), Y1
	VMOVUPS (R9)(BX*1), Y12

d8row:
	VMOVUPS      (DI), Y4
	VSUBPS       Y12, Y4, Y4
	VEXTRACTF128 $1, Y4, X6
	VCVTPS2PD    X4, Y4
	VCVTPS2PD    X6, Y6
	VCVTPS2PD    (R12), Y8
	VCVTPS2PD    16(R12), Y9
	VFMADD231PD  Y8, Y4, Y0
	VFMADD231PD  Y9, Y6, Y1
	ADDQ         AX, DI
	ADDQ         AX, R12
	DECQ         R11
	JNZ          d8row

	VMOVUPD Y0, (R8)(BX*2)
	VMOVUPD Y1, 32(R8)(BX*2)
	ADDQ    $32, BX

dnext:
	CMPQ BX, AX
	JB   dgroup
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
