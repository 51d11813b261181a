package siamese

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/siamese-dev/siamese/internal/augment"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/train"
)

// Options configures Train. The zero value of a field means the default of
// the same `siamese train` flag, given in brackets; "auto" defaults are
// chosen from the data, as the flag's are, and Train's Log says how.
// Where 0 means something of its own, the field says so: Patience (0 never
// stops early; the flag's default is 3), Seed (0 is a seed), WeightDecay
// and ClipNorm (0 is off), and TestSplit (0 is the default 0.1; a negative
// value holds out no test images, as --test-split 0 does).
// Errors name a field by its flag: --val-one-shot for ValOneShot, and so on.
type Options struct {
	// Data is a folder with one sub-folder of images per class; "" trains
	// on the built-in Fashion-MNIST sample. Ignored when Classes is set.
	Data string
	// Classes is a data set held in memory, one entry per class, used
	// instead of Data. Images go through the same resize and colour
	// conversion as files.
	Classes []Class

	// Out, if set, is where the model is also saved, with its training log
	// (CSV) and chart next to it, as `siamese train --out` writes them.
	Out string

	// Size: images are resized to Size×Size pixels [auto: the median
	// shorter side of 50 sampled images, within 28..128, a multiple of 4].
	Size int
	// Channels is 1 (gray) or 3 (RGB) [auto: 3 when any of 50 sampled
	// images is colour].
	Channels int
	// Resize is how a picture becomes Size×Size: "squash" (stretch),
	// "crop" (shorter side to Size, centre crop) or "pad" (longer side to
	// Size, padded with the border's colour) [auto: crop when most
	// sampled images are over 5% off square, else squash].
	Resize string
	// MaxPixels refuses images of more pixels than this before decoding
	// them, as skipped files [50,000,000].
	MaxPixels int
	// Layers is the tower, from input to embedding [DefaultLayers].
	Layers []Layer

	// Loss is what training minimises [Contrastive(Margin)]: a built-in loss
	// or any type that implements Loss (a pair loss, for Batches "pairs").
	Loss Loss
	// Margin is the contrastive margin when Loss is nil, and the margin
	// recorded for a Loss of the caller's own, which hard and semi-hard
	// mining use; a built-in Loss carries its own (ntxent, which has none,
	// records this one, as the flag's default does) [1].
	Margin float64

	// Epochs is the number of passes over freshly drawn pairs [10; with a
	// TimeBudget, no limit: the budget decides].
	Epochs int
	// TimeBudget, when positive, stops training once this much time has
	// passed and spreads the learning-rate schedule over it, not Epochs;
	// Epochs, if set too, caps the run.
	TimeBudget    time.Duration
	BatchSize     int     // pairs per step [64]
	PairsPerEpoch int     // training pairs drawn per epoch [20000]
	ValPairs      int     // validation pairs measured after each epoch [2000]
	LearningRate  float64 // [0.001]
	Optimizer     string  // "adam", "rmsprop" or "sgd" ["adam"]
	Schedule      string  // learning-rate schedule: "none", "step" or "cosine" ["none"]
	WeightDecay   float64 // decoupled weight decay per step; 0 is off
	ClipNorm      float64 // clip the gradients' joint L2 norm to this; 0 is off
	// SelectBy is what picks the best epoch and drives early stopping:
	// "loss", "accuracy" or "one-shot" [auto: "one-shot" on a class split,
	// whose validation classes the model never saw, else "loss"].
	SelectBy string
	// ValOneShot is N for N-way one-shot trials on the validation images
	// after every epoch, which SelectBy "one-shot" needs [auto: 10-way, or
	// fewer, on a class split; off otherwise].
	ValOneShot int
	// Batches is "pairs" (a step is BatchSize pairs) or "classes" (a step
	// is BatchSize images, ImagesPerClass from each of several classes,
	// and the loss compares every pair among them: a built-in loss,
	// Contrastive or LossByName "triplet" or "ntxent") ["pairs"].
	Batches        string
	ImagesPerClass int // images of each class in a "classes" batch [4]
	// Patience stops training after this many epochs without a better
	// validation score (by SelectBy); 0 never stops early, unlike the
	// flag, whose default is 3. The best epoch is kept either way.
	Patience int
	// Seed fixes the split, the initial weights, the pairs and the
	// augmentation: the same options and data give the same model. Unlike
	// the flag (default 1), 0 is used as given.
	Seed uint64

	ValSplit float64 // share held out for validation [0.1]
	// TestSplit is the share held out for `siamese eval` [0.1]; a negative
	// value holds out none (0 being the default, as for every field).
	TestSplit float64
	// Split is how the data is divided: "classes" holds out whole classes,
	// "images" a share of every class, "auto" chooses by the data ["auto"].
	Split string

	// Augment varies the training images at random; the zero value is off.
	Augment Augment
	// Mining is how dissimilar pairs are chosen from epoch 2 on: "random",
	// "semi-hard" or "hard" ["random"].
	Mining string

	// Progress, if set, is called after every epoch with what it measured.
	Progress func(Epoch)
	// Log, if set, receives the run's messages (the data and split it
	// uses) and its warnings, one per line; the warnings are in
	// Summary.Warnings too.
	Log io.Writer
}

