//go:build amd64 && !purego

#include "textflag.h"
#include "pool_amd64.h"

// ReLU and 2×2 max pooling of channels-last rows, and its adjoint through
// the window positions, as in pool.go: pixels > 0 output pixels of c
// channels, c a positive multiple of 8 (the Go wrappers see to both), so
// a pixel is whole vectors. Each walks the output row a pixel at a time
// and a pixel 8 channels at a time: AX is the bytes in a pixel, BX the
// byte offset of 8 channels in it and R8 = BX + AX the same channels in
// the right-hand pixel of the window. SI and DX point at the window's
// left pixel in the top and bottom rows (DI and R11 at the same place in
// their gradients), stepping two pixels at a time; y and dy step one.
// Y15 is zero.
//
// The floats are compared as int32 bit patterns, as in the Go forms and
// in maxPairsAVX2 and routePairsAVX2: VPMAXSD is the int32 max of the
// keys, and max with 0 is ReLU's sign mask (a key with the sign bit set
// is negative); VPCMPEQD is the equality of bits. y > 0 is the ordered
// VCMPPS of passPositiveAVX2 (false for NaN), as the Go form's float
// compare. Nothing rounds, and every output element is a selected value's
// bits or all zeros, so the kernels agree with their Go forms to the bit.

// func reluMaxPool2x2RowsAVX2(y, top, bottom *float32, pixels, c int)
// y = max(top left, top right, bottom left, bottom right, 0) as int32.
TEXT ·reluMaxPool2x2RowsAVX2(SB), NOSPLIT, $0-40
	MOVQ  y+0(FP), DI
	MOVQ  top+8(FP), SI
	MOVQ  bottom+16(FP), DX
	MOVQ  pixels+24(FP), CX
	MOVQ  c+32(FP), AX
	SHLQ  $2, AX          // bytes in a pixel
	VPXOR Y15, Y15, Y15
	TESTQ CX, CX
	JZ    fdone

fpix:
	XORQ BX, BX

fcol:
	LEAQ    (BX)(AX*1), R8
	VMOVDQU (SI)(BX*1), Y0
	VPMAXSD (SI)(R8*1), Y0, Y0
	VMOVDQU (DX)(BX*1), Y1
	VPMAXSD (DX)(R8*1), Y1, Y1
	VPMAXSD Y1, Y0, Y0
	VPMAXSD Y15, Y0, Y0         // the ReLU
	VMOVDQU Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, AX
	JNE     fcol

	LEAQ (SI)(AX*2), SI
	LEAQ (DX)(AX*2), DX
	ADDQ AX, DI
	DECQ CX
	JNZ  fpix

fdone:
	VZEROUPPER
	RET

// func reluMaxPool2x2RowsArgAVX2(y *float32, arg *uint8, top, bottom *float32, pixels, c int)
// As reluMaxPool2x2RowsAVX2, and arg = the window position (0 to 3,
// row-major) of the first key equal to the maximum, or 4 where y > 0
// fails (the ordered compare of passPositiveAVX2), as RELUPOOLARG2
// (pool_amd64.h) takes them. R9 steps 8 bytes for every 8 channels. Y15
// is 0, Y14 all ones, Y13 all 4.
TEXT ·reluMaxPool2x2RowsArgAVX2(SB), NOSPLIT, $0-48
	MOVQ     y+0(FP), DI
	MOVQ     arg+8(FP), R9
	MOVQ     top+16(FP), SI
	MOVQ     bottom+24(FP), DX
	MOVQ     pixels+32(FP), CX
	MOVQ     c+40(FP), AX
	SHLQ     $2, AX
	VPXOR    Y15, Y15, Y15
	VPCMPEQD Y14, Y14, Y14
	VPSRLD   $31, Y14, Y13
	VPSLLD   $2, Y13, Y13
	TESTQ    CX, CX
	JZ       adone

apix:
	XORQ BX, BX

acol:
	LEAQ         (BX)(AX*1), R8
	VMOVDQU      (SI)(BX*1), Y0 // top left
	VMOVDQU      (SI)(R8*1), Y1 // top right
	VMOVDQU      (DX)(BX*1), Y2 // bottom left
	RELUPOOLARG2(Y0, Y1, Y2, (DX)(R8*1), (DI)(BX*1), (R9), Y15, Y14, Y13, Y4, Y5, Y6, Y7, X5, X6)
	ADDQ         $8, R9
	ADDQ         $32, BX
	CMPQ         BX, AX
	JNE          acol

	LEAQ (SI)(AX*2), SI
	LEAQ (DX)(AX*2), DX
	ADDQ AX, DI
	DECQ CX
	JNZ  apix

adone:
	VZEROUPPER
	RET

// func reluMaxPool2x2RowsArgGradAVX2(dtop, dbottom *float32, arg *uint8, dy *float32, pixels, c int)
// dy goes to the window position arg names and +0 to the other three (to
// all four where arg is 4): arg's bytes widened to dwords (VPMOVZXBD) and
// compared with 0 (Y15), 1 (Y13), 2 (Y12) and 3 (Y11).
TEXT ·reluMaxPool2x2RowsArgGradAVX2(SB), NOSPLIT, $0-48
	MOVQ     dtop+0(FP), DI
	MOVQ     dbottom+8(FP), R11
	MOVQ     arg+16(FP), R12
	MOVQ     dy+24(FP), R10
	MOVQ     pixels+32(FP), CX
	MOVQ     c+40(FP), AX
	SHLQ     $2, AX
	VPXOR    Y15, Y15, Y15
	VPCMPEQD Y14, Y14, Y14
	VPSRLD   $31, Y14, Y13
	VPADDD   Y13, Y13, Y12
	VPADDD   Y13, Y12, Y11
	TESTQ    CX, CX
	JZ       bdone

