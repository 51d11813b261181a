//go:build !amd64 || purego

package linalg

func adamStepAVX2(p, grad, m, v *float32, n int, k AdamCoef) { panic("no assembly") }