// Class is one class of an in-memory data set.
type Class struct {
	Name   string
	Images []image.Image
}

// Layer is one layer of the tower. Kind is "conv", "relu", "maxpool",
// "dense", "batchnorm", "dropout", "l2norm", "gap" or "residual"; the other
// fields are the parameters of the kinds that take them.
type Layer struct {
	Kind    string
	Filters int     // conv, residual: output channels
	Kernel  int     // conv: square kernel side [3]
	Pad     *int    // conv: zero padding [Kernel/2, "same"]
	Size    int     // maxpool: window side [2]
	Units   int     // dense: output width
	Rate    float64 // dropout: share of values zeroed
	Stride  int     // conv, residual: step between windows [1]
}

// DefaultLayers returns the tower Train uses when Options.Layers is nil.
func DefaultLayers() []Layer {
	var out []Layer
	for _, l := range network.DefaultLayers() {
		out = append(out, Layer{Kind: l.Kind, Filters: l.Filters, Kernel: l.Kernel, Pad: l.Pad,
			Size: l.Size, Units: l.Units, Rate: l.Rate, Stride: l.Stride})
	}
	return out
}

func (l Layer) internal() network.Layer {
	return network.Layer{Kind: l.Kind, Filters: l.Filters, Kernel: l.Kernel, Pad: l.Pad,
		Size: l.Size, Units: l.Units, Rate: l.Rate, Stride: l.Stride}
}

// Augment sets the random variations of training images. Each image of
// each pair gets its own draw.
type Augment struct {
	Shift      float64 // largest shift, in pixels
	Rotate     float64 // largest rotation, in degrees
	FlipH      bool    // mirror left-right half of the time
	Brightness float64 // largest relative brightness change
	Scale      float64 // largest relative zoom (0.1: 0.9x to 1.1x)
	Shear      float64 // largest horizontal shear, in degrees
	Hue        float64 // largest hue rotation of colour images, in degrees
	Gray       float64 // probability of dropping a colour image's colour
}

// Epoch is what one epoch measured.
type Epoch struct {
	Epoch       int     // 1-based
	TrainLoss   float64 // mean over the epoch's steps
	ValLoss     float64
	ValAccuracy float64 // at Threshold
	Threshold   float64 // the distance that best separates the validation pairs
	LR          float64 // learning rate
	Seconds     float64
	PairsPerSec float64
	// ValOneShot is the validation one-shot accuracy, ValOneShotWay-way,
	// when trials ran (see Options.ValOneShot); 0 otherwise.
	ValOneShot    float64
	ValOneShotWay int
	Best          bool // the best epoch so far, by Options.SelectBy (a tie to the lower validation loss)
}

// Summary is what a training run did and measured.
type Summary struct {
	Data  string // the folder, "builtin:fashion", or "memory" for Classes
	Split string // "images" or "classes"
	// Classes and the image counts leave out the files that could not be
	// read (each is named in Warnings).
	Classes     int
	TrainImages int
	ValImages   int
	TestImages  int
	Epochs      int // epochs run
	BestEpoch   int // the epoch whose weights the model holds
	Pairs       int // training pairs seen
	// TrainSeconds and PairsPerSec time the epochs, not the loading.
	TrainSeconds float64
	PairsPerSec  float64
	ValLoss      float64 // of the best epoch
	ValAccuracy  float64 // of the best epoch, at Threshold
	Threshold    float64 // the model's distance threshold
	Loss         string
	Margin       float64 // the loss's, or for ntxent Options.Margin (see there)
	History      []Epoch
	// Warnings are every warning the run gave, as Log has them (without
	// the "warning: " prefix).
	Warnings []string
}

// memoryName names an in-memory data set in the Summary and in errors.
const memoryName = "memory"

