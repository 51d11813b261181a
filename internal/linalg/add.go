package linalg

// Add adds src to dst element by element: dst[i] += src[i] for every i of
// src. It panics if dst is shorter than src. Folding unfolded columns back
// onto an image (the adjoint of im2col) is this on runs of a few hundred
// floats, where the compiler's scalar loop leaves most of a vector unit
// idle.
func Add(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	_ = dst[len(src)-1]
	add(dst, src)
}

func addGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}
