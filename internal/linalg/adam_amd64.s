//go:build amd64 && !purego

#include "textflag.h"

// func adamStepAVX2(p, grad, m, v *float32, n int, k AdamCoef)
// One Adam step on 8 elements at a time, n a positive multiple of 8 (the
// Go wrapper in adam.go sees to it). Each operation of adamStepGo is one
// instruction here, in the same order and without FMA, and VSQRTPS is
// the correctly rounded square root that sqrt32 computes through float64,
// so every lane rounds as the Go form does and the two agree to the bit:
//
//	mi = (B1·m) + (C1·g)
//	vi = (B2·v) + ((C2·g)·g)
//	m, v = mi, vi
//	d = (sqrt(vi)·Sc2) + Eps
//	p = p - ((Step·mi) / d)
//
// The loads and stores of an element come in the Go form's order too (g,
// m, v read; m, v written; p read and written), so even where p, m and v
// are one slice the bits agree. The coefficients are broadcast into
// Y9..Y15 once; BX is the byte offset of the current 8 elements. (grad,
// not g: g names a register to the assembler.)
TEXT ·adamStepAVX2(SB), NOSPLIT, $0-68
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), R8
	MOVQ         v+24(FP), R9
	MOVQ         n+32(FP), AX
	VBROADCASTSS k_B1+40(FP), Y9
	VBROADCASTSS k_C1+44(FP), Y10
	VBROADCASTSS k_B2+48(FP), Y11
	VBROADCASTSS k_C2+52(FP), Y12
	VBROADCASTSS k_Step+56(FP), Y13
	VBROADCASTSS k_Sc2+60(FP), Y14
	VBROADCASTSS k_Eps+64(FP), Y15
	SHLQ         $2, AX               // bytes
	XORQ         BX, BX
	TESTQ        AX, AX
	JZ           done

loop:
	VMOVUPS (SI)(BX*1), Y0        // g
	VMULPS  (R8)(BX*1), Y9, Y1    // B1·m
	VMULPS  Y0, Y10, Y2           // C1·g
	VADDPS  Y2, Y1, Y1            // mi
	VMULPS  (R9)(BX*1), Y11, Y3   // B2·v
	VMULPS  Y0, Y12, Y4           // C2·g
	VMULPS  Y0, Y4, Y4            // (C2·g)·g
	VADDPS  Y4, Y3, Y3            // vi
	VMOVUPS Y1, (R8)(BX*1)
	VMOVUPS Y3, (R9)(BX*1)
	VSQRTPS Y3, Y3                // sqrt(vi)
	VMULPS  Y14, Y3, Y3           // sqrt(vi)·Sc2
	VADDPS  Y15, Y3, Y3           // d
	VMULPS  Y1, Y13, Y1           // Step·mi
	VDIVPS  Y3, Y1, Y1            // (Step·mi) / d
	VMOVUPS (DI)(BX*1), Y5        // p
	VSUBPS  Y1, Y5, Y5            // p - (Step·mi)/d
	VMOVUPS Y5, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, AX
	JNE     loop

done:
	VZEROUPPER
	RET
