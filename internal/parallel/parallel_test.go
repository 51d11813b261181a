package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestRangeCoversEachItemOnce requires every item to go to exactly one
// worker, and the chunks to differ by at most one item.
func TestRangeCoversEachItemOnce(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{{0, 2}, {1, 4}, {5, 1}, {5, 2}, {7, 3}, {64, 16}, {3, 8}} {
		seen := make([]int, tc.n)
		busy := make([]int, tc.workers) // items per worker; each worker writes only its own entry
		Range(tc.n, tc.workers, func(w, lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i]++ // chunks are disjoint, so no two goroutines touch one entry
			}
			busy[w] += hi - lo
		})
		for i, s := range seen {
			if s != 1 {
				t.Errorf("n=%d workers=%d: item %d visited %d times", tc.n, tc.workers, i, s)
			}
		}
		if tc.n >= tc.workers {
			for w, b := range busy {
				if b < tc.n/tc.workers || b > tc.n/tc.workers+1 {
					t.Errorf("n=%d workers=%d: worker %d got %d items, want %d or %d", tc.n, tc.workers, w, b, tc.n/tc.workers, tc.n/tc.workers+1)
				}
			}
		}
	}
}

// TestStartRunsBeside runs work on a helper that can only finish once
// the caller has done its own part: Start must not run it on the caller's
// goroutine, and wait must return only after it has.
func TestStartRunsBeside(t *testing.T) {
	for range 20 {
		var callerDone, helperDone atomic.Bool
		wait := Start(func() {
			for !callerDone.Load() {
				runtime.Gosched()
			}
			helperDone.Store(true)
		})
		callerDone.Store(true)
		wait()
		if !helperDone.Load() {
			t.Fatal("wait returned before the work ended")
		}
	}
}

// TestSplitCores checks the cores a caller sees while others share them.
func TestSplitCores(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, c := range []struct{ n, want int }{{1, 4}, {2, 2}, {3, 1}, {8, 1}} {
		release := SplitCores(c.n)
		if got := Cores(); got != c.want {
			t.Errorf("SplitCores(%d) on 4: Cores() = %d, want %d", c.n, got, c.want)
		}
		release()
		if got := Cores(); got != 4 {
			t.Errorf("after release of SplitCores(%d): Cores() = %d, want 4", c.n, got)
		}
	}
}

// TestPoll checks that Poll returns true as soon as ready does, after as
// many calls as it took, and false once its time is up.
func TestPoll(t *testing.T) {
	for _, c := range []struct {
		name      string
		readyAt   int // the call of ready that first returns true; 0: never
		d         time.Duration
		want      bool
		wantCalls int // 0: any number
	}{
		{"ready at once", 1, time.Millisecond, true, 1},
		{"ready after 200 calls", 200, time.Minute, true, 200},
		{"never ready", 0, time.Millisecond, false, 0},
	} {
		calls := 0
		start := time.Now()
		got := Poll(c.d, func() bool { calls++; return calls == c.readyAt })
		if got != c.want {
			t.Errorf("%s: Poll = %v, want %v", c.name, got, c.want)
		}
		if c.wantCalls > 0 && calls != c.wantCalls {
			t.Errorf("%s: ready called %d times, want %d", c.name, calls, c.wantCalls)
		}
		if !c.want && time.Since(start) < c.d {
			t.Errorf("%s: gave up after %v, before %v", c.name, time.Since(start), c.d)
		}
	}
}
