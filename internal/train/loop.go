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
	"github.com/siamese-dev/siamese/internal/linalg"
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
	// Batches is BatchesPairs (a step is BatchSize pairs through the twin
	// towers) or BatchesClasses (a step is BatchSize images, ImagesPerClass
	// of each of BatchSize/ImagesPerClass classes, and the loss compares
	// every pair among them); "" means pairs.
	Batches        string
	ImagesPerClass int
	// SelectBy is what keeps the best epoch and drives early stopping:
	// SelectLoss (validation loss), SelectAccuracy (validation pair
	// accuracy) or SelectOneShot (validation one-shot accuracy); "" means
	// loss.
	SelectBy string
	// OneShotWay, when 2 or more, adds OneShotTrials N-way one-shot trials
	// on the validation images to every epoch's measurement.
	OneShotWay    int
	OneShotTrials int
	// TimeBudget, when positive, stops training once this much time (steps
	// and validation) has passed, and spreads the learning-rate schedule
	// over it instead of over Epochs.
	TimeBudget time.Duration
}

// Values of LoopOptions.Batches and SelectBy.
const (
	BatchesPairs   = "pairs"
	BatchesClasses = "classes"
	SelectLoss     = "loss"
	SelectAccuracy = "accuracy"
	SelectOneShot  = "one-shot"
)

// SelectModes lists the valid LoopOptions.SelectBy values.
func SelectModes() []string { return []string{SelectLoss, SelectAccuracy, SelectOneShot} }

// BatchModes lists the valid LoopOptions.Batches values.
func BatchModes() []string { return []string{BatchesPairs, BatchesClasses} }

// Schedules lists the valid LoopOptions.Schedule values.
func Schedules() []string { return []string{"none", "step", "cosine"} }

