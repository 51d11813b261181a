// Code generated from winograd4_amd64.h by widenWinograd (winograd_avx512_gen_test.go,
// go test -run TestWinogradAVX512Generated -update-avx512); DO NOT EDIT.
// The AVX2 kernels on ZMM registers: 16 channels a block, c a multiple of 16.

// Macros of the F(4×4) tile kernels (winograd4_amd64.s) that the fused
// pooling kernels (winograd4_pool_amd64.s) share: the 1-D output
// transform and its adjoint, and the passes built on them that read the
// planes or write them.

// FOUR sets Z15 to 4.0 (0x40800000) in every lane.
#define FOUR \
	MOVL         $0x40800000, R9; \
	VMOVD        R9, X15;         \
	VPBROADCASTD X15, Z15

// OUT1D is winograd4Out: Aᵀ m of m = Z0-Z5 into Z8-Z11 (Z6, Z7, Z12,
// Z13 clobbered).
#define OUT1D \
	VADDPS Z2, Z1, Z6;    \
	VSUBPS Z2, Z1, Z7;    \
	VADDPS Z4, Z3, Z12;   \
	VSUBPS Z4, Z3, Z13;   \
	VADDPS Z6, Z0, Z8;    \
	VADDPS Z12, Z8, Z8;   \
	VADDPS Z13, Z13, Z9;  \
	VADDPS Z9, Z7, Z9;    \
	VMULPS Z15, Z12, Z10; \
	VADDPS Z10, Z6, Z10;  \
	VMULPS Z15, Z13, Z11; \
	VADDPS Z11, Z11, Z11; \
	VADDPS Z11, Z7, Z11;  \
	VADDPS Z5, Z11, Z11

// OUTCOL transforms column j of the planes (column pointer R9, plane j)
// into column j of the stack tile (entries 6r+j), and moves R9 to the
// next plane.
#define OUTCOL(j) \
	LEAQ (R9)(R13*2), R12; \
	ADDQ R13, R12; \
	LOAD6((R9), (R9)(R13*1), (R9)(R13*2), (R12), (R12)(R13*1), (R12)(R13*2)); \
	OUT1D; \
	VMOVUPS Z8, TMP(j); \
	VMOVUPS Z9, TMP(6+j); \
	VMOVUPS Z10, TMP(12+j); \
	VMOVUPS Z11, TMP(18+j); \
	ADDQ DX, R9

// OUTCOLS transforms the six columns of the planes at SI into the stack
// tile (R9 and R12 clobbered).
#define OUTCOLS \
	MOVQ SI, R9; \
	OUTCOL(0);   \
	OUTCOL(1);   \
	OUTCOL(2);   \
	OUTCOL(3);   \
	OUTCOL(4);   \
	OUTCOL(5)

// OUTGRAD1D is winograd4OutGrad: A g of g = Z0-Z3 into Z0, Z8-Z11, Z3
// (Z4-Z7 clobbered).
#define OUTGRAD1D \
	VADDPS Z2, Z0, Z4;   \
	VADDPS Z3, Z1, Z5;   \
	VMULPS Z15, Z2, Z6;  \
	VADDPS Z6, Z0, Z6;   \
	VMULPS Z15, Z3, Z7;  \
	VADDPS Z7, Z1, Z7;   \
	VADDPS Z7, Z7, Z7;   \
	VADDPS Z5, Z4, Z8;   \
	VSUBPS Z5, Z4, Z9;   \
	VADDPS Z7, Z6, Z10;  \
	VSUBPS Z7, Z6, Z11

// TOTMP stores column s of A g, from OUTGRAD1D, into the stack tile
// (entries 4i+s).
#define TOTMP(s) \
	VMOVUPS Z0, TMP(s);     \
	VMOVUPS Z8, TMP(4+s);   \
	VMOVUPS Z9, TMP(8+s);   \
	VMOVUPS Z10, TMP(12+s); \
	VMOVUPS Z11, TMP(16+s); \
	VMOVUPS Z3, TMP(20+s)

// OGCOL transforms column s of the gradient tile (column pointer R9)
// into column s of the stack tile (entries 4i+s), and moves R9 on.
#define OGCOL(s) \
	LEAQ (R9)(AX*1), R12; \
	LOAD4((R9), (R12), (R9)(AX*2), (R12)(AX*2)); \
	OUTGRAD1D; \
	TOTMP(s); \
	ADDQ BX, R9

// OGROW transforms row i of the stack tile into planes 6i to 6i+5 (row
// pointer R12) and moves R12 on.
#define OGROW(i) \
	LOAD4(TMP(4*i), TMP(4*i+1), TMP(4*i+2), TMP(4*i+3)); \
	OUTGRAD1D; \
	VMOVUPS Z0, (R12); \
	VMOVUPS Z8, (R12)(DX*1); \
	VMOVUPS Z9, (R12)(DX*2); \
	VMOVUPS Z10, (R12)(R10*1); \
	VMOVUPS Z11, (R12)(DX*4); \
	VMOVUPS Z3, (R12)(R11*1); \
	ADDQ R13, R12

// OGROWS transforms the six rows of the stack tile into the planes at DI
// (R12 clobbered).
#define OGROWS \
	MOVQ DI, R12; \
	OGROW(0);     \
	OGROW(1);     \
	OGROW(2);     \
	OGROW(3);     \
	OGROW(4);     \
	OGROW(5)
