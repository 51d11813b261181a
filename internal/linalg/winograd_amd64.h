// Macros shared by the F(4×4) and stride-2 Winograd tile kernels
// (winograd4_amd64.s, winograd_s2_amd64.s), which pass a tile through a
// stack tile of 32-byte vectors.

// The stack tile: entry e at 32·e bytes.
#define TMP(e) (32*(e))(SP)

// LOAD4, LOAD5 and LOAD6 load four, five or six vectors into Y0 up.
#define LOAD4(a0, a1, a2, a3) \
	VMOVUPS a0, Y0; \
	VMOVUPS a1, Y1; \
	VMOVUPS a2, Y2; \
	VMOVUPS a3, Y3

#define LOAD5(a0, a1, a2, a3, a4) \
	LOAD4(a0, a1, a2, a3); \
	VMOVUPS a4, Y4

#define LOAD6(a0, a1, a2, a3, a4, a5) \
	LOAD5(a0, a1, a2, a3, a4); \
	VMOVUPS a5, Y5
