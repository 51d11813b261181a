//go:build amd64 && !purego

package linalg

// The tile kernels of winograd_amd64.s, on tiles > 0 tiles of c channels,
// c a positive multiple of 8 (tileRow.check and rowsAsm see to both);
// plane and stride are in floats, as in the Go forms.

//go:noescape
func winogradInputAVX2(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winogradOutputAVX2(img *float32, stride int, t *float32, plane, c, tiles int)

//go:noescape
func winogradOutputGradAVX2(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winogradInputGradAVX2(img *float32, stride int, t *float32, plane, c, tiles int)

// The F(4×4, 3×3) kernels of winograd4_amd64.s, on the same terms.

//go:noescape
func winograd4InputAVX2(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winograd4OutputAVX2(img *float32, stride int, t *float32, plane, c, tiles int)

//go:noescape
func winograd4OutputGradAVX2(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winograd4InputGradAVX2(img *float32, stride int, t *float32, plane, c, tiles int)

// The stride-2 kernels of winograd_s2_amd64.s, on the same terms.

//go:noescape
func winogradS2InputAVX2(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winogradS2OutputAVX2(img *float32, stride int, t *float32, plane, c, tiles int)

//go:noescape
func winogradS2OutputGradAVX2(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winogradS2InputGradAVX2(img *float32, stride int, t *float32, plane, c, tiles int)

// The AVX-512 twins of all twelve (generated: winograd_avx512_gen_test.go),
// on c a positive multiple of 16.

//go:noescape
func winogradInputAVX512(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winogradOutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int)

//go:noescape
func winogradOutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winogradInputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int)

//go:noescape
func winograd4InputAVX512(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winograd4OutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int)

//go:noescape
func winograd4OutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winograd4InputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int)

//go:noescape
func winogradS2InputAVX512(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winogradS2OutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int)

//go:noescape
func winogradS2OutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int)

//go:noescape
func winogradS2InputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int)

// The fused F(4×4) and pooling kernels of winograd4_pool_amd64.s, AVX-512
// only, on c a positive multiple of 16 and the terms of winograd4_pool.go;
// tail is 2·tiles - pixels.

//go:noescape
func winograd4OutputPoolAVX512(y *float32, arg *uint8, stride int, t *float32, plane, c, tiles, tail, rows int)

//go:noescape
func winograd4OutputGradPoolAVX512(t *float32, plane int, dy *float32, arg *uint8, stride, c, tiles, tail, rows int)
