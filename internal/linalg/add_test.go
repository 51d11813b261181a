package linalg

import (
	"fmt"
	"testing"
)

// TestAdd covers every length class of the vector loop (32-wide steps,
// 8-wide steps, scalar tail) and checks that dst past len(src) is left
// alone, for the assembly and the Go forms.
func TestAdd(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 96, 100, 288, 1151} {
		for name, f := range map[string]func(dst, src []float32){"Add": Add, "addGo": addGo} {
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
