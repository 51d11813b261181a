package train

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/pairs"
)

// epochPairs draws the epoch's balanced pairs and, when mining is on and the
// tower has trained for at least one epoch, replaces part of the dissimilar
// ones with pairs mined from the current embeddings.
func (l *Loop) epochPairs(epoch, n int, emb *network.Embedder) ([]pairs.Pair, error) {
	o := l.Opts
	sampler, err := pairs.NewSampler(l.Train.Labels, epochSeed(o.Seed, epoch))
	if err != nil {
		return nil, fmt.Errorf("training pairs: %w", err)
	}
	ps := sampler.Draw(n)
	if o.Mining == "" || o.Mining == pairs.MiningRandom || epoch == 1 {
		return ps, nil
	}
	rng := rand.New(rand.NewPCG(epochSeed(o.Seed, epoch), 0x6d696e65))
	poolSize := min(max(o.MiningPool, 2), l.Train.Len())
	pool := rng.Perm(l.Train.Len())[:poolSize]
	per := l.Train.Channels * l.Train.Size * l.Train.Size
	x := make([]float32, poolSize*per)
	for k, i := range pool {
		l.Train.ImageInto(x[k*per:(k+1)*per], i)
	}
	e, err := emb.Embed(x, poolSize)
	if err != nil {
		return nil, fmt.Errorf("mining: %w", err)
	}
	m := &pairs.Miner{Mode: o.Mining, Margin: l.Loss.Params().Margin, Pool: pool, Emb: e, Dim: emb.Dim(), Labels: l.Train.Labels}
	m.Apply(ps, o.MiningFraction, rng)
	return ps, nil
}

// batch is one step's input; done hands its buffers back for reuse. A
// pair batch fills xa, xb and y; a class batch fills xa and labels.
type batch struct {
	xa, xb, y []float32
	labels    []int
	done      func()
}

// assemble builds the epoch's pair batches ahead of the training step (see
// produce).
func (l *Loop) assemble(ps []pairs.Pair, epoch int) (<-chan batch, func()) {
	o := l.Opts
	per := l.Train.Channels * l.Train.Size * l.Train.Size
	newBatch := func() batch {
		return batch{xa: make([]float32, o.BatchSize*per), xb: make([]float32, o.BatchSize*per), y: make([]float32, o.BatchSize)}
	}
	place := l.placer(epoch)
	return produce(len(ps)/o.BatchSize, newBatch, func(b *batch, step int) {
		for i, p := range ps[step*o.BatchSize : (step+1)*o.BatchSize] {
			place(b.xa[i*per:(i+1)*per], p.A)
			place(b.xb[i*per:(i+1)*per], p.B)
			b.y[i] = 0
			if p.Similar {
				b.y[i] = 1
			}
		}
	})
}

// assembleClasses builds the epoch's class batches (P classes × K images,
// see pairs.ClassBatches) ahead of the training step, like assemble.
func (l *Loop) assembleClasses(epoch, steps int) (<-chan batch, func(), error) {
	o := l.Opts
	k := max(o.ImagesPerClass, 1)
	cb, err := pairs.NewClassBatches(l.Train.Labels, o.BatchSize/k, k, epochSeed(o.Seed, epoch))
	if err != nil {
		return nil, nil, fmt.Errorf("training batches: %w", err)
	}
	per := l.Train.Channels * l.Train.Size * l.Train.Size
	newBatch := func() batch {
		return batch{xa: make([]float32, o.BatchSize*per), labels: make([]int, o.BatchSize)}
	}
	place := l.placer(epoch)
	idx := make([]int, o.BatchSize)
	out, stop := produce(steps, newBatch, func(b *batch, _ int) {
		cb.Draw(idx, b.labels)
		for i, a := range idx {
			place(b.xa[i*per:(i+1)*per], a)
		}
	})
	return out, stop, nil
}

// placer returns a function that writes training image i into dst as
// floats, through a freshly drawn augmentation when augmentation is on. The
// draws come from the epoch's own stream, so a resumed run draws the same.
// It is for one goroutine.
func (l *Loop) placer(epoch int) func(dst []float32, i int) {
	o, im := l.Opts, l.Train
	if !o.Augment.Enabled() {
		return func(dst []float32, i int) { im.ImageInto(dst, i) }
	}
	rng := rand.New(rand.NewPCG(epochSeed(o.Seed, epoch), 0x617567))
	src := make([]float32, im.Channels*im.Size*im.Size)
	return func(dst []float32, i int) {
		im.ImageInto(src, i)
		o.Augment.Draw(rng).Apply(dst, src, im.Channels, im.Size, im.Size)
	}
}

// produce fills steps batches on its own goroutine, ahead of the training
// step, so that copying (and augmenting) images overlaps with the maths.
// Three buffers made by newBatch circulate, so nothing is allocated per
// step; a batch's done hands its buffer back. stop ends the producer early
// and waits for it.
func produce(steps int, newBatch func() batch, fill func(b *batch, step int)) (<-chan batch, func()) {
	const buffers = 3
	free := make(chan batch, buffers)
	for range buffers {
		free <- newBatch()
	}
	out := make(chan batch, buffers)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(out)
		for s := range steps {
			var b batch
			select {
			case b = <-free:
			case <-quit:
				return
			}
			fill(&b, s)
			bb := b
			b.done = func() { free <- bb }
			select {
			case out <- b:
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			close(quit)
			for range out { // drain so the producer can exit
			}
			wg.Wait()
		})
	}
	return out, stop
}
