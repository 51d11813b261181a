//go:build amd64 && !purego

#include "textflag.h"

// Vector kernels for per-channel statistics and element-wise maps (batch
// normalisation). Each handles n elements, n a multiple of 16 for the
// float64 sums and of 8 for the maps; the Go wrappers do the tails. The
// sums keep four float64 accumulators of four lanes each, so additions do
// not wait on one another; the maps do exactly the float32 operations of
// their Go forms, in the same order, so results are bit for bit the same.

// RUNS loads the arguments of copyRunsAVX2 and addRunsAVX2 (dst, ldd,
// src, lds, run, count): DI dst, AX its stride in bytes, SI src, BX its
// stride in bytes, DX a run's bytes, CX the runs.
#define RUNS \
	MOVQ dst+0(FP), DI;   \
	MOVQ ldd+8(FP), AX;   \
	MOVQ src+16(FP), SI;  \
	MOVQ lds+24(FP), BX;  \
	MOVQ run+32(FP), DX;  \
	MOVQ count+40(FP), CX; \
	SHLQ $2, AX;          \
	SHLQ $2, BX;          \
	SHLQ $2, DX

// SUM4PD adds the four-lane float64 accumulators a, b, c and d, in the
// order (a+b)+(c+d), and then a's lanes, leaving the sum in the low lane
// of xa (a's X register); xb (b's) is scratch.
#define SUM4PD(a, b, c, d, xa, xb) \
	VADDPD       b, a, a;   \
	VADDPD       d, c, c;   \
	VADDPD       c, a, a;   \
	VEXTRACTF128 $1, a, xb; \
	VADDPD       xb, xa, xa; \
	VHADDPD      xa, xa, xa

// func sumSquaresAVX2(v *float32, n int) (sum, sq float64)
TEXT ·sumSquaresAVX2(SB), NOSPLIT, $0-32
	MOVQ   v+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	SHRQ   $4, CX
	JZ     sqreduce

sqloop:
	VCVTPS2PD   (SI), Y8
	VCVTPS2PD   16(SI), Y9
	VCVTPS2PD   32(SI), Y10
	VCVTPS2PD   48(SI), Y11
	VADDPD      Y8, Y0, Y0
	VADDPD      Y9, Y1, Y1
	VADDPD      Y10, Y2, Y2
	VADDPD      Y11, Y3, Y3
	VFMADD231PD Y8, Y8, Y4
	VFMADD231PD Y9, Y9, Y5
	VFMADD231PD Y10, Y10, Y6
	VFMADD231PD Y11, Y11, Y7
	ADDQ        $64, SI
	DECQ        CX
	JNZ         sqloop

sqreduce:
	SUM4PD(Y0, Y1, Y2, Y3, X0, X1)
	VMOVSD       X0, sum+16(FP)
	SUM4PD(Y4, Y5, Y6, Y7, X4, X5)
	VMOVSD       X4, sq+24(FP)
	VZEROUPPER
	RET

// func sumAVX2(v *float32, n int) float64
TEXT ·sumAVX2(SB), NOSPLIT, $0-24
	MOVQ   v+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	SHRQ   $4, CX
	JZ     sreduce

sloop:
	VCVTPS2PD (SI), Y8
	VCVTPS2PD 16(SI), Y9
	VCVTPS2PD 32(SI), Y10
	VCVTPS2PD 48(SI), Y11
	VADDPD    Y8, Y0, Y0
	VADDPD    Y9, Y1, Y1
	VADDPD    Y10, Y2, Y2
	VADDPD    Y11, Y3, Y3
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sloop

sreduce:
	SUM4PD(Y0, Y1, Y2, Y3, X0, X1)
	VMOVSD       X0, ret+16(FP)
	VZEROUPPER
	RET

// func dotCentredAVX2(grad, x *float32, n int, mu float32) float64
TEXT ·dotCentredAVX2(SB), NOSPLIT, $0-40
	MOVQ         grad+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS mu+24(FP), Y15
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3
	SHRQ         $4, CX
	JZ           dreduce

