package serve

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/siamese-dev/siamese/internal/network"
)

var errShuttingDown = errors.New("server is shutting down")

// job is one request's images waiting for the network.
type job struct {
	x   []float32 // n preprocessed images, back to back
	n   int
	out chan jobResult // buffered: the batcher never waits for a reader
}

type jobResult struct {
	emb [][]float32
	err error
}

// batcher owns the network: network.Embedder is not safe for concurrent
// use, so one goroutine runs every forward pass, on as many requests'
// images as have arrived together.
type batcher struct {
	net      *network.Net
	per      int // values per image
	maxBatch int
	wait     time.Duration
	jobs     chan *job
	quit     chan struct{}
	done     chan struct{}
	// coming counts requests admitted for the network that have not yet
	// handed in their job (they are reading or decoding). The batcher
	// waits for more only while some are coming, so a lone client never
	// pays the wait.
	coming    atomic.Int64
	embedders map[int]*network.Embedder // by batch size, compiled on first use
	observe   func(images int, seconds float64)
}

func newBatcher(net *network.Net, per, maxBatch int, wait time.Duration, observe func(int, float64)) *batcher {
	return &batcher{
		net: net, per: per, maxBatch: maxBatch, wait: wait,
		jobs: make(chan *job), quit: make(chan struct{}), done: make(chan struct{}),
		embedders: map[int]*network.Embedder{}, observe: observe,
	}
}

// submit hands n images to the batcher and waits for their embeddings.
func (b *batcher) submit(x []float32, n int, cancel <-chan struct{}) ([][]float32, error) {
	j := &job{x: x, n: n, out: make(chan jobResult, 1)}
	// The batcher counts the job as arrived when it takes it; were it
	// counted here, the batcher could see nothing coming and nothing
	// waiting in between, and run without it.
	select {
	case b.jobs <- j:
	case <-b.quit:
		b.coming.Add(-1)
		return nil, errShuttingDown
	case <-cancel:
		b.coming.Add(-1)
		return nil, errors.New("request cancelled")
	}
	r := <-j.out
	return r.emb, r.err
}

// run collects jobs into batches until quit is closed.
func (b *batcher) run() {
	defer close(b.done)
	var carry *job // a job that did not fit in the last batch
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case first = <-b.jobs:
				b.coming.Add(-1)
			case <-b.quit:
				return
			}
		}
		batch, n := []*job{first}, first.n
		var timer *time.Timer
	collect:
		for n < b.maxBatch {
			var j *job
			select {
			case j = <-b.jobs:
			default:
				if b.coming.Load() <= 0 {
					break collect
				}
				if timer == nil {
					timer = time.NewTimer(b.wait)
				}
				select {
				case j = <-b.jobs:
				case <-timer.C:
					timer = nil
					break collect
				}
			}
			b.coming.Add(-1)
			if n+j.n > b.maxBatch {
				carry = j
				break
			}
			batch, n = append(batch, j), n+j.n
		}
		if timer != nil {
			timer.Stop()
		}
		b.forward(batch, n)
	}
}

// forward embeds the images of batch in one pass of the smallest compiled
// batch size that holds them (powers of two, so at most log2(maxBatch)+1
// graphs), padding the rest.
func (b *batcher) forward(batch []*job, n int) {
	size := 1
	for size < n {
		size *= 2
	}
	size = min(size, b.maxBatch)
	fail := func(err error) {
		for _, j := range batch {
			j.out <- jobResult{err: err}
		}
	}
	e, ok := b.embedders[size]
	if !ok {
		var err error
		if e, err = b.net.NewEmbedder(size); err != nil {
			fail(fmt.Errorf("compile batch of %d: %w", size, err))
			return
		}
		b.embedders[size] = e
	}
	x := make([]float32, 0, n*b.per)
	for _, j := range batch {
		x = append(x, j.x...)
	}
	start := time.Now()
	emb, err := e.Embed(x, n)
	if err != nil {
		fail(err)
		return
	}
	b.observe(n, time.Since(start).Seconds())
	dim := e.Dim()
	i := 0
	for _, j := range batch {
		out := make([][]float32, j.n)
		for k := range out {
			out[k] = emb[i*dim : (i+1)*dim : (i+1)*dim]
			i++
		}
		j.out <- jobResult{emb: out}
	}
}

// stop ends run after the batch in progress and refuses new jobs.
func (b *batcher) stop() {
	close(b.quit)
	<-b.done
}
