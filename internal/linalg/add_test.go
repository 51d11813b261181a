package linalg

import (
	"fmt"
	"math"
	"testing"
)

// TestAdd covers every length class of the vector loop (32-wide steps,
// 8-wide steps, scalar tail) and checks that dst past len(src) is left
// alone, for the assembly and the Go forms.
func TestAdd(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 96, 100, 288, 1151} {
		addGo := func(dst, src []float32) { addIntoGo(dst[:len(src)], dst[:len(src)], src) }
		for name, f := range map[string]func(dst, src []float32){"Add": Add, "go": addGo} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				dst, src := make([]float32, n+3), make([]float32, n)
				for i := range dst {
					dst[i] = float32(i) * 0.5
				}
				for i := range src {
					src[i] = float32(i*i) - 3
				}
				f(dst, src)
				for i, v := range dst {
					want := float32(i) * 0.5
					if i < n {
						want += float32(i*i) - 3
					}
					if v != want {
						t.Fatalf("dst[%d] = %v, want %v", i, v, want)
					}
				}
			})
		}
	}
}

// TestAddInto checks AddInto and its Go form, into a third slice and
// in place over either operand, against the scalar sum, with a guard past
// the end that must stay untouched.
func TestAddInto(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 96, 100, 288, 1151} {
		for name, f := range map[string]func(out, a, b []float32){"AddInto": AddInto, "addIntoGo": addIntoGo} {
			for _, into := range []string{"out", "a", "b"} {
				t.Run(fmt.Sprintf("%s/%d/into_%s", name, n, into), func(t *testing.T) {
					a, b, out := make([]float32, n+3), make([]float32, n+3), make([]float32, n+3)
					for i := range a {
						a[i], b[i], out[i] = float32(i)*0.5, float32(i*i)-3.25, 7
					}
					want := make([]float32, n)
					for i := range want {
						want[i] = a[i] + b[i]
					}
					dst := map[string][]float32{"out": out, "a": a, "b": b}[into]
					f(dst, a[:n], b)
					for i, v := range dst[:n] {
						if v != want[i] {
							t.Fatalf("out[%d] = %v, want %v", i, v, want[i])
						}
					}
					for i := n; i < n+3; i++ {
						if into == "out" && dst[i] != 7 {
							t.Fatalf("out[%d] = %v past the end", i, dst[i])
						}
					}
				})
			}
		}
	}
}

func TestAddShortDst(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Add into a shorter dst did not panic")
		}
	}()
	Add(make([]float32, 3), make([]float32, 4))
}

// TestCopyRuns checks CopyRuns on runs that take the vector loop (32 and
// 8 floats at a time) and the Go one, with overlapping source runs and
// gaps between destination runs that must stay untouched.
func TestCopyRuns(t *testing.T) {
	for _, tc := range []struct{ run, count, lds, ldd int }{
		{8, 1, 8, 8}, {96, 16, 64, 288}, {288, 5, 288, 300}, {40, 7, 16, 41}, {3, 9, 2, 27}, {32, 3, 0, 32}, {0, 4, 1, 1}, {5, 0, 1, 5},
	} {
		t.Run(fmt.Sprintf("run%d_count%d_lds%d_ldd%d", tc.run, tc.count, tc.lds, tc.ldd), func(t *testing.T) {
			src := make([]float32, max(0, (tc.count-1)*tc.lds+tc.run))
			for i := range src {
				src[i] = float32(i) + 0.5
			}
			n := max(0, (tc.count-1)*tc.ldd+tc.run)
			dst := make([]float32, n+5)
			for i := range dst {
				dst[i] = -1
			}
			CopyRuns(dst[:max(n, 0)], tc.ldd, src, tc.lds, tc.run, tc.count)
			for i, v := range dst {
				want := float32(-1)
				if r, j := i/max(tc.ldd, 1), i%max(tc.ldd, 1); r < tc.count && j < tc.run && i < n {
					want = src[r*tc.lds+j]
				}
				if v != want {
					t.Fatalf("dst[%d] = %v, want %v", i, v, want)
				}
			}
		})
	}
	for _, bad := range []func(){
		func() { CopyRuns(make([]float32, 10), 4, make([]float32, 10), 4, 5, 2) },  // ldd < run
		func() { CopyRuns(make([]float32, 10), 5, make([]float32, 9), 5, 5, 2) },   // short src
		func() { CopyRuns(make([]float32, 9), 5, make([]float32, 10), 5, 5, 2) },   // short dst
		func() { CopyRuns(make([]float32, 10), 5, make([]float32, 10), -1, 5, 2) }, // negative stride
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			bad()
		}()
	}
}

// TestAddRuns checks AddRuns against Add called run by run, bit for bit,
// on overlapping destination runs (whose sums depend on the order), runs
// that take the vector loop and runs that do not.
func TestAddRuns(t *testing.T) {
	for _, tc := range []struct{ run, count, ldd, lds int }{
		{8, 1, 8, 8}, {96, 16, 64, 288}, {288, 5, 300, 288}, {40, 7, 16, 41}, {3, 9, 2, 27}, {32, 3, 0, 32}, {0, 4, 1, 1},
	} {
		t.Run(fmt.Sprintf("run%d_count%d_ldd%d_lds%d", tc.run, tc.count, tc.ldd, tc.lds), func(t *testing.T) {
			n := max(0, (tc.count-1)*tc.ldd+tc.run)
			src := make([]float32, max(0, (tc.count-1)*tc.lds+tc.run))
			for i := range src {
				src[i] = float32(i%13)*1e3 + float32(i)*1e-3
			}
			got, want := make([]float32, n+3), make([]float32, n+3)
			for i := range got {
				got[i] = float32(i) * -0.7
				want[i] = got[i]
			}
			AddRuns(got[:n], tc.ldd, src, tc.lds, tc.run, tc.count)
			for i := range tc.count {
				if tc.run > 0 {
					w := want[i*tc.ldd : i*tc.ldd+tc.run]
					addIntoGo(w, w, src[i*tc.lds:i*tc.lds+tc.run])
				}
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("dst[%d] = %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestEvensRows checks EvensRows on rows that take the vector steps and
// the single ones, with gaps between destination rows that must stay
// untouched and source rows exactly 2n-1 long at the end.
func TestEvensRows(t *testing.T) {
	for _, tc := range []struct{ n, rows, ldd, lds int }{
		{1, 1, 1, 1}, {8, 2, 8, 15}, {9, 3, 10, 17}, {31, 4, 32, 128}, {32, 32, 33, 64}, {17, 5, 20, 40}, {0, 3, 1, 1},
	} {
		t.Run(fmt.Sprintf("n%d_rows%d_ldd%d_lds%d", tc.n, tc.rows, tc.ldd, tc.lds), func(t *testing.T) {
			src := make([]float32, max(0, (tc.rows-1)*tc.lds+2*tc.n-1))
			for i := range src {
				src[i] = float32(i) + 0.25
			}
			n := max(0, (tc.rows-1)*tc.ldd+tc.n)
			dst := make([]float32, n+4)
			for i := range dst {
				dst[i] = -1
			}
			EvensRows(dst[:n], tc.ldd, src, tc.lds, tc.n, tc.rows)
			for i, v := range dst {
				want := float32(-1)
				if r, j := i/tc.ldd, i%tc.ldd; i < n && r < tc.rows && j < tc.n {
					want = src[r*tc.lds+2*j]
				}
				if v != want {
					t.Fatalf("dst[%d] = %v, want %v", i, v, want)
				}
			}
		})
	}
}