dloop:
	VMOVUPS      (SI), Y8
	VMOVUPS      32(SI), Y9
	VSUBPS       Y15, Y8, Y8
	VSUBPS       Y15, Y9, Y9
	VEXTRACTF128 $1, Y8, X10
	VEXTRACTF128 $1, Y9, X11
	VCVTPS2PD    X8, Y8
	VCVTPS2PD    X10, Y10
	VCVTPS2PD    X9, Y9
	VCVTPS2PD    X11, Y11
	VCVTPS2PD    (DI), Y12
	VCVTPS2PD    16(DI), Y13
	VFMADD231PD  Y8, Y12, Y0
	VFMADD231PD  Y10, Y13, Y1
	VCVTPS2PD    32(DI), Y12
	VCVTPS2PD    48(DI), Y13
	VFMADD231PD  Y9, Y12, Y2
	VFMADD231PD  Y11, Y13, Y3
	ADDQ         $64, SI
	ADDQ         $64, DI
	DECQ         CX
	JNZ          dloop

dreduce:
	SUM4PD(Y0, Y1, Y2, Y3, X0, X1)
	VMOVSD       X0, ret+32(FP)
	VZEROUPPER
	RET

// func affineCentredAVX2(out, x *float32, n int, mu, scale, shift float32)
TEXT ·affineCentredAVX2(SB), NOSPLIT, $0-36
	MOVQ         out+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS mu+24(FP), Y13
	VBROADCASTSS scale+28(FP), Y14
	VBROADCASTSS shift+32(FP), Y15
	SHRQ         $3, CX
	JZ           adone

aloop:
	VMOVUPS (SI), Y0
	VSUBPS  Y13, Y0, Y0
	VMULPS  Y14, Y0, Y0
	VADDPS  Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     aloop

adone:
	VZEROUPPER
	RET

// func combineCentredAVX2(out, y, x *float32, n int, a, k, mu, b float32)
TEXT ·combineCentredAVX2(SB), NOSPLIT, $0-48
	MOVQ         out+0(FP), DI
	MOVQ         y+8(FP), DX
	MOVQ         x+16(FP), SI
	MOVQ         n+24(FP), CX
	VBROADCASTSS a+32(FP), Y12
	VBROADCASTSS k+36(FP), Y13
	VBROADCASTSS mu+40(FP), Y14
	VBROADCASTSS b+44(FP), Y15
	SHRQ         $3, CX
	JZ           cdone

cloop:
	VMOVUPS (DX), Y0
	VMULPS  Y12, Y0, Y0
	VMOVUPS (SI), Y1
	VSUBPS  Y14, Y1, Y1
	VMULPS  Y13, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VADDPS  Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DX
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     cloop

cdone:
	VZEROUPPER
	RET

// func reluAVX2(out, x *float32, n int)
// out = x with every element whose sign bit is set replaced by +0: the
// integer form of the Go loop, so NaNs and -0 come out as there.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   rdone

rloop:
	VMOVDQU (SI), Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y0
	VMOVDQU Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rloop

rdone:
	VZEROUPPER
	RET

// func passPositiveAVX2(out, y, grad *float32, n int)
// out = g where y > 0 (an ordered compare: false for NaN), else +0.
TEXT ·passPositiveAVX2(SB), NOSPLIT, $0-32
	MOVQ   out+0(FP), DI
	MOVQ   y+8(FP), SI
	MOVQ   grad+16(FP), DX
	MOVQ   n+24(FP), CX
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     pdone

ploop:
	VMOVUPS (SI), Y0
	VCMPPS  $0x1e, Y15, Y0, Y1
	VANDPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     ploop

pdone:
	VZEROUPPER
	RET

// func addReLUAVX2(out, a, b *float32, n int)
// out = max(a+b, 0) as Go's max: MAXPS returns its second operand, the
// sum, when that is NaN or when both are zeros, and adding +0 turns a -0
// into +0 and leaves every other value as it is.
TEXT ·addReLUAVX2(SB), NOSPLIT, $0-32
	MOVQ   out+0(FP), DI
	MOVQ   a+8(FP), SI
	MOVQ   b+16(FP), DX
	MOVQ   n+24(FP), CX
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     adddone

addloop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMAXPS  Y0, Y15, Y0
	VADDPS  Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addloop

adddone:
	VZEROUPPER
	RET

// func maxPairsAVX2(h, x *float32, n int)
// h[t] = the larger of x[2t] and x[2t+1] as int32 bit patterns, t < n:
// the even and odd elements of 16 inputs are gathered by two in-lane
// shuffles, compared, and the quadwords put back in order.
TEXT ·maxPairsAVX2(SB), NOSPLIT, $0-24
	MOVQ h+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   mpdone

