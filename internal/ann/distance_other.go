//go:build !amd64 || purego

package ann

// l2sq is the squared Euclidean distance; without assembly, l2sqGo.
func l2sq(a, b []float32) float32 { return l2sqGo(a, b) }