// EpochResult is what one epoch measured.
type EpochResult struct {
	Epoch       int     `json:"epoch"`
	TrainLoss   float64 `json:"train_loss"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	Threshold   float64 `json:"threshold"`
	// OneShot is the validation N-way one-shot accuracy (N = OneShotWay),
	// when measured.
	OneShot     float64 `json:"val_one_shot,omitempty"`
	OneShotWay  int     `json:"val_one_shot_way,omitempty"`
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
	Epoch     int // last finished epoch
	BestEpoch int
	// BestScore is the best epoch's selection score, lower is better: the
	// validation loss, or the negated accuracy when selecting by accuracy.
	BestScore float64
	BadEpochs int
	Pairs     int     // pairs (or, with class batches, images) trained on
	Seconds   float64 // in training steps
	Elapsed   float64 // in steps and validation: what a time budget counts
	Best      *network.Net
	History   []EpochResult
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
		return lrAtProgress(o, float64(epoch-1)/float64(o.Epochs-1))
	case "step":
		// Divide by 10 after each third of the run.
		third := max(1, (o.Epochs+2)/3)
		return o.LearningRate * math.Pow(0.1, float64((epoch-1)/third))
	}
	return o.LearningRate
}

// lrAtProgress is the learning rate when the share f in [0, 1] of a time
// budget has passed: the same schedules, laid over time instead of epochs.
func lrAtProgress(o LoopOptions, f float64) float64 {
	f = math.Min(math.Max(f, 0), 1)
	switch o.Schedule {
	case "cosine":
		lo := o.LearningRate / 100
		return lo + (o.LearningRate-lo)*0.5*(1+math.Cos(math.Pi*f))
	case "step":
		return o.LearningRate * math.Pow(0.1, math.Min(math.Floor(3*f), 2))
	}
	return o.LearningRate
}

// score is an epoch's selection score under SelectBy, lower is better.
func score(selectBy string, r EpochResult) float64 {
	switch selectBy {
	case SelectAccuracy:
		return -r.ValAccuracy
	case SelectOneShot:
		return -r.OneShot
	}
	return r.ValLoss
}

// lowerLoss says whether epoch result r has a lower validation loss than
// the best epoch of st: what breaks a tie of accuracies. A one-shot
// accuracy saturates (1.0 on four validation classes from the first
// epoch), and keeping the first epoch of a tie stopped training early on
// the first epoch while the pairs went on improving.
func lowerLoss(st *State, r EpochResult) bool {
	for _, h := range st.History {
		if h.Epoch == st.BestEpoch {
			return r.ValLoss < h.ValLoss
		}
	}
	return false
}

// trainer is one kind of training step: pairs through the twin towers, or
// a batch of classes through one tower.
type trainer struct {
	setMasks func(seed uint64, epoch int)
	// batches starts the epoch's batch producer; each step calls step on
	// the next batch.
	batches func(epoch, steps int, emb *network.Embedder) (<-chan batch, func(), error)
	step    func(b batch) (float64, error)
	grads   func() ([][]float32, error)
}

// checkBatches says whether loss can train on the batches asked for: class
// batches need a batch loss, and a batch-only loss needs class batches.
func checkBatches(loss contrastive.Loss, batches string) error {
	_, batchLoss := loss.(contrastive.BatchLoss)
	switch {
	case batches == BatchesClasses && !batchLoss:
		return fmt.Errorf("loss %s compares given pairs and cannot train on class batches; use --batches pairs or a batch loss (contrastive, triplet, ntxent)", loss.Name())
	case batches != BatchesClasses && contrastive.BatchOnly(loss):
		return fmt.Errorf("loss %s compares every pair of a batch: train it with --batches classes", loss.Name())
	}
	return nil
}

func (l *Loop) newTrainer() (*trainer, error) {
	o := l.Opts
	if err := checkBatches(l.Loss, o.Batches); err != nil {
		return nil, err
	}
	if o.Batches == BatchesClasses {
		bl := l.Loss.(contrastive.BatchLoss)
		bg, err := l.Net.NewBatchGraph(o.BatchSize, bl.Batch)
		if err != nil {
			return nil, err
		}
		return &trainer{
			setMasks: bg.SetMaskStream,
			batches: func(epoch, steps int, _ *network.Embedder) (<-chan batch, func(), error) {
				return l.assembleClasses(epoch, steps)
			},
			step:  func(b batch) (float64, error) { return bg.Step(b.xa, b.labels) },
			grads: bg.Grads,
		}, nil
	}
	// A built-in loss runs on plain slices (the same bits as its graph,
	// without the graph's ops: network.NewPairGraphGrad); any other, such
	// as a user's Go value, as the graph its Node builds.
	var pg *network.PairGraph
	var err error
	if pl, ok := l.Loss.(contrastive.PairGrader); ok {
		pg, err = l.Net.NewPairGraphGrad(o.BatchSize, pl.PairGrad)
	} else {
		pg, err = l.Net.NewPairGraph(o.BatchSize, l.Loss.Node)
	}
	if err != nil {
		return nil, err
	}
	return &trainer{
		setMasks: pg.SetMaskStream,
		batches: func(epoch, steps int, emb *network.Embedder) (<-chan batch, func(), error) {
			ps, err := l.epochPairs(epoch, steps*o.BatchSize, emb)
			if err != nil {
				return nil, nil, err
			}
			out, stop := l.assemble(ps, epoch)
			return out, stop, nil
		},
		step: func(b batch) (float64, error) {
			loss, _, err := pg.Step(b.xa, b.xb, b.y)
			return loss, err
		},
		grads: pg.Grads,
	}, nil
}

// Run trains from st (nil for a fresh start) and returns the final state.
// The network's weights are the best epoch's when Run returns normally.
func (l *Loop) Run(ctx context.Context, st *State) (*State, error) {
	if st == nil {
		st = &State{BestScore: math.Inf(1)}
	}
	o := l.Opts
	tr, err := l.newTrainer()
	if err != nil {
		return nil, err
	}
	emb, err := l.Net.NewEmbedder(l.Net.Spec.InferenceBatch(network.EmbedderBudget, 256))
	if err != nil {
		return nil, err
	}
	valSet, err := newPairSet(l.Val, o.ValPairs, o.Seed+7919)
	if err != nil {
		return nil, fmt.Errorf("validation pairs: %w (raise --val-split or add images)", err)
	}
	if o.OneShotWay >= 2 {
		if valSet.trials, err = pairs.DrawTrials(l.Val.Labels, o.OneShotWay, max(o.OneShotTrials, 1), o.Seed+7927); err != nil {
			return nil, fmt.Errorf("validation one-shot: %w", err)
		}
		valSet.way = o.OneShotWay
	}
	if bl, ok := l.Loss.(contrastive.BatchLoss); ok && contrastive.BatchOnly(l.Loss) {
		if err := valSet.addBatches(bl, o.BatchSize, o.ImagesPerClass, o.Seed+7933); err != nil {
			return nil, fmt.Errorf("validation batches: %w", err)
		}
	}
	params := make([][]float32, len(l.Net.Params))
	for i, p := range l.Net.Params {
		params[i] = p.Data
	}
	steps := o.PairsPerEpoch / o.BatchSize
	budget := o.TimeBudget.Seconds()
	runStart, spentBefore := time.Now(), st.Elapsed
	elapsed := func() float64 { return spentBefore + time.Since(runStart).Seconds() }
	shownEpochs := o.Epochs
	if budget > 0 {
		shownEpochs = 0 // unknown: the budget decides
	}
	// The loss of a tower that maps everything to one point: every
	// distance 0, half the pairs dissimilar (on class batches, the batch
	// loss with every embedding equal). A training loss sitting there means
	// the embeddings collapsed even if the distances are not exactly zero.
	// It depends on the options only, so it is worked out once.
	stuck, err := lossValue(l.Loss, []float32{0, 0}, []float32{1, 0})
	if err != nil {
		return nil, err
	}
	if bl, ok := l.Loss.(contrastive.BatchLoss); ok && o.Batches == BatchesClasses {
		stuck = collapsedBatchLoss(bl, o.BatchSize, o.ImagesPerClass)
	}
	for epoch := st.Epoch + 1; epoch <= o.Epochs; epoch++ {
		if ctx.Err() != nil {
			return st, ErrInterrupted
		}
		// A budget always leaves room for one step and one measurement, so
		// even the smallest gives a model.
		if budget > 0 && elapsed() >= budget && st.Epoch > 0 {
			break
		}
		lr := lrAt(o, epoch)
		if budget > 0 {
			lr = lrAtProgress(o, elapsed()/budget)
		}
		l.Optim.SetLearningRate(lr)
		batches, stop, err := tr.batches(epoch, steps, emb)
		if err != nil {
			return nil, err
		}
		tr.setMasks(o.Seed, epoch)
		l.Report.EpochStart(epoch, shownEpochs, steps)
		start := time.Now()
		var lossSum float64
		done := 0
		for s := 0; s < steps; s++ {
			if ctx.Err() != nil {
				stop()
				return st, ErrInterrupted
			}
			if budget > 0 {
				e := elapsed()
				if e >= budget && (done > 0 || st.Epoch > 0) {
					break
				}
				l.Optim.SetLearningRate(lrAtProgress(o, e/budget))
			}
			b := <-batches
			loss, err := tr.step(b)
			b.done()
			if err != nil {
				stop()
				return nil, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				stop()
				return nil, fmt.Errorf("epoch %d step %d: loss is %v; lower the learning rate (--lr)%s", epoch, s+1, loss, divergeHint(o))
			}
			grads, err := tr.grads()
			if err != nil {
				stop()
				return nil, err
			}
			if o.ClipNorm > 0 {
				clipNorm(grads, o.ClipNorm)
			}
			l.Optim.Step(params, grads)
			lossSum += loss
			done++
			el := time.Since(start).Seconds()
			l.Report.Step(s+1, lossSum/float64(s+1), float64((s+1)*o.BatchSize)/el)
		}
		stop()
		if done == 0 {
			break // the budget ran out before this epoch's first step
		}
		secs := time.Since(start).Seconds()
		st.Pairs += done * o.BatchSize
		st.Seconds += secs
		res := EpochResult{Epoch: epoch, TrainLoss: lossSum / float64(done), LR: lr, Seconds: secs,
			PairsPerSec: float64(done*o.BatchSize) / secs}
		vr, err := valSet.measure(emb, l.Loss)
		if err != nil {
			return nil, err
		}
		res.ValLoss, res.ValAccuracy, res.Threshold = vr.loss, vr.accuracy, vr.threshold
		if valSet.way > 0 {
			res.OneShot, res.OneShotWay = vr.oneShot, valSet.way
		}
		if math.IsNaN(res.ValLoss) || math.IsInf(res.ValLoss, 0) {
			return nil, fmt.Errorf("epoch %d: validation loss is %v, the weights have diverged; lower the learning rate (--lr)%s", epoch, res.ValLoss, divergeHint(o))
		}
		if !vr.collapsed && epoch > 1 && !math.IsNaN(stuck) && math.Abs(res.TrainLoss-stuck) < 0.01*stuck {
			vr.collapsed = true
		}
		if vr.collapsed {
			l.Report.Warn(fmt.Sprintf("epoch %d: embeddings have collapsed (validation distances all near %.3g); try a lower --lr or another --margin", epoch, vr.meanDist))
		}
		if sc := score(o.SelectBy, res); sc < st.BestScore || sc == st.BestScore && lowerLoss(st, res) {
			st.BestScore, st.BestEpoch, st.BadEpochs = sc, epoch, 0
			st.Best = l.Net.Clone()
			res.Best = true
		} else {
			st.BadEpochs++
		}
		st.Epoch = epoch
		st.Elapsed = elapsed()
		st.History = append(st.History, res)
		l.Report.EpochEnd(res)
		if l.AfterEpoch != nil {
			if err := l.AfterEpoch(st); err != nil {
				return nil, err
			}
		}
		if o.Patience > 0 && st.BadEpochs >= o.Patience && epoch < o.Epochs {
			l.Report.Warn(fmt.Sprintf("early stop after epoch %d: validation %s has not improved for %d epochs; keeping epoch %d", epoch, selectName(o.SelectBy), o.Patience, st.BestEpoch))
			break
		}
	}
	if st.Best != nil {
		l.Net.CopyFrom(st.Best)
	}
	return st, nil
}

// KeptRule says how the epoch kept under selectBy is chosen, as the
// training chart's legend puts it.
func KeptRule(selectBy string) string {
	if selectBy == SelectLoss || selectBy == "" {
		return "lowest validation loss"
	}
	return "highest validation " + selectName(selectBy) + ", ties to the lower loss"
}

// selectName is the measurement SelectBy names, for messages.
func selectName(selectBy string) string {
	switch selectBy {
	case SelectAccuracy:
		return "pair accuracy"
	case SelectOneShot:
		return "one-shot accuracy"
	}
	return "loss"
}

// clipNorm rescales all gradients together so that their joint L2 norm is
// at most maxNorm, which keeps one bad batch from throwing the weights away.
func clipNorm(grads [][]float32, maxNorm float64) {
	var s float64
	for _, g := range grads {
		_, sq := linalg.SumSquares(g)
		s += sq
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
	// One-shot trials over the same images, when way > 0.
	trials []pairs.Trial
	way    int
	// Fixed class batches and their loss, for losses that have no pair
	// form: the validation loss is then the batch loss over these.
	batchLoss contrastive.BatchLoss
	batches   [][]int // image indices
}

// newPairSet draws n validation pairs of im, or, where its images make
// fewer distinct pairs of a kind than n asks for, uses each pair once, as
// many of each kind (as eval does), rather than measure repeats.
func newPairSet(im *dataset.Images, n int, seed uint64) (*pairSet, error) {
	s, err := pairs.NewSampler(im.Labels, seed)
	if err != nil {
		return nil, err
	}
	return &pairSet{images: im, pairs: s.DrawAtMost(n)}, nil
}

type measurement struct {
	oneShot             float64
	dist                []float64
	similar             []bool
	loss                float64
	accuracy, threshold float64
	meanDist            float64
	collapsed           bool
}

func (ps *pairSet) measure(emb *network.Embedder, loss contrastive.Loss) (measurement, error) {
	var m measurement
	e, err := embedImages(emb, ps.images)
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
	if ps.batchLoss != nil {
		m.loss = ps.batchValue(e, dim)
	} else if m.loss, err = lossValue(loss, d32, y32); err != nil {
		return m, fmt.Errorf("validation: %w", err)
	}
	if ps.way > 0 {
		m.oneShot, _, _ = pairs.OneShotAccuracy(ps.trials, pairs.OneShotScores(ps.trials, func(a, b int) float64 {
			return network.PairDistance(e[a*dim:(a+1)*dim], e[b*dim:(b+1)*dim])
		}))
	}
	m.threshold, m.accuracy = metrics.BestThreshold(m.dist, m.similar)
	// Every pair at (almost) the same distance: the tower maps everything to
	// one point and the loss can only sit at the margin term.
	m.collapsed = maxD < 1e-3
	return m, nil
}

// lossValue is loss.Value with a panic turned into an error: a caller's
// own loss (contrastive.Plain, the Go API's) runs the caller's code, and a
// bug there must end training with a message, as it does inside the
// training graph (Plain's op), not crash the caller's program.
func lossValue(loss contrastive.Loss, d, y []float32) (v float64, err error) {
	err = contrastive.Guard(loss.Name(), "value", func() { v = loss.Value(d, y) })
	return v, err
}

// addBatches draws 8 fixed class batches of the validation images (as many
// classes per batch as the training batches, or all the validation classes
// if fewer) for a loss defined only over batches.
func (ps *pairSet) addBatches(bl contrastive.BatchLoss, batchSize, k int, seed uint64) error {
	k = max(k, 1)
	classes := map[int]bool{}
	for _, l := range ps.images.Labels {
		classes[l] = true
	}
	p := min(max(batchSize/k, 2), len(classes))
	cb, err := pairs.NewClassBatches(ps.images.Labels, p, k, seed)
	if err != nil {
		return err
	}
	ps.batchLoss = bl
	labels := make([]int, cb.Size())
	for range 8 {
		idx := make([]int, cb.Size())
		cb.Draw(idx, labels)
		ps.batches = append(ps.batches, idx)
	}
	return nil
}

// batchValue is the mean batch loss over the fixed validation batches.
func (ps *pairSet) batchValue(e []float32, dim int) float64 {
	var sum float64
	for _, idx := range ps.batches {
		n := len(idx)
		d2 := make([]float64, n*n)
		labels := make([]int, n)
		for i, a := range idx {
			labels[i] = ps.images.Labels[a]
			for j, b := range idx {
				if j > i {
					d := network.PairDistance(e[a*dim:(a+1)*dim], e[b*dim:(b+1)*dim])
					s := d*d - network.DistanceEps
					d2[i*n+j], d2[j*n+i] = s, s
				}
			}
		}
		sum += ps.batchLoss.Batch(d2, labels, make([]float64, n*n))
	}
	return sum / float64(len(ps.batches))
}

// embedImages embeds every image of im, converting bytes to floats a chunk
// at a time so a large validation set never exists as float32 whole.
func embedImages(emb *network.Embedder, im *dataset.Images) ([]float32, error) {
	const chunk = 256
	per := im.Channels * im.Size * im.Size
	buf := make([]float32, chunk*per)
	out := make([]float32, 0, im.Len()*emb.Dim())
	for s := 0; s < im.Len(); s += chunk {
		k := min(chunk, im.Len()-s)
		for j := range k {
			im.ImageInto(buf[j*per:(j+1)*per], s+j)
		}
		e, err := emb.Embed(buf[:k*per], k)
		if err != nil {
			return nil, err
		}
		out = append(out, e...)
	}
	return out, nil
}

// collapsedBatchLoss is the batch loss when every embedding of a batch of
// n images (k per class) is the same point: all distances 0. A training loss
// that stays there means the tower has collapsed, as batch-hard triplet
// training can early on.
func collapsedBatchLoss(bl contrastive.BatchLoss, n, k int) float64 {
	k = max(k, 1)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i / k
	}
	return bl.Batch(make([]float64, n*n), labels, make([]float64, n*n))
}

// divergeHint names the other setting that can make weights diverge, when
// it is on: a weight decay of 1e6 blew up at the default learning rate.
func divergeHint(o LoopOptions) string {
	if o.WeightDecay > 0 {
		return fmt.Sprintf(" or the weight decay (--weight-decay %g)", o.WeightDecay)
	}
	return ""
}
