package linalg

// Transpose writes the transpose of the rows×cols matrix src (row stride
// lds) into dst (row stride ldd): dst[q*ldd+r] = src[r*lds+q]. Blocks of
// 8×8 go through the vector transpose of the packing code where the CPU
// has one; the ragged edges are copied element by element.
func Transpose(rows, cols int, src []float32, lds int, dst []float32, ldd int) {
	if rows == 0 || cols == 0 {
		return
	}
	if lds < cols || ldd < rows {
		panic("linalg: Transpose stride shorter than its row")
	}
	_ = src[(rows-1)*lds+cols-1]
	_ = dst[(cols-1)*ldd+rows-1]
	rows8, cols8 := 0, 0
	if t := kernels().transpose; t != nil {
		rows8, cols8 = rows&^7, cols&^7
		if ldd <= lds {
			t(dst, ldd, src, lds, rows8, cols8)
		} else {
			// The kernel walks src a row of blocks at a time, which spreads
			// its stores over every row of dst; with long dst rows (a
			// 1024-pixel plane is 4 KiB) those all fall in one L1 set and
			// evict each other. A strip of 8 columns at a time keeps the
			// stores on 8 rows of dst.
			for q := 0; q < cols8; q += 8 {
				t(dst[q*ldd:], ldd, src[q:], lds, rows8, 8)
			}
		}
	}
	for r := 0; r < rows; r++ {
		from := cols8
		if r >= rows8 {
			from = 0
		}
		for q, v := range src[r*lds+from : r*lds+cols] {
			dst[(from+q)*ldd+r] = v
		}
	}
}
