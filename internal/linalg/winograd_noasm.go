//go:build !amd64 || purego

package linalg

func winogradInputAVX2(v *float32, plane int, d *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradOutputAVX2(y *float32, stride int, m *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradOutputGradAVX2(dm *float32, plane int, dy *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradInputGradAVX2(dd *float32, stride int, dv *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winograd4InputAVX2(v *float32, plane int, d *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winograd4OutputAVX2(y *float32, stride int, m *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winograd4OutputGradAVX2(dm *float32, plane int, dy *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winograd4InputGradAVX2(dd *float32, stride int, dv *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradS2InputAVX2(v *float32, plane int, d *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradS2OutputAVX2(y *float32, stride int, m *float32, plane, c, tiles int) {
	panic("no assembly")
}

func winogradS2OutputGradAVX2(dm *float32, plane int, dy *float32, stride, c, tiles int) {
	panic("no assembly")
}

func winogradS2InputGradAVX2(dd *float32, stride int, dv *float32, plane, c, tiles int) {
	panic("no assembly")
}
