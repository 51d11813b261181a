package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/siamese-dev/siamese/internal/augment"
	"github.com/siamese-dev/siamese/internal/contrastive"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/metrics"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/optimize"
	"github.com/siamese-dev/siamese/internal/pairs"
)

// LoopOptions are the settings of the training loop itself.
type LoopOptions struct {
	Epochs        int
	BatchSize     int
	PairsPerEpoch int
	ValPairs      int
	Optimizer     string
	LearningRate  float64
	Schedule      string // "none", "step" or "cosine"
	WeightDecay   float64
	ClipNorm      float64 // 0: no clipping
	Patience      int     // 0: no early stopping
	Seed          uint64
	Augment       augment.Options
	// Mining is "random", "semi-hard" or "hard" (see pairs.Miner); mined
	// pairs replace MiningFraction of the dissimilar pairs from epoch 2 on,
	// drawn from a pool of MiningPool training images.
	Mining         string
	MiningPool     int
	MiningFraction float64
}

// Schedules lists the valid LoopOptions.Schedule values.
func Schedules() []string { return []string{"none", "step", "cosine"} }

// EpochResult is what one epoch measured.
type EpochResult struct {
	Epoch       int     `json:"epoch"`
	TrainLoss   float64 `json:"train_loss"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	Threshold   float64 `json:"threshold"`
	LR          float64 `json:"lr"`
	Seconds     float64 `json:"seconds"`
	PairsPerSec float64 `json:"pairs_per_s"`
	Best        bool    `json:"best"`
}

// Reporter is told about progress; the CLI draws bars and lines from it.
type Reporter interface {
	EpochStart(epoch, epochs, steps int)
	Step(step int, loss, pairsPerSec float64)
	EpochEnd(r EpochResult)
	Warn(msg string)
}

// State is the loop's progress between epochs, saved in checkpoints.
type State struct {
	Epoch       int // last finished epoch
	BestEpoch   int
	BestValLoss float64
	BadEpochs   int
	Pairs       int
	Seconds     float64
	Best        *network.Net
	History     []EpochResult
}

// Loop trains a network on pairs drawn from train, measuring on pairs from
// val after every epoch.
type Loop struct {
	Net   *network.Net
	Loss  contrastive.Loss
	Train *dataset.Images
	Val   *dataset.Images
	Opts  LoopOptions
	Optim optimize.Optimizer
	// AfterEpoch, if set, runs after each epoch with the state so far
	// (checkpointing); an error stops training.
	AfterEpoch func(st *State) error
	Report     Reporter
}

// ErrInterrupted is returned when the context ends training early; the
// state of the last finished epoch is still returned.
var ErrInterrupted = errors.New("training interrupted")

// epochSeed gives every epoch its own pair stream, so a resumed run draws
// exactly the pairs the uninterrupted run would have.
func epochSeed(seed uint64, epoch int) uint64 {
	return seed*0x9E3779B97F4A7C15 + uint64(epoch)*0xBF58476D1CE4E5B9 + 1
}

// lrAt is the learning rate of an epoch (1-based) under the schedule.
func lrAt(o LoopOptions, epoch int) float64 {
	switch o.Schedule {
	case "cosine":
		// Cosine annealing from lr to lr/100 over the run.
		if o.Epochs <= 1 {
			return o.LearningRate
		}
		f := float64(epoch-1) / float64(o.Epochs-1)
		lo := o.LearningRate / 100
		return lo + (o.LearningRate-lo)*0.5*(1+math.Cos(math.Pi*f))
	case "step":
		// Divide by 10 after each third of the run.
		third := max(1, (o.Epochs+2)/3)
		return o.LearningRate * math.Pow(0.1, float64((epoch-1)/third))
	}
	return o.LearningRate
}

// Run trains from st (nil for a fresh start) and returns the final state.
// The network's weights are the best epoch's when Run returns normally.
func (l *Loop) Run(ctx context.Context, st *State) (*State, error) {
	if st == nil {
		st = &State{BestValLoss: math.Inf(1)}
	}
	o := l.Opts
	pg, err := l.Net.NewPairGraph(o.BatchSize, l.Loss.Node)
	if err != nil {
		return nil, err
	}
	emb, err := l.Net.NewEmbedder(256)
	if err != nil {
		return nil, err
	}
	valSet, err := newPairSet(l.Val, o.ValPairs, o.Seed+7919)
	if err != nil {
		return nil, fmt.Errorf("validation pairs: %w (raise --val-split or add images)", err)
	}
	params := make([][]float32, len(l.Net.Params))
	for i, p := range l.Net.Params {
		params[i] = p.Data
	}
	steps := o.PairsPerEpoch / o.BatchSize
	for epoch := st.Epoch + 1; epoch <= o.Epochs; epoch++ {
		if ctx.Err() != nil {
			return st, ErrInterrupted
		}
		lr := lrAt(o, epoch)
		l.Optim.SetLearningRate(lr)
		ps, err := l.epochPairs(epoch, steps*o.BatchSize, emb)
		if err != nil {
			return nil, err
		}
		pg.SetMaskStream(o.Seed, epoch)
		l.Report.EpochStart(epoch, o.Epochs, steps)
		start := time.Now()
		var lossSum float64
		batches, stop := l.assemble(ps, epoch)
		for s := 0; s < steps; s++ {
			if ctx.Err() != nil {
				stop()
				return st, ErrInterrupted
			}
			b := <-batches
			xa, xb, y := b.xa, b.xb, b.y
			loss, _, err := pg.Step(xa, xb, y)
			b.done()
			if err != nil {
				stop()
				return nil, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				stop()
				return nil, fmt.Errorf("epoch %d step %d: loss is %v; lower the learning rate (--lr)", epoch, s+1, loss)
			}
			grads, err := pg.Grads()
			if err != nil {
				stop()
				return nil, err
			}
			if o.ClipNorm > 0 {
				clipNorm(grads, o.ClipNorm)
			}
			l.Optim.Step(params, grads)
			lossSum += loss
			el := time.Since(start).Seconds()
			l.Report.Step(s+1, lossSum/float64(s+1), float64((s+1)*o.BatchSize)/el)
		}
		stop()
		secs := time.Since(start).Seconds()
		st.Pairs += steps * o.BatchSize
		st.Seconds += secs
		res := EpochResult{Epoch: epoch, TrainLoss: lossSum / float64(max(steps, 1)), LR: lr, Seconds: secs,
			PairsPerSec: float64(steps*o.BatchSize) / secs}
		vr, err := valSet.measure(emb, l.Loss)
		if err != nil {
			return nil, err
		}
		res.ValLoss, res.ValAccuracy, res.Threshold = vr.loss, vr.accuracy, vr.threshold
		if math.IsNaN(res.ValLoss) || math.IsInf(res.ValLoss, 0) {
			return nil, fmt.Errorf("epoch %d: validation loss is %v, the weights have diverged; lower the learning rate (--lr)", epoch, res.ValLoss)
		}
		// The loss of a tower that maps everything to one point: every
		// distance 0, half the pairs dissimilar. Sitting there means the
		// embeddings collapsed even if the distances are not exactly zero.
		stuck := l.Loss.Value([]float32{0, 0}, []float32{1, 0})
		if !vr.collapsed && epoch > 1 && math.Abs(res.TrainLoss-stuck) < 0.01*stuck {
			vr.collapsed = true
		}
		if vr.collapsed {
			l.Report.Warn(fmt.Sprintf("epoch %d: embeddings have collapsed (validation distances all near %.3g); try a lower --lr or another --margin", epoch, vr.meanDist))
		}
		if res.ValLoss < st.BestValLoss {
			st.BestValLoss, st.BestEpoch, st.BadEpochs = res.ValLoss, epoch, 0
			st.Best = l.Net.Clone()
			res.Best = true
		} else {
			st.BadEpochs++
		}
		st.Epoch = epoch
		st.History = append(st.History, res)
		l.Report.EpochEnd(res)
		if l.AfterEpoch != nil {
			if err := l.AfterEpoch(st); err != nil {
				return nil, err
			}
		}
		if o.Patience > 0 && st.BadEpochs >= o.Patience && epoch < o.Epochs {
			l.Report.Warn(fmt.Sprintf("early stop after epoch %d: validation loss has not improved for %d epochs; keeping epoch %d", epoch, o.Patience, st.BestEpoch))
			break
		}
	}
	if st.Best != nil {
		l.Net.CopyFrom(st.Best)
	}
	return st, nil
}

// clipNorm rescales all gradients together so that their joint L2 norm is
// at most maxNorm, which keeps one bad batch from throwing the weights away.
func clipNorm(grads [][]float32, maxNorm float64) {
	var s float64
	for _, g := range grads {
		for _, v := range g {
			s += float64(v) * float64(v)
		}
	}
	n := math.Sqrt(s)
	if n <= maxNorm || n == 0 {
		return
	}
	f := float32(maxNorm / n)
	for _, g := range grads {
		for i := range g {
			g[i] *= f
		}
	}
}

// pairSet is a fixed set of pairs over an image set, embedded once per
// measurement: each image goes through the tower once however many pairs
// it is in.
type pairSet struct {
	images *dataset.Images
	pairs  []pairs.Pair
}

func newPairSet(im *dataset.Images, n int, seed uint64) (*pairSet, error) {
	s, err := pairs.NewSampler(im.Labels, seed)
	if err != nil {
		return nil, err
	}
	return &pairSet{images: im, pairs: s.Draw(n)}, nil
}

type measurement struct {
	dist                []float64
	similar             []bool
	loss                float64
	accuracy, threshold float64
	meanDist            float64
	collapsed           bool
}

func (ps *pairSet) measure(emb *network.Embedder, loss contrastive.Loss) (measurement, error) {
	var m measurement
	e, err := emb.Embed(ps.images.Data, len(ps.images.Labels))
	if err != nil {
		return m, err
	}
	dim := emb.Dim()
	d32 := make([]float32, len(ps.pairs))
	y32 := make([]float32, len(ps.pairs))
	m.dist = make([]float64, len(ps.pairs))
	m.similar = make([]bool, len(ps.pairs))
	var maxD float64
	for i, p := range ps.pairs {
		d := network.PairDistance(e[p.A*dim:(p.A+1)*dim], e[p.B*dim:(p.B+1)*dim])
		m.dist[i], d32[i], m.similar[i] = d, float32(d), p.Similar
		if p.Similar {
			y32[i] = 1
		}
		m.meanDist += d
		maxD = max(maxD, d)
	}
	m.meanDist /= float64(max(len(ps.pairs), 1))
	m.loss = loss.Value(d32, y32)
	m.threshold, m.accuracy = metrics.BestThreshold(m.dist, m.similar)
	// Every pair at (almost) the same distance: the tower maps everything to
	// one point and the loss can only sit at the margin term.
	m.collapsed = maxD < 1e-3
	return m, nil
}
