// Zeroing of the upper AVX-512 registers, which the GEMM kernels
// (kernel_amd64.s) zero as accumulators and, with the fused Winograd
// pooling kernels (winograd4_pool_amd64.s), before they return: VZEROUPPER
// leaves Z16-Z31 as they are, and some cores run slower while any of
// them holds nonzero upper bits.

// ZERO16 zeroes Z16-Z23.
#define ZERO16 \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23

// ZERO32 zeroes Z16-Z31.
#define ZERO32 \
	ZERO16; \
	VPXORD Z24, Z24, Z24; \
	VPXORD Z25, Z25, Z25; \
	VPXORD Z26, Z26, Z26; \
	VPXORD Z27, Z27, Z27; \
	VPXORD Z28, Z28, Z28; \
	VPXORD Z29, Z29, Z29; \
	VPXORD Z30, Z30, Z30; \
	VPXORD Z31, Z31, Z31

// ZERO8TO15 zeroes Z8-Z15, accumulators below Z16.
#define ZERO8TO15 \
	VPXORD Z8, Z8, Z8;    \
	VPXORD Z9, Z9, Z9;    \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15
