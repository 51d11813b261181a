//go:build amd64 && !purego

package linalg

// adamStepAVX2 is AdamStep on n elements of p, grad, m and v, n a positive
// multiple of 8 (adam_amd64.s).
//
//go:noescape
func adamStepAVX2(p, grad, m, v *float32, n int, k AdamCoef)
