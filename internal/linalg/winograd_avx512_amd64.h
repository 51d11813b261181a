// Code generated from winograd_amd64.h by widenWinograd (winograd_avx512_gen_test.go,
// go test -run TestWinogradAVX512Generated -update-avx512); DO NOT EDIT.
// The AVX2 kernels on ZMM registers: 16 channels a block, c a multiple of 16.

// Macros shared by the Winograd tile kernels (winograd_amd64.s,
// winograd4_amd64.s, winograd_s2_amd64.s).

// TOPLANES and FROMPLANES load the arguments of a kernel that reads a row
// of image-side tiles and writes planes, (t, plane, img, stride, c,
// tiles), or the other way round, (img, stride, t, plane, c, tiles): DI
// the first slice, SI the second, DX the bytes between planes, AX between
// image rows, BX in a pixel (c·4), R14 the tiles.
#define TOPLANES \
	MOVQ t+0(FP), DI;       \
	MOVQ plane+8(FP), DX;   \
	MOVQ img+16(FP), SI;    \
	MOVQ stride+24(FP), AX; \
	PIXELS

#define FROMPLANES \
	MOVQ img+0(FP), DI;     \
	MOVQ stride+8(FP), AX;  \
	MOVQ t+16(FP), SI;      \
	MOVQ plane+24(FP), DX;  \
	PIXELS

#define PIXELS \
	MOVQ c+32(FP), BX;      \
	MOVQ tiles+40(FP), R14; \
	SHLQ $2, DX;            \
	SHLQ $2, AX;            \
	SHLQ $2, BX

// The F(4×4) and stride-2 kernels pass a tile through a stack tile of
// 64-byte vectors.

// The stack tile: entry e at 32·e bytes.
#define TMP(e) (64*(e))(SP)

// LOAD4, LOAD5 and LOAD6 load four, five or six vectors into Z0 up.
#define LOAD4(a0, a1, a2, a3) \
	VMOVUPS a0, Z0; \
	VMOVUPS a1, Z1; \
	VMOVUPS a2, Z2; \
	VMOVUPS a3, Z3

#define LOAD5(a0, a1, a2, a3, a4) \
	LOAD4(a0, a1, a2, a3); \
	VMOVUPS a4, Z4

#define LOAD6(a0, a1, a2, a3, a4, a5) \
	LOAD5(a0, a1, a2, a3, a4); \
	VMOVUPS a5, Z5
