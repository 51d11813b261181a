package linalg

// packAPanel copies rows [i0, i0+rows) × columns [p0, p0+kc) of op(A) into
// dst as a k-major panel of height mr: element (i, p) at dst[p*mr+i], with
// rows from rows to mr zero, so that an edge panel runs through the
// full-height kernel on well-defined numbers (its extra rows are computed
// and dropped).
func packAPanel(dst []float32, transA bool, a []float32, lda, i0, rows, p0, kc, mr int) {
	dst = dst[:kc*mr]
	if transA {
		// op(A) = Aᵀ is already k-major: copy a row segment per step.
		// The segments are a few floats: one memclr of the whole panel
		// costs less than a call per step to clear its last lanes.
		if rows < mr {
			clear(dst)
		}
		for p := 0; p < kc; p++ {
			copy(dst[p*mr:][:rows], a[(p0+p)*lda+i0:])
		}
		return
	}
	if rows < mr {
		clear(dst)
	}
	for i := 0; i < rows; i++ {
		src := a[(i0+i)*lda+p0:][:kc]
		for p, v := range src {
			dst[p*mr+i] = v
		}
	}
}

// packBPanel copies rows [p0, p0+kc) × columns [j0, j0+cols) of op(B) into
// dst as a k-major panel of width w: element (p, j) at dst[p*w+j], with
// columns from cols to w zero.
func (ks *kernelSet) packBPanel(dst []float32, transB bool, b []float32, ldb, p0, kc, j0, cols, w int) {
	dst = dst[:kc*w]
	if !transB {
		for p := 0; p < kc; p++ {
			d := dst[p*w : p*w+w]
			copy(d[:cols], b[(p0+p)*ldb+j0:])
			clear(d[cols:])
		}
		return
	}
	// op(B) = Bᵀ: column j of the panel is row j0+j of B. The bulk goes
	// through the 8×8 block transpose, the ragged right and bottom edges
	// element by element.
	if cols < w {
		clear(dst) // one memclr beats clearing a few lanes per row
	}
	cols8, kc8 := 0, 0
	if ks.transpose != nil {
		cols8, kc8 = cols&^7, kc&^7
		ks.transpose(dst, w, b[j0*ldb+p0:], ldb, cols8, kc8)
	}
	for j := 0; j < cols; j++ {
		from := kc8
		if j >= cols8 {
			from = 0
		}
		src := b[(j0+j)*ldb+p0+from : (j0+j)*ldb+p0+kc]
		for q, v := range src {
			dst[(from+q)*w+j] = v
		}
	}
}