bpix:
	XORQ BX, BX

bcol:
	LEAQ      (BX)(AX*1), R8
	VMOVDQU   (R10)(BX*1), Y1 // dy
	VPMOVZXBD (R12), Y2
	VPCMPEQD  Y15, Y2, Y3
	VPAND     Y1, Y3, Y3
	VMOVDQU   Y3, (DI)(BX*1)
	VPCMPEQD  Y13, Y2, Y3
	VPAND     Y1, Y3, Y3
	VMOVDQU   Y3, (DI)(R8*1)
	VPCMPEQD  Y12, Y2, Y3
	VPAND     Y1, Y3, Y3
	VMOVDQU   Y3, (R11)(BX*1)
	VPCMPEQD  Y11, Y2, Y3
	VPAND     Y1, Y3, Y3
	VMOVDQU   Y3, (R11)(R8*1)
	ADDQ      $8, R12
	ADDQ      $32, BX
	CMPQ      BX, AX
	JNE       bcol

	LEAQ (DI)(AX*2), DI
	LEAQ (R11)(AX*2), R11
	ADDQ AX, R10
	DECQ CX
	JNZ  bpix

bdone:
	VZEROUPPER
	RET

// func reluMaxPool2x2RowsArgAVX512(y *float32, arg *uint8, top, bottom *float32, pixels, c int)
// reluMaxPool2x2RowsArgAVX2 on 16 channels a step, with the equality
// masks in K registers (RELUPOOLARG, pool_amd64.h). Z15 is 0, Z10 to Z13
// are 1 to 4.
TEXT ·reluMaxPool2x2RowsArgAVX512(SB), NOSPLIT, $0-48
	MOVQ       y+0(FP), DI
	MOVQ       arg+8(FP), R9
	MOVQ       top+16(FP), SI
	MOVQ       bottom+24(FP), DX
	MOVQ       pixels+32(FP), CX
	MOVQ       c+40(FP), AX
	SHLQ       $2, AX
	POSITIONS04(Z15, Z10, Z11, Z12, Z13)
	TESTQ      CX, CX
	JZ         wadone

wapix:
	XORQ BX, BX

wacol:
	LEAQ      (BX)(AX*1), R8
	VMOVDQU32 (SI)(BX*1), Z0 // top left
	VMOVDQU32 (SI)(R8*1), Z1 // top right
	VMOVDQU32 (DX)(BX*1), Z2 // bottom left
	RELUPOOLARG(Z0, Z1, Z2, (DX)(R8*1), (DI)(BX*1), (R9), Z15, Z10, Z11, Z12, Z13, Z4, Z5, K1, K2, K3, K4)
	ADDQ      $16, R9
	ADDQ      $64, BX
	CMPQ      BX, AX
	JNE       wacol

	LEAQ (SI)(AX*2), SI
	LEAQ (DX)(AX*2), DX
	ADDQ AX, DI
	DECQ CX
	JNZ  wapix

wadone:
	VZEROUPPER
	RET

// func reluMaxPool2x2RowsArgGradAVX512(dtop, dbottom *float32, arg *uint8, dy *float32, pixels, c int)
// reluMaxPool2x2RowsArgGradAVX2 on 16 channels a step: arg's bytes
// widened to dwords and compared with 0 to 3 into K1 to K4, and dy moved
// under each mask with the other lanes zeroed (+0).
TEXT ·reluMaxPool2x2RowsArgGradAVX512(SB), NOSPLIT, $0-48
	MOVQ       dtop+0(FP), DI
	MOVQ       dbottom+8(FP), R11
	MOVQ       arg+16(FP), R12
	MOVQ       dy+24(FP), R10
	MOVQ       pixels+32(FP), CX
	MOVQ       c+40(FP), AX
	SHLQ       $2, AX
	VPXORD     Z15, Z15, Z15
	VPTERNLOGD $0xff, Z14, Z14, Z14
	VPSRLD     $31, Z14, Z10
	VPADDD     Z10, Z10, Z11
	VPADDD     Z10, Z11, Z12
	TESTQ      CX, CX
	JZ         wbdone

wbpix:
	XORQ BX, BX

wbcol:
	LEAQ        (BX)(AX*1), R8
	VMOVDQU32   (R10)(BX*1), Z1 // dy
	VPMOVZXBD   (R12), Z2
	VPCMPEQD    Z15, Z2, K1
	VPCMPEQD    Z10, Z2, K2
	VPCMPEQD    Z11, Z2, K3
	VPCMPEQD    Z12, Z2, K4
	VMOVDQA32.Z Z1, K1, Z3
	VMOVDQU32   Z3, (DI)(BX*1)
	VMOVDQA32.Z Z1, K2, Z4
	VMOVDQU32   Z4, (DI)(R8*1)
	VMOVDQA32.Z Z1, K3, Z5
	VMOVDQU32   Z5, (R11)(BX*1)
	VMOVDQA32.Z Z1, K4, Z6
	VMOVDQU32   Z6, (R11)(R8*1)
	ADDQ        $16, R12
	ADDQ        $64, BX
	CMPQ        BX, AX
	JNE         wbcol

	LEAQ (DI)(AX*2), DI
	LEAQ (R11)(AX*2), R11
	ADDQ AX, R10
	DECQ CX
	JNZ  wbpix

wbdone:
	VZEROUPPER
	RET
