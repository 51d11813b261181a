// Macros of the F(4×4) tile kernels (winograd4_amd64.s) that the fused
// pooling kernels (winograd4_pool_amd64.s) share: the 1-D output
// transform and its adjoint, and the passes built on them that read the
// planes or write them.

// FOUR sets Y15 to 4.0 (0x40800000) in every lane.
#define FOUR \
	MOVL         $0x40800000, R9; \
	VMOVD        R9, X15;         \
	VPBROADCASTD X15, Y15

// OUT1D is winograd4Out: Aᵀ m of m = Y0-Y5 into Y8-Y11 (Y6, Y7, Y12,
// Y13 clobbered).
#define OUT1D \
	VADDPS Y2, Y1, Y6;    \
	VSUBPS Y2, Y1, Y7;    \
	VADDPS Y4, Y3, Y12;   \
	VSUBPS Y4, Y3, Y13;   \
	VADDPS Y6, Y0, Y8;    \
	VADDPS Y12, Y8, Y8;   \
	VADDPS Y13, Y13, Y9;  \
	VADDPS Y9, Y7, Y9;    \
	VMULPS Y15, Y12, Y10; \
	VADDPS Y10, Y6, Y10;  \
	VMULPS Y15, Y13, Y11; \
	VADDPS Y11, Y11, Y11; \
	VADDPS Y11, Y7, Y11;  \
	VADDPS Y5, Y11, Y11

// OUTCOL transforms column j of the planes (column pointer R9, plane j)
// into column j of the stack tile (entries 6r+j), and moves R9 to the
// next plane.
#define OUTCOL(j) \
	LEAQ (R9)(R13*2), R12; \
	ADDQ R13, R12; \
	LOAD6((R9), (R9)(R13*1), (R9)(R13*2), (R12), (R12)(R13*1), (R12)(R13*2)); \
	OUT1D; \
	VMOVUPS Y8, TMP(j); \
	VMOVUPS Y9, TMP(6+j); \
	VMOVUPS Y10, TMP(12+j); \
	VMOVUPS Y11, TMP(18+j); \
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

// OUTGRAD1D is winograd4OutGrad: A g of g = Y0-Y3 into Y0, Y8-Y11, Y3
// (Y4-Y7 clobbered).
#define OUTGRAD1D \
	VADDPS Y2, Y0, Y4;   \
	VADDPS Y3, Y1, Y5;   \
	VMULPS Y15, Y2, Y6;  \
	VADDPS Y6, Y0, Y6;   \
	VMULPS Y15, Y3, Y7;  \
	VADDPS Y7, Y1, Y7;   \
	VADDPS Y7, Y7, Y7;   \
	VADDPS Y5, Y4, Y8;   \
	VSUBPS Y5, Y4, Y9;   \
	VADDPS Y7, Y6, Y10;  \
	VSUBPS Y7, Y6, Y11

// TOTMP stores column s of A g, from OUTGRAD1D, into the stack tile
// (entries 4i+s).
#define TOTMP(s) \
	VMOVUPS Y0, TMP(s);     \
	VMOVUPS Y8, TMP(4+s);   \
	VMOVUPS Y9, TMP(8+s);   \
	VMOVUPS Y10, TMP(12+s); \
	VMOVUPS Y11, TMP(16+s); \
	VMOVUPS Y3, TMP(20+s)

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
	VMOVUPS Y0, (R12); \
	VMOVUPS Y8, (R12)(DX*1); \
	VMOVUPS Y9, (R12)(DX*2); \
	VMOVUPS Y10, (R12)(R10*1); \
	VMOVUPS Y11, (R12)(DX*4); \
	VMOVUPS Y3, (R12)(R11*1); \
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