mploop:
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPMAXSD Y3, Y2, Y2
	VPERMQ  $0xD8, Y2, Y2
	VMOVDQU Y2, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     mploop

mpdone:
	VZEROUPPER
	RET

// PAIRS duplicates each of the 8 floats of v into two neighbours: lo gets
// v0 v0 v1 v1 v2 v2 v3 v3, hi the rest (unpack, then the 128-bit halves
// put in order). Y2 and Y3 are scratch.
#define PAIRS(v, lo, hi) \
	VUNPCKLPS  v, v, Y2;           \
	VUNPCKHPS  v, v, Y3;           \
	VPERM2F128 $0x20, Y3, Y2, lo; \
	VPERM2F128 $0x31, Y3, Y2, hi

// ROUTE8 routes 4 pairs: 8 x from src against the pair maxima m, each
// duplicated, writes g (the pair gradients, duplicated) where x has m's
// bits and the even element of its pair does not, else 0, to dst. Y8 and
// Y9 are scratch.
#define ROUTE8(src, m, g, dst) \
	VMOVDQU  src, Y8;       \
	VPCMPEQD m, Y8, Y8;     \
	VPSLLQ   $32, Y8, Y9;   \
	VPANDN   Y8, Y9, Y8;    \
	VPAND    g, Y8, Y8;     \
	VMOVDQU  Y8, dst

// func routePairsAVX2(dx, x, h, gh *float32, n int)
// For t < n: dx[2t] = gh[t] if x[2t] has h[t]'s bits, else 0; dx[2t+1] =
// gh[t] if x[2t+1] has them and x[2t] does not, else 0. h and gh are
// duplicated into pairs (PAIRS); shifting each quadword's equality mask
// left by 32 bits moves the even element's match onto the odd one, so a
// tie goes to the even element (ROUTE8).
TEXT ·routePairsAVX2(SB), NOSPLIT, $0-40
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ h+16(FP), DX
	MOVQ gh+24(FP), BX
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	JZ   rpdone

rploop:
	VMOVDQU (DX), Y0
	VMOVDQU (BX), Y1
	PAIRS(Y0, Y4, Y5)
	PAIRS(Y1, Y6, Y7)
	ROUTE8((SI), Y4, Y6, (DI))
	ROUTE8(32(SI), Y5, Y7, 32(DI))

	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $32, DX
	ADDQ $32, BX
	DECQ CX
	JNZ  rploop

rpdone:
	VZEROUPPER
	RET

