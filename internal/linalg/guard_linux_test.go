package linalg

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// guardedAllocator hands out slices that end exactly where an inaccessible
// page begins, so a kernel that loads or stores one element past the end
// of A, B or C faults instead of silently reading the next allocation.
type guardedAllocator struct {
	t        *testing.T
	mappings [][]byte
}

func (g *guardedAllocator) alloc(n int) []float32 {
	page := unix.Getpagesize()
	size := (n*4+page-1)/page*page + page
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		g.t.Fatalf("mmap %d bytes: %v", size, err)
	}
	g.mappings = append(g.mappings, mem)
	if err := unix.Mprotect(mem[size-page:], unix.PROT_NONE); err != nil {
		g.t.Fatalf("mprotect guard page: %v", err)
	}
	if n == 0 {
		return nil
	}
	end := size - page
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[end-n*4])), n)
}

func (g *guardedAllocator) free() {
	for _, m := range g.mappings {
		if err := unix.Munmap(m); err != nil {
			g.t.Errorf("munmap: %v", err)
		}
	}
	g.mappings = nil
}

// TestGemmStaysInBounds runs edge-heavy shapes with every matrix ending at
// a guard page: masked loads and stores must not touch the lanes past the
// last column, and direct (unpacked) panels must not read past the end.
func TestGemmStaysInBounds(t *testing.T) {
	dims := []int{1, 5, 17, 33, 37}
	for _, ks := range testedSets() {
		t.Run(ks.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			for _, tc := range combos() {
				if tc.alpha != 1 {
					continue
				}
				for _, m := range dims {
					for _, n := range dims {
						for _, k := range dims {
							tc.m, tc.n, tc.k, tc.pad = m, n, k, 0
							g := &guardedAllocator{t: t}
							checkGemmCaseIn(t, ks, tc, rng, g.alloc)
							g.free()
						}
					}
				}
			}
		})
	}
}

// TestEvensRowsStaysInBounds runs EvensRows on rows whose source ends at
// the row's 2n-2, the last element it may read, right before a guard page:
// the row's last vector step reads up to there and not past it.
func TestEvensRowsStaysInBounds(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for _, rows := range []int{1, 3} {
			g := &guardedAllocator{t: t}
			lds, ldd := 2*n+3, n+1
			src := g.alloc((rows-1)*lds + 2*n - 1)
			dst := g.alloc((rows-1)*ldd + n)
			for i := range src {
				src[i] = float32(i)
			}
			EvensRows(dst, ldd, src, lds, n, rows)
			for r := range rows {
				for j := range n {
					if got, want := dst[r*ldd+j], src[r*lds+2*j]; got != want {
						t.Fatalf("n=%d rows=%d: dst[%d][%d] = %v, want %v", n, rows, r, j, got, want)
					}
				}
			}
			g.free()
		}
	}
}