// memoryRecord names an in-memory data set in the run's log and in the
// model file, as the data it was split from: eval knows it and asks for
// --data rather than look for a folder.
const memoryRecord = dataset.InMemory

// Train trains a model as the options say and returns it with a summary.
// The model holds the weights of the best epoch by Options.SelectBy (the
// lowest validation loss, or on a class split the best one-shot accuracy)
// and the threshold that epoch measured.
//
// When ctx ends, training stops after the current step; the error then
// wraps ctx's cause (errors.Is(err, context.Canceled) holds) and the
// summary tells how many epochs finished.
func Train(ctx context.Context, o Options) (*Model, Summary, error) {
	to, err := o.internal()
	if err != nil {
		return nil, Summary{}, fmt.Errorf("train: %w", err)
	}
	rep := &reporter{progress: o.Progress, log: to.Log}
	to.Report = rep
	if to.Out == "" {
		// The trainer saves what it trains; without Out that is a file of
		// our own, read back and removed.
		dir, err := os.MkdirTemp("", "siamese-train-")
		if err != nil {
			return nil, Summary{}, fmt.Errorf("train: %w", err)
		}
		defer os.RemoveAll(dir)
		to.Out = filepath.Join(dir, "model.safetensors")
	}
	s, err := train.Run(ctx, to)
	if errors.Is(err, train.ErrInterrupted) {
		sum := Summary{Data: dataName(s.Data), Epochs: s.Epochs, Pairs: s.Pairs, Warnings: rep.warnings}
		return nil, sum, fmt.Errorf("train: %w after %d epochs: %w", err, s.Epochs, context.Cause(ctx))
	}
	if err != nil {
		return nil, Summary{Warnings: rep.warnings}, fmt.Errorf("train: %w", err)
	}
	m, err := model.Load(to.Out)
	if err != nil {
		return nil, Summary{}, fmt.Errorf("train: read back the model: %w", err)
	}
	return &Model{m: m}, summaryOf(s, rep.warnings), nil
}

// internal maps the options onto the trainer's, filling the CLI's defaults.
func (o Options) internal() (train.Options, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defs := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	if o.TimeBudget > 0 && o.Epochs == 0 {
		o.Epochs = train.MaxBudgetEpochs // the budget decides, as the doc says
	}
	def(&o.Epochs, 10)
	def(&o.BatchSize, 64)
	def(&o.ImagesPerClass, 4)
	def(&o.PairsPerEpoch, 20000)
	def(&o.ValPairs, 2000)
	deff(&o.Margin, 1)
	deff(&o.LearningRate, 0.001)
	deff(&o.ValSplit, 0.1)
	deff(&o.TestSplit, 0.1)
	if o.TestSplit < 0 {
		o.TestSplit = 0 // none held out: 0 itself is the default
	}
	defs(&o.Optimizer, "adam")
	defs(&o.Schedule, "none")
	defs(&o.Mining, "random")
	t := train.Options{
		Data: o.Data, Out: o.Out, Size: o.Size, Channels: o.Channels, Resize: o.Resize, MaxPixels: o.MaxPixels,
		ValSplit: o.ValSplit, TestSplit: o.TestSplit, Split: o.Split,
		Margin: o.Margin, Log: o.Log, Warnings: o.Log,
		Loop: train.LoopOptions{
			Epochs: o.Epochs, BatchSize: o.BatchSize, PairsPerEpoch: o.PairsPerEpoch, ValPairs: o.ValPairs,
			Optimizer: o.Optimizer, LearningRate: o.LearningRate, Schedule: o.Schedule,
			WeightDecay: o.WeightDecay, ClipNorm: o.ClipNorm, Patience: o.Patience, Seed: o.Seed,
			Augment: augment.Options{Shift: o.Augment.Shift, Rotate: o.Augment.Rotate, FlipH: o.Augment.FlipH, Brightness: o.Augment.Brightness,
				Scale: o.Augment.Scale, Shear: o.Augment.Shear, Hue: o.Augment.Hue, Gray: o.Augment.Gray},
			// The CLI's pool and share for mined pairs.
			Mining: o.Mining, MiningPool: 2000, MiningFraction: 0.5,
			TimeBudget: o.TimeBudget, SelectBy: o.SelectBy, OneShotWay: o.ValOneShot, Batches: o.Batches, ImagesPerClass: o.ImagesPerClass,
		},
	}
	if t.Log == nil {
		t.Log, t.Warnings = io.Discard, io.Discard
	}
	for _, l := range o.Layers {
		t.Layers = append(t.Layers, l.internal())
	}
	if !(o.Margin > 0 && !math.IsInf(o.Margin, 0)) {
		// Contrastive would panic on it; every other bad option is an error.
		return train.Options{}, fmt.Errorf("Margin must be a finite number > 0, got %v", o.Margin)
	}
	if o.Loss == nil {
		o.Loss = Contrastive(o.Margin)
	}
	if err := checkLoss(o.Loss, o.Batches); err != nil {
		return train.Options{}, err
	}
	t.Loss = internalLoss(o.Loss, o.Margin)
	// The model records the loss's own parameters; a loss without a margin
	// (ntxent) records Options.Margin, as the CLI records its --margin,
	// since the trainer wants one > 0 whatever the loss.
	p := t.Loss.Params()
	t.LossName, t.HuberDelta, t.Temperature = t.Loss.Name(), p.Delta, p.Temperature
	if p.Margin > 0 {
		t.Margin = p.Margin
	}
	if o.Classes != nil {
		cs := make([]dataset.MemoryClass, len(o.Classes))
		for i, c := range o.Classes {
			cs[i] = dataset.MemoryClass{Name: c.Name, Images: c.Images}
		}
		ix, err := dataset.FromImages(memoryName, cs)
		if err != nil {
			return t, err
		}
		ix.Root = memoryRecord
		t.Index = ix
	}
	return t, nil
}