// func addIntoAVX2(out, a, b *float32, n int)
// out[i] = a[i] + b[i] for i < n, n a multiple of 8: four 8-wide adds per
// step, then one. Each block is loaded whole before it is stored, so out
// may be a or b.
TEXT ·addIntoAVX2(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX

into32:
	CMPQ    CX, $32
	JLT     into8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VADDPS  (DX), Y0, Y0
	VADDPS  32(DX), Y1, Y1
	VADDPS  64(DX), Y2, Y2
	VADDPS  96(DX), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	ADDQ    $128, DX
	SUBQ    $32, CX
	JMP     into32

into8:
	CMPQ    CX, $8
	JLT     intodone
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     into8

intodone:
	VZEROUPPER
	RET

// func copyRunsAVX2(dst *float32, ldd int, src *float32, lds, run, count int)
// The count runs of run floats (a positive multiple of 8) from src, lds
// apart, to dst, ldd apart: 32 floats a step, then 8.
TEXT ·copyRunsAVX2(SB), NOSPLIT, $0-48
	RUNS

crrun:
	XORQ R8, R8

cr32:
	LEAQ    128(R8), R9
	CMPQ    R9, DX
	JGT     cr8
	VMOVUPS (SI)(R8*1), Y0
	VMOVUPS 32(SI)(R8*1), Y1
	VMOVUPS 64(SI)(R8*1), Y2
	VMOVUPS 96(SI)(R8*1), Y3
	VMOVUPS Y0, (DI)(R8*1)
	VMOVUPS Y1, 32(DI)(R8*1)
	VMOVUPS Y2, 64(DI)(R8*1)
	VMOVUPS Y3, 96(DI)(R8*1)
	MOVQ    R9, R8
	JMP     cr32

cr8:
	CMPQ    R8, DX
	JGE     crnext
	VMOVUPS (SI)(R8*1), Y0
	VMOVUPS Y0, (DI)(R8*1)
	ADDQ    $32, R8
	JMP     cr8

crnext:
	ADDQ AX, DI
	ADDQ BX, SI
	DECQ CX
	JNZ  crrun

	VZEROUPPER
	RET

// func addRunsAVX2(dst *float32, ldd int, src *float32, lds, run, count int)
// Adds the count runs of run floats (a positive multiple of 8) from src,
// lds apart, onto dst, ldd apart, one run after the other: a run's loads
// come after the previous run's stores, so overlapping runs of dst add up
// in order, as Add called run by run does.
TEXT ·addRunsAVX2(SB), NOSPLIT, $0-48
	RUNS

arrun:
	XORQ R8, R8

ar32:
	LEAQ    128(R8), R9
	CMPQ    R9, DX
	JGT     ar8
	VMOVUPS (DI)(R8*1), Y0
	VMOVUPS 32(DI)(R8*1), Y1
	VMOVUPS 64(DI)(R8*1), Y2
	VMOVUPS 96(DI)(R8*1), Y3
	VADDPS  (SI)(R8*1), Y0, Y0
	VADDPS  32(SI)(R8*1), Y1, Y1
	VADDPS  64(SI)(R8*1), Y2, Y2
	VADDPS  96(SI)(R8*1), Y3, Y3
	VMOVUPS Y0, (DI)(R8*1)
	VMOVUPS Y1, 32(DI)(R8*1)
	VMOVUPS Y2, 64(DI)(R8*1)
	VMOVUPS Y3, 96(DI)(R8*1)
	MOVQ    R9, R8
	JMP     ar32

ar8:
	CMPQ    R8, DX
	JGE     arnext
	VMOVUPS (DI)(R8*1), Y0
	VADDPS  (SI)(R8*1), Y0, Y0
	VMOVUPS Y0, (DI)(R8*1)
	ADDQ    $32, R8
	JMP     ar8

arnext:
	ADDQ AX, DI
	ADDQ BX, SI
	DECQ CX
	JNZ  arrun

	VZEROUPPER
	RET

// func evensRowsAVX2(dst *float32, ldd int, src *float32, lds, n, rows int)
// dst[r·ldd + t] = src[r·lds + 2t] for r < rows, t < n: per row, 8
// outputs a step (the even elements of 16 inputs gathered by an in-lane
// shuffle, quadwords put back in order) while the step's 16 inputs lie
// within the row's 2n-1, then the row's last 8 outputs in one step that
// overlaps the ones before (n >= 9), or one at a time (n < 9). The scalar
// moves are VEX encoded: legacy SSE after 256-bit ops, with the upper
// halves dirty, is slow on Intel cores (not on AMD's Zen 4).
TEXT ·evensRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), AX
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), BX
	MOVQ n+32(FP), DX
	MOVQ rows+40(FP), CX
	SHLQ $2, AX
	SHLQ $2, BX
	LEAQ -1(DX), R10 // vector steps while t+8 <= n-1

errow:
	XORQ R8, R8 // t

ervec:
	LEAQ    8(R8), R9
	CMPQ    R9, R10
	JGT     erone
	VMOVUPS (SI)(R8*8), Y0
	VMOVUPS 32(SI)(R8*8), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMQ  $0xD8, Y2, Y2
	VMOVUPS Y2, (DI)(R8*4)
	MOVQ    R9, R8
	JMP     ervec

erone:
	CMPQ R8, DX
	JGE  ernext
	CMPQ DX, $9
	JLT  erscalar

	// The last 8 outputs again, from the 16 inputs that end the row at
	// 2n-2: they start at the odd 2n-17, so the evens are their odd lanes.
	VMOVUPS -68(SI)(DX*8), Y0
	VMOVUPS -36(SI)(DX*8), Y1
	VSHUFPS $0xDD, Y1, Y0, Y2
	VPERMQ  $0xD8, Y2, Y2
	VMOVUPS Y2, -32(DI)(DX*4)
	JMP     ernext

erscalar:
	VMOVSS (SI)(R8*8), X0
	VMOVSS X0, (DI)(R8*4)
	INCQ   R8
	JMP    erone

ernext:
	ADDQ AX, DI
	ADDQ BX, SI
	DECQ CX
	JNZ  errow

	VZEROUPPER
	RET
