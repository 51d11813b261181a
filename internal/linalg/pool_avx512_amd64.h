// The ReLU and 2×2 max pooling that keeps window positions, on a window
// already in registers: reluMaxPool2x2RowsArgAVX512's steps (pool_amd64.s)
// for the kernels that compute the window themselves
// (winograd4_pool_amd64.s, products_pool_amd64.s), so that all give the
// same bits.

// POSITIONS04 sets d0-d4 to 0, 1, 2, 3 and 4 in every dword: the window
// positions as pool_amd64.s makes them.
#define POSITIONS04(d0, d1, d2, d3, d4) \
	VPXORD     d0, d0, d0;       \
	VPTERNLOGD $0xff, d4, d4, d4; \
	VPSRLD     $31, d4, d1;      \
	VPADDD     d1, d1, d2;       \
	VPADDD     d1, d2, d3;       \
	VPADDD     d2, d2, d4

// RELUPOOLARG writes the ReLU of the window (tl, tr, bl, br)'s largest key
// to y and its position, 0-3 or 4 where that is not > 0, as bytes to a;
// d0-d4 hold POSITIONS04's values, key and pos are scratch, and k1-k4 are
// clobbered.
#define RELUPOOLARG(tl, tr, bl, br, y, a, d0, d1, d2, d3, d4, key, pos, k1, k2, k3, k4) \
	VPMAXSD   tr, tl, key;         \
	VPMAXSD   br, bl, pos;         \
	VPMAXSD   pos, key, key;       \
	VPCMPEQD  key, tl, k1;         \
	VPCMPEQD  key, tr, k2;         \
	VPCMPEQD  key, bl, k3;         \
	VMOVDQA32 d3, pos;             \
	VMOVDQA32 d2, k3, pos;         \
	VMOVDQA32 d1, k2, pos;         \
	VMOVDQA32 d0, k1, pos;         \
	VPMAXSD   d0, key, key;        \
	VMOVDQU32 key, y;              \
	VCMPPS    $0x1e, d0, key, k4;  \
	KNOTW     k4, k4;              \
	VMOVDQA32 d4, k4, pos;         \
	VPMOVDB   pos, a