// checkLoss refuses, before any data loads, a loss the trainer would
// refuse later in the CLI's words, or record in the model file as
// something it is not.
func checkLoss(l Loss, batches string) error {
	name := l.Name()
	if name == "" {
		return errors.New("the loss has an empty Name(); the model records it, and messages name it")
	}
	if _, builtin := l.(builtinLoss); builtin {
		return nil
	}
	if slices.Contains(LossNames(), name) {
		// The model file would record it as the built-in loss, which
		// `siamese` would then rebuild in its place.
		return fmt.Errorf("the loss of your own is named %q, a built-in loss's name: give it a name of its own (the model file records it)", name)
	}
	if batches == train.BatchesClasses {
		return fmt.Errorf("loss %s is a pair loss of your own (Value and Grad over the distances of given pairs) and cannot train on class batches: "+
			"leave Batches \"pairs\" (the default), or use a built-in loss that compares every pair of a class batch "+
			"(Contrastive, or LossByName \"triplet\" or \"ntxent\")", name)
	}
	return nil
}

// reporter passes epochs to the caller's callback and collects warnings.
type reporter struct {
	progress func(Epoch)
	log      io.Writer
	warnings []string
}

func (r *reporter) EpochStart(epoch, epochs, steps int)      {}
func (r *reporter) Step(step int, loss, pairsPerSec float64) {}
func (r *reporter) EpochEnd(e train.EpochResult) {
	if r.progress != nil {
		r.progress(epochOf(e))
	}
}
func (r *reporter) Warn(msg string) {
	r.warnings = append(r.warnings, msg)
	fmt.Fprintf(r.log, "warning: %s\n", msg)
}

func epochOf(e train.EpochResult) Epoch {
	return Epoch{Epoch: e.Epoch, TrainLoss: e.TrainLoss, ValLoss: e.ValLoss, ValAccuracy: e.ValAccuracy,
		Threshold: e.Threshold, LR: e.LR, Seconds: e.Seconds, PairsPerSec: e.PairsPerSec,
		ValOneShot: e.OneShot, ValOneShotWay: e.OneShotWay, Best: e.Best}
}

// dataName is the Summary's name for the data the trainer names name.
func dataName(name string) string {
	if name == memoryRecord {
		return memoryName
	}
	return name
}

func summaryOf(s *train.Summary, warnings []string) Summary {
	out := Summary{
		Data: dataName(s.Data), Split: s.Split, Classes: s.Classes,
		TrainImages: s.TrainImages, ValImages: s.ValImages, TestImages: s.TestImages,
		Epochs: s.Epochs, BestEpoch: s.BestEpoch, Pairs: s.Pairs,
		TrainSeconds: s.TrainSeconds, PairsPerSec: s.PairsPerSec,
		ValLoss: s.ValLoss, ValAccuracy: s.ValAccuracy, Threshold: s.Threshold,
		Loss: s.Loss, Margin: s.Margin, Warnings: warnings,
	}
	for _, e := range s.History {
		out.History = append(out.History, epochOf(e))
	}
	return out
}
