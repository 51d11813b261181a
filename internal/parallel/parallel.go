package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Range splits [0, n) into workers contiguous chunks and runs fn(worker,
// lo, hi) on each, the first on the calling goroutine and the others on
// helpers. Chunks differ in size by at most one item, so a batch of images
// balances evenly.
func Range(n, workers int, fn func(worker, lo, hi int)) {
	if workers <= 1 || n <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		helpers.claim().post(&part{fn: fn, worker: w, lo: w * n / workers, hi: (w + 1) * n / workers, done: &wg})
	}
	fn(0, 0, n/workers)
	wg.Wait()
}

// Start runs fn on a helper and returns a wait that returns once fn has.
func Start(fn func()) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	helpers.claim().post(&part{fn: func(int, int, int) { fn() }, done: &wg})
	return wg.Wait
}

// helpers are the goroutines that run the second and later parts of every
// Range, and the work Start hands off (see the package doc). On this
// project's 2-core VM a goroutine started per call waited 70-90 µs on
// average for a thread; a photos-preset step makes 206 parallel calls, so
// the other core started late by 15-18 ms of a 130 ms step.
var helpers helperSet

// helperSpin is how long an idle helper polls before it parks: longer than
// the gap between two ops of a step, short enough that a helper left over
// after training costs nothing measurable.
const helperSpin = 200 * time.Microsecond

type helperSet struct {
	mu   sync.Mutex
	list []*helper
	// shares is how many callers beyond the first share the cores at
	// this moment: graphs run side by side (internal/network's twins of a
	// PairGraph, halves of a BatchGraph or of an Embedder) each take
	// 1/(1+shares) of them.
	shares atomic.Int32
}

// SplitCores divides the cores among n callers about to run side by side
// (each then sees Cores of them), until the returned release is called.
func SplitCores(n int) (release func()) {
	helpers.shares.Add(int32(n - 1))
	return func() { helpers.shares.Add(-int32(n - 1)) }
}

// Cores is the number of cores one caller may use now: GOMAXPROCS, shared
// among the callers that SplitCores counts.
func Cores() int {
	return max(1, runtime.GOMAXPROCS(0)/int(1+helpers.shares.Load()))
}

// part is one worker's share of a Range, or the work of a Start.
type part struct {
	fn             func(worker, lo, hi int)
	worker, lo, hi int
	done           *sync.WaitGroup
}

type helper struct {
	busy   atomic.Bool          // owned by a caller from claim to the part's end
	posted atomic.Pointer[part] // the part to run, nil when none
	parked atomic.Bool
	wake   chan struct{}
}

// claim returns an idle helper, starting one when every helper is busy
// (graphs running side by side each hold some).
func (s *helperSet) claim() *helper {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.list {
		if h.busy.CompareAndSwap(false, true) {
			return h
		}
	}
	h := &helper{wake: make(chan struct{}, 1)}
	h.busy.Store(true)
	s.list = append(s.list, h)
	go h.loop()
	return h
}

// post hands p to h, waking it if it parked.
func (h *helper) post(p *part) {
	h.posted.Store(p)
	if h.parked.CompareAndSwap(true, false) {
		h.wake <- struct{}{}
	}
}

func (h *helper) loop() {
	for {
		p := h.next()
		p.fn(p.worker, p.lo, p.hi)
		h.busy.Store(false)
		p.done.Done()
	}
}

// next polls for a posted part for helperSpin, then parks until woken.
func (h *helper) next() *part {
	for {
		var p *part
		if Poll(helperSpin, func() bool { p = h.posted.Swap(nil); return p != nil }) {
			return p
		}
		h.parked.Store(true)
		// A part posted between the last poll and parked being set has
		// not woken us: look once more before sleeping.
		if p := h.posted.Swap(nil); p != nil {
			if !h.parked.CompareAndSwap(true, false) {
				<-h.wake // post saw parked and sent a wake-up; consume it
			}
			return p
		}
		<-h.wake
	}
}

// Poll calls ready until it returns true, letting other goroutines on this
// thread run now and then, and reports whether it did within d. A wait so
// kept awake ends as soon as what it waits for does, where one asleep on a
// channel or a condition needs another thread to wake it, tens of
// microseconds later on a VM: worth it for waits of microseconds, such as
// a helper's between two parts or the twin towers' at a meeting.
func Poll(d time.Duration, ready func() bool) bool {
	deadline := time.Now().Add(d)
	for spins := 0; ; spins++ {
		if ready() {
			return true
		}
		if spins%64 == 63 {
			if time.Now().After(deadline) {
				return false
			}
			runtime.Gosched()
		}
	}
}
