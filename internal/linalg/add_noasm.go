//go:build !amd64 || purego

package linalg

func add(dst, src []float32) { addGo(dst, src) }
