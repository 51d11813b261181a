//go:build !amd64 || purego

package linalg

func winogradInputAVX2(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradOutputAVX2(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradOutputGradAVX2(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradInputGradAVX2(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winograd4InputAVX2(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winograd4OutputAVX2(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winograd4OutputGradAVX2(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winograd4InputGradAVX2(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradS2InputAVX2(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradS2OutputAVX2(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradS2OutputGradAVX2(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradS2InputGradAVX2(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradInputAVX512(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradOutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradOutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradInputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winograd4InputAVX512(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winograd4OutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winograd4OutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winograd4InputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradS2InputAVX512(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradS2OutputAVX512(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradS2OutputGradAVX512(t *float32, plane int, img *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradS2InputGradAVX512(img *float32, stride int, t *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winograd4OutputPoolAVX512(y *float32, arg *uint8, stride int, t *float32, plane, c, tiles, tail, rows int) {
	panic("no assembly")
}

func winograd4OutputGradPoolAVX512(t *float32, plane int, dy *float32, arg *uint8, stride, c, tiles, tail, rows int) {
	panic("no assembly")
}
