// The ReLU and 2×2 max pooling that keeps window positions, on one
// window's four keys: reluMaxPool2x2RowsArgAVX2 and ...AVX512
// (pool_amd64.s) and the kernels that compute the window themselves
// (winograd4_pool_amd64.s, products_pool_amd64.s) all pool through these
// macros, so that all give the same bits. The keys are the floats' bit
// patterns, compared as signed integers: after the ReLU only positive
// maxima matter, and those order as their floats do.

// POSITIONS04 sets d0-d4 to 0, 1, 2, 3 and 4 in every dword: the window
// positions.
#define POSITIONS04(d0, d1, d2, d3, d4) \
	VPXORD     d0, d0, d0;       \
	VPTERNLOGD $0xff, d4, d4, d4; \
	VPSRLD     $31, d4, d1;      \
	VPADDD     d1, d1, d2;       \
	VPADDD     d1, d2, d3;       \
	VPADDD     d2, d2, d4

// RELUPOOLARG (AVX-512, 16 channels) writes the ReLU of the window (tl,
// tr, bl, br; br may be in memory)'s largest key to y and its position as
// bytes to a: the position starts at 3 and is overwritten with 2, 1 and 0
// where the third, second and first key is the maximum, in that order,
// then with 4 where y > 0 fails. d0-d4 hold POSITIONS04's values, key and
// pos are scratch, and k1-k4 are clobbered.
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

// RELUPOOLARG2 is RELUPOOLARG in AVX2 (8 channels, 8 bytes to a). With e_p
// the equality masks (all ones or zero) and a_p = not e_0 and ... and not
// e_p, the first position is -(a_0 + a_1 + a_2); its dwords are packed to
// bytes through words (no value exceeds 4, so neither pack saturates).
// zero, ones and four hold 0, all ones and 4 in every dword; key and a0-a2
// are scratch, a0x and a1x the X forms of a0 and a1.
#define RELUPOOLARG2(tl, tr, bl, br, y, a, zero, ones, four, key, a0, a1, a2, a0x, a1x) \
	VPMAXSD      tr, tl, key;         \
	VPMAXSD      br, bl, a0;          \
	VPMAXSD      a0, key, key;        \
	VPCMPEQD     key, tl, a0;         \
	VPANDN       ones, a0, a0;        \
	VPCMPEQD     key, tr, a1;         \
	VPANDN       a0, a1, a1;          \
	VPCMPEQD     key, bl, a2;         \
	VPANDN       a1, a2, a2;          \
	VPADDD       a1, a0, a0;          \
	VPADDD       a2, a0, a0;          \
	VPSUBD       a0, zero, a0;        \
	VPMAXSD      zero, key, key;      \
	VMOVDQU      key, y;              \
	VCMPPS       $0x1e, zero, key, a1; \
	VPAND        a1, a0, a0;          \
	VPANDN       four, a1, a1;        \
	VPOR         a1, a0, a0;          \
	VEXTRACTI128 $1, a0, a1x;         \
	VPACKUSDW    a1x, a0x, a0x;       \
	VPACKUSWB    a0x, a0x, a0x;       \
	VMOVQ        a0x, a
