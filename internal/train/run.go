package train

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/siamese-dev/siamese/internal/augment"
	"github.com/siamese-dev/siamese/internal/contrastive"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
	"github.com/siamese-dev/siamese/internal/optimize"
	"github.com/siamese-dev/siamese/internal/pairs"
	"github.com/siamese-dev/siamese/internal/traininglog"
)

// Options is everything `siamese train` needs; the CLI fills it from flags.
type Options struct {
	Data string // folder of class sub-folders; "" for the built-in set
	// Index, when set, is the data set itself (images a Go caller holds in
	// memory, see dataset.FromImages) and Data is ignored.
	Index *dataset.Index
	Out   string // model file
	// Size, Channels and Resize are the preprocessing; 0 (or "") means
	// choose from the data (dataset.Defaults) and say why on Log.
	Size     int
	Channels int
	Resize   string
	// Configured names the settings a config file set, by flag name, and
	// the file: the log says where a value it did not choose came from.
	Configured map[string]string
	// Cache, when set, keeps decoded images between runs.
	Cache     *dataset.Cache
	ValSplit  float64
	TestSplit float64
	// Split is how the data is divided: dataset.SplitClasses holds out
	// whole classes, dataset.SplitImages a share of every class, and
	// dataset.SplitAuto (or "") chooses by dataset.Index.ChooseSplit.
	Split     string
	MaxPixels int
	Strict    bool // a bad image is an error instead of a warning
	Layers    []network.Layer
	// Loss is used as given when set (a Go caller's own loss); otherwise
	// LossName is looked up in Registry (or the built-in registry).
	Loss       contrastive.Loss
	LossName   string
	Margin     float64
	HuberDelta float64
	// Temperature is the ntxent loss's (0: its default).
	Temperature float64
	Registry    *contrastive.Registry
	Loop        LoopOptions
	Resume      bool
	Workers     int
	// Out streams: epoch lines and warnings. Progress bars are drawn on
	// Progress when it is non-nil (a terminal).
	Log      io.Writer
	Warnings io.Writer // default: Log
	Progress io.Writer
	// Report, when set, is told about progress and warnings instead of
	// the text lines on Log and Warnings and the bars on Progress.
	Report Reporter
	// Started, if not nil, is called once the data are loaded, as the
	// first epoch begins: from then on cancelling Run's context stops it
	// cleanly with a checkpoint, where before there is nothing to keep
	// (the CLI ends at once on an interrupt until then).
	Started func()
}

// MaxBudgetEpochs is the epochs of a run that a time budget ends: the
// budget decides, where Epochs was not given (CLI and Go API alike).
const MaxBudgetEpochs = 1_000_000

// Summary is what a run reports at the end (`--json` prints it).
type Summary struct {
	Model       string `json:"model"`
	Data        string `json:"data"`
	Split       string `json:"split"`
	SplitReason string `json:"split_reason"`
	// SmallFolder: the image split held out 2 images of each class large
	// enough, as the fractions rounded to no validation pair (dataset's
	// split rule, step 2b).
	SmallFolder  bool `json:"small_folder,omitempty"`
	TrainClasses int  `json:"train_classes"`
	ValClasses   int  `json:"val_classes"`
	TestClasses  int  `json:"test_classes"`
	Classes      int  `json:"classes"`
	TrainImages  int  `json:"train_images"`
	ValImages    int  `json:"val_images"`
	TestImages   int  `json:"test_images"`
	SkippedFiles int  `json:"skipped_files"`
	Epochs       int  `json:"epochs"`
	BestEpoch    int  `json:"best_epoch"`
	// Pairs and PairsPerSec count what a step trains on, Unit: pairs,
	// or on class batches images (StepUnit).
	Pairs        int           `json:"pairs"`
	Unit         string        `json:"unit"`
	TrainSeconds float64       `json:"train_seconds"`
	PairsPerSec  float64       `json:"pairs_per_s"`
	ValLoss      float64       `json:"val_loss"`
	ValAccuracy  float64       `json:"val_accuracy"`
	ValOneShot   float64       `json:"val_one_shot,omitempty"`
	OneShotWay   int           `json:"val_one_shot_way,omitempty"`
	SelectBy     string        `json:"select_by"`
	Batches      string        `json:"batches"`
	Threshold    float64       `json:"threshold"`
	Loss         string        `json:"loss"`
	Margin       float64       `json:"margin"`
	History      []EpochResult `json:"history"`
	Interrupted  bool          `json:"interrupted,omitempty"`
	// Checkpoint is the file an interrupted run left, of epoch
	// CheckpointEpoch: the last one saved, which may be earlier than
	// Epochs when a save failed.
	Checkpoint      string `json:"checkpoint,omitempty"`
	CheckpointEpoch int    `json:"checkpoint_epoch,omitempty"`

	// Augment and Mining are the settings the loop trained with, after
	// --config and the --augment defaults, so a user can check them.
	Augment augment.Options `json:"augment"`
	Mining  string          `json:"mining"`

	// The preprocessing trained with, given or chosen from the data (see
	// dataset.Defaults).
	Size     int    `json:"size"`
	Channels int    `json:"channels"`
	Resize   string `json:"resize"`

	// GemmKernels is the matrix-product kernel set the run used (chosen by
	// timing, or SIAMESE_KERNELS), which speed comparisons need to know.
	GemmKernels string `json:"gemm_kernels"`
}

func (o *Options) validate() error {
	lo := o.Loop
	switch {
	case !(o.Margin > 0):
		return fmt.Errorf("--margin must be > 0, got %g", o.Margin)
	case lo.Epochs < 1:
		return fmt.Errorf("--epochs must be >= 1, got %d", lo.Epochs)
	case lo.BatchSize < 1:
		return fmt.Errorf("--batch-size must be >= 1, got %d", lo.BatchSize)
	case lo.PairsPerEpoch < lo.BatchSize:
		return fmt.Errorf("--pairs-per-epoch (%d) must be at least --batch-size (%d)", lo.PairsPerEpoch, lo.BatchSize)
	case !(lo.LearningRate > 0) || math.IsInf(lo.LearningRate, 0):
		return fmt.Errorf("--lr must be a finite number > 0, got %g", lo.LearningRate)
	case !(lo.WeightDecay >= 0) || math.IsInf(lo.WeightDecay, 0):
		return fmt.Errorf("--weight-decay must be a finite number >= 0, got %g", lo.WeightDecay)
	case o.Size != 0 && o.Size < 4:
		return fmt.Errorf("--size must be >= 4, got %d", o.Size)
	case o.Channels != 0 && o.Channels != 1 && o.Channels != 3:
		return fmt.Errorf("--channels must be 1, 3 or auto, got %d", o.Channels)
	case o.Resize != "" && o.Resize != "auto" && !slices.Contains(dataset.ResizeModes(), o.Resize):
		return fmt.Errorf("unknown --resize %q (valid: %s, auto)", o.Resize, strings.Join(dataset.ResizeModes(), ", "))
	case o.ValSplit <= 0 || o.ValSplit >= 1 || o.TestSplit < 0 || o.ValSplit+o.TestSplit >= 1:
		return fmt.Errorf("--val-split (%g) must be in (0,1), --test-split (%g) in [0,1), and they must sum to less than 1", o.ValSplit, o.TestSplit)
	case !slices.Contains(dataset.SplitModes(), o.Split) && o.Split != "":
		return fmt.Errorf("unknown --split %q (valid: %s)", o.Split, strings.Join(dataset.SplitModes(), ", "))
	case lo.ValPairs < 2:
		return fmt.Errorf("validation needs at least 2 pairs, got %d", lo.ValPairs)
	case lo.Patience < 0:
		return fmt.Errorf("--patience must be >= 0, got %d", lo.Patience)
	case !(lo.ClipNorm >= 0) || math.IsInf(lo.ClipNorm, 0):
		// +Inf would clip nothing while looking like a setting.
		return fmt.Errorf("--clip-norm must be a finite number >= 0, got %g", lo.ClipNorm)
	case lo.SelectBy != "" && lo.SelectBy != "auto" && !slices.Contains(SelectModes(), lo.SelectBy):
		return fmt.Errorf("unknown --select-by %q (valid: auto, %s)", lo.SelectBy, strings.Join(SelectModes(), ", "))
	case lo.Batches != "" && !slices.Contains(BatchModes(), lo.Batches):
		return fmt.Errorf("unknown --batches %q (valid: %s)", lo.Batches, strings.Join(BatchModes(), ", "))
	case lo.Batches == BatchesClasses && lo.ImagesPerClass == 1:
		// One image of each class: no similar pair in any batch, so
		// triplet and ntxent have nothing to learn from.
		return fmt.Errorf("--images-per-class must be at least 2 with --batches classes (a batch needs two images of a class for a similar pair), got 1")
	case lo.Batches == BatchesClasses && (lo.ImagesPerClass < 1 || lo.BatchSize%lo.ImagesPerClass != 0 || lo.BatchSize/lo.ImagesPerClass < 2):
		return fmt.Errorf("--batches classes needs --batch-size (%d) to be a multiple of --images-per-class (%d) with at least 2 classes per batch", lo.BatchSize, lo.ImagesPerClass)
	case lo.Batches == BatchesClasses && lo.Mining != "" && lo.Mining != pairs.MiningRandom:
		return fmt.Errorf("--mining %s picks pairs for --batches pairs; class batches compare every pair of the batch, so leave --mining random", lo.Mining)
	case lo.TimeBudget < 0:
		return fmt.Errorf("--time-budget must be >= 0, got %v", lo.TimeBudget)
	case lo.OneShotWay == 1 || lo.OneShotWay < 0:
		return fmt.Errorf("--val-one-shot must be 0 (off) or at least 2, got %d", lo.OneShotWay)
	case !slices.Contains(optimize.Names(), lo.Optimizer):
		return fmt.Errorf("unknown --optimizer %q (valid: %s)", lo.Optimizer, strings.Join(optimize.Names(), ", "))
	}
	if err := model.CheckWritable(o.Out); err != nil {
		return fmt.Errorf("--out %w", err)
	}
	if err := lo.Augment.Validate(); err != nil {
		return err
	}
	if lo.Mining != "" {
		if err := (&pairs.Miner{Mode: lo.Mining}).Validate(); err != nil {
			return err
		}
		if lo.MiningPool < 2 || lo.MiningFraction < 0 || lo.MiningFraction > 1 {
			return fmt.Errorf("--mining-pool must be >= 2 and --mining-fraction in [0,1], got %d and %g", lo.MiningPool, lo.MiningFraction)
		}
	}
	valid := false
	for _, s := range Schedules() {
		valid = valid || s == lo.Schedule
	}
	if !valid {
		return fmt.Errorf("unknown --lr-schedule %q (valid: %s)", lo.Schedule, strings.Join(Schedules(), ", "))
	}
	return nil
}

func (o *Options) loss() (contrastive.Loss, error) {
	if o.Loss != nil {
		return o.Loss, nil
	}
	reg := o.Registry
	if reg == nil {
		reg = contrastive.NewRegistry()
	}
	return reg.New(o.LossName, contrastive.Params{Margin: o.Margin, Delta: o.HuberDelta, Temperature: o.Temperature})
}

// fingerprint identifies the settings that must not change across a
// resume: a short hash, and the settings themselves as JSON, which a
// refused resume compares to say what changed.
func (o *Options) fingerprint(data string) (string, []byte) {
	lo := o.Loop
	// A resume may run longer or stop sooner.
	lo.Epochs, lo.Patience, lo.TimeBudget = 0, 0, 0
	b, _ := json.Marshal(struct {
		Data           string
		Split          string
		Size, Channels int
		Resize         string `json:",omitempty"` // "" for squash: old checkpoints keep their hash
		Val, Test      float64
		Layers         []network.Layer
		Loss           string
		Margin, Delta  float64
		Temperature    float64
		Loop           LoopOptions
	}{data, o.Split, o.Size, o.Channels, strings.TrimPrefix(o.Resize, dataset.ResizeSquash), o.ValSplit, o.TestSplit, o.Layers, o.LossName, o.Margin, o.HuberDelta, o.Temperature, lo})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8]), b
}

// settingsDiff lists the settings that differ between two fingerprints'
// JSON, as "name was A, now B", the names those of the fingerprint's
// fields (Loop.LearningRate, Margin, ...); nil if either does not parse.
func settingsDiff(was, now []byte) []string {
	var a, b map[string]any
	if json.Unmarshal(was, &a) != nil || json.Unmarshal(now, &b) != nil {
		return nil
	}
	flatA, flatB := map[string]string{}, map[string]string{}
	flattenJSON("", a, flatA)
	flattenJSON("", b, flatB)
	keys := slices.Sorted(maps.Keys(flatB))
	for k := range flatA {
		if _, ok := flatB[k]; !ok {
			keys = append(keys, k)
		}
	}
	var out []string
	for _, k := range keys {
		if flatA[k] != flatB[k] {
			out = append(out, fmt.Sprintf("%s was %s, now %s", k, cmp.Or(flatA[k], "unset"), cmp.Or(flatB[k], "unset")))
		}
	}
	return out
}

// flattenJSON writes v's leaves into out by dotted path; lists stay whole.
func flattenJSON(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			flattenJSON(strings.TrimPrefix(prefix+"."+k, "."), x, out)
		}
		return
	}
	b, _ := json.Marshal(v)
	out[prefix] = string(b)
}

// resolveValidation fills the validation settings left to the data: on a
// class split, every epoch runs one-shot trials on the validation classes
// (up to 10-way) and, under --select-by auto, they choose the best epoch,
// since unseen classes are what such a model is for. Otherwise the
// validation loss chooses (for a loss with no pair form, its value on fixed
// validation batches).
func (o *Options) resolveValidation(valIx *dataset.Index) error {
	lo := &o.Loop
	nVal := len(valIx.ClassNames())
	if lo.OneShotWay == 0 && o.Split == dataset.SplitClasses && nVal >= 2 {
		lo.OneShotWay = min(10, nVal)
	}
	if lo.OneShotWay > nVal {
		return fmt.Errorf("--val-one-shot %d needs %d validation classes, the split has %d", lo.OneShotWay, lo.OneShotWay, nVal)
	}
	if lo.OneShotTrials == 0 {
		lo.OneShotTrials = 1000
	}
	if lo.SelectBy == "" || lo.SelectBy == "auto" {
		lo.SelectBy = SelectLoss
		if lo.OneShotWay >= 2 && o.Split == dataset.SplitClasses {
			lo.SelectBy = SelectOneShot
		}
	}
	if lo.SelectBy == SelectOneShot && lo.OneShotWay < 2 {
		return fmt.Errorf("--select-by one-shot needs validation one-shot trials: pass --val-one-shot N (N >= 2)")
	}
	if lo.Batches == "" {
		lo.Batches = BatchesPairs
	}
	return nil
}

// fitClassBatches keeps class batches possible on data with fewer training
// classes than a batch asks for (MNIST's ten, say): the batch then holds
// every class, with as many images of each as fit in --batch-size.
func (o *Options) fitClassBatches(classes int) {
	lo := &o.Loop
	if lo.Batches != BatchesClasses || lo.ImagesPerClass < 1 || classes < 2 {
		return
	}
	if p := lo.BatchSize / lo.ImagesPerClass; classes < p {
		k := lo.BatchSize / classes
		fmt.Fprintf(o.Log, "class batches: %d classes × %d images (the training part has %d classes, fewer than the %d a batch of %d × %d asks for)\n",
			classes, k, classes, p, p, lo.ImagesPerClass)
		lo.ImagesPerClass, lo.BatchSize = k, classes*k
	}
}

// Run trains a model as the options say and saves it.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.Layers == nil {
		o.Layers = network.DefaultLayers()
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Warnings == nil {
		o.Warnings = o.Log
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	loss, err := o.loss()
	if err != nil {
		return nil, err
	}
	// Checked before the data loads, so a mistake costs no waiting.
	if err := checkBatches(loss, o.Loop.Batches); err != nil {
		return nil, err
	}
	if o.Resume {
		// Here, not only when the checkpoint is read after the data: a
		// missing one said so after the scan and the split.
		if _, err := os.Stat(model.CheckpointPath(o.Out)); errors.Is(err, fs.ErrNotExist) {
			// Said as LoadCheckpoint says it, which fails at once here.
			_, err := model.LoadCheckpoint(model.CheckpointPath(o.Out))
			return nil, fmt.Errorf("resume: %w (--resume continues an interrupted run with the same --out)", err)
		}
	}
	ix, dataName, err := o.source()
	if err != nil {
		return nil, err
	}
	// The split comes first: it decides what validation and eval mean.
	mode, why := o.Split, "chosen with --split"
	if mode == "" || mode == dataset.SplitAuto {
		mode, why = ix.ChooseSplit()
	}
	fmt.Fprintf(o.Log, "split %s: %s\n", mode, why)
	// Every warning from here on goes through rep, so that a caller's
	// Reporter (the Go API's Summary.Warnings) hears what the CLI prints.
	rep := o.reporter()
	// An interrupt ends the loop inside an epoch, with its bar drawn: the
	// line is cleared before the caller says what was kept.
	if tr, ok := rep.(*textReporter); ok {
		defer tr.finish()
	}
	for _, f := range ix.Ignored {
		rep.Warn(f.String())
	}
	if err := o.choosePreprocessing(ix); err != nil {
		return nil, err
	}
	if a := o.Loop.Augment; o.Channels == 1 && (a.Hue > 0 || a.Gray > 0) {
		// Known only now that the data has chosen the channels.
		rep.Warn("--augment-hue, --augment-gray: colour augmentation has no effect on gray images (channels 1)")
	}
	if a := o.Loop.Augment; a.Shift >= float64(o.Size) {
		// Every image would be moved out of its own frame.
		return nil, fmt.Errorf("--augment-shift %g must be below the image size, %d px", a.Shift, o.Size)
	}
	spec := network.Spec{Size: o.Size, Channels: o.Channels, Resize: o.Resize, Layers: o.Layers}
	if _, _, err := spec.Plan(); err != nil {
		return nil, fmt.Errorf("layers: %w", err)
	}
	if err := model.CheckSpec(spec, o.Loop.BatchSize); err != nil {
		return nil, fmt.Errorf("--size %d: %w", o.Size, err)
	}
	if dataName != dataset.BuiltinName && o.Index == nil {
		// Stored absolute, so eval finds the folder from any directory.
		if abs, err := filepath.Abs(dataName); err == nil {
			dataName = abs
		}
	}
	trainIx, valIx, testIx, err := ix.SplitBy(mode, o.ValSplit, o.TestSplit, o.Loop.Seed)
	if err != nil {
		return nil, err
	}
	small := mode == dataset.SplitImages && ix.SmallFolder(o.ValSplit, o.TestSplit)
	if small {
		test := ""
		if o.TestSplit > 0 {
			test = " (and of 8 or more, 2 for test as well)"
		}
		fmt.Fprintf(o.Log, "split images: classes too small for --val-split %g to hold out a pair: a class whose share is under 2 images holds out 2 for validation if it has 4 or more%s\n", o.ValSplit, test)
	}
	o.Split = mode
	if err := o.resolveValidation(valIx); err != nil {
		return nil, err
	}
	o.fitClassBatches(len(trainIx.ClassNames()))
	skipped := 0
	onBad := func(path string, err error) error {
		if o.Strict {
			return err
		}
		skipped++
		rep.Warn(fmt.Sprintf("skipping %v", err))
		return nil
	}
	if o.Cache != nil && o.Cache.Warn == nil {
		o.Cache.Warn = rep.Warn
	}
	loader := dataset.Loader{Size: o.Size, Channels: o.Channels, Resize: o.Resize, MaxPixels: o.MaxPixels, Cache: o.Cache}
	trainIm, err := o.loadImages(trainIx, loader, onBad, "train")
	if err != nil {
		return nil, err
	}
	defer trainIm.Close()
	valIm, err := o.loadImages(valIx, loader, onBad, "val")
	if err != nil {
		return nil, err
	}
	defer valIm.Close()
	// The test part is decoded too, only to be checked and counted: its
	// unreadable files are named now, not first by eval, and the counts
	// below are of images that can be read (it is a tenth of the data by
	// default, and with a cache decoded once).
	testIm, err := o.loadImages(testIx, loader, onBad, "test")
	if err != nil {
		return nil, err
	}
	nTestImages, nTestC := testIm.Len(), distinct(testIm.Labels)
	readable := readableClasses(trainIm, valIm, testIm)
	testIm.Close()
	if skipped > 0 {
		rep.Warn(fmt.Sprintf("skipped %d image(s), each named above", skipped))
	}
	trained := readableClasses(trainIm)
	warnUnreadableClasses(rep, ix.ClassNames(), readable, trained, mode)
	sampler, err := pairs.NewSampler(trainIm.Labels, o.Loop.Seed)
	if err != nil {
		return nil, fmt.Errorf("training pairs: %w", err)
	}
	// A few-shot folder may have hundreds of such classes: name a few and
	// count the rest rather than flood the terminal.
	singles := sampler.SingletonClasses()
	if o.Loop.Batches == BatchesClasses {
		// Class batches fill a class's places by repeating its images, so
		// a class of one image gives similar pairs after all: copies of
		// itself, identical without augmentation.
		singles = nil
		if small := len(sampler.ClassesSmallerThan(o.Loop.ImagesPerClass)); small > 0 {
			same := ", which without --augment are identical copies"
			if o.Loop.Augment.Enabled() {
				same = ", each copy augmented on its own"
			}
			rep.Warn(fmt.Sprintf("%d of %d classes have fewer than %d training images: class batches repeat their images%s", small, distinct(trainIm.Labels), o.Loop.ImagesPerClass, same))
		}
	}
	for k, c := range singles {
		if k == 3 && len(singles) > 4 {
			rep.Warn(fmt.Sprintf("%d more classes have one training image each", len(singles)-3))
			break
		}
		rep.Warn(fmt.Sprintf("class %q has one training image: it gives no similar pair, only dissimilar ones", trainIm.Classes[c]))
	}
	// The validation pairs are drawn in the loop (newPairSet); a sampler
	// here says first, in words about the split, whether they can be.
	vs, err := pairs.NewSampler(valIm.Labels, 0)
	if err != nil {
		remedy := "give at least 2 classes 4 images or more each (2 are then held out), or hold out whole classes with --split classes (6 classes or more)"
		if mode == dataset.SplitClasses {
			remedy = "add images to the classes, or hold out more of them with --val-split"
		}
		return nil, fmt.Errorf("data %s: the validation part holds %d image(s) of %d class(es), too few for both similar and dissimilar pairs; %s",
			dataName, len(valIm.Labels), distinct(valIm.Labels), remedy)
	}
	if !vs.Enough(o.Loop.ValPairs) {
		nSim, nDis := vs.Distinct()
		fmt.Fprintf(o.Log, "validation: %d images make %d similar and %d dissimilar pairs, too few for --val-pairs %d without repeats: %d of each are measured once\n",
			len(valIm.Labels), nSim, nDis, o.Loop.ValPairs, min(nSim, nDis))
	}
	// Classes and images that could be read: a class whose files all failed
	// is not one the model saw, nor one eval can test.
	nTrainC, nValC := len(trained), distinct(valIm.Labels)
	nClasses := len(readable)
	if mode == dataset.SplitClasses {
		fmt.Fprintf(o.Log, "data %s: %d classes, %d train / %d val / %d test classes, %d / %d / %d images\n",
			dataName, nClasses, nTrainC, nValC, nTestC, len(trainIm.Labels), len(valIm.Labels), nTestImages)
	} else {
		fmt.Fprintf(o.Log, "data %s: %d classes, %d train / %d val / %d test images\n",
			dataName, nClasses, len(trainIm.Labels), len(valIm.Labels), nTestImages)
	}

	// The data is loaded and nothing else runs yet: the quiet moment to
	// time the matrix kernels, which a run of minutes repays many times.
	linalg.ChooseKernels()
	net, err := network.New(spec, o.Loop.Seed)
	if err != nil {
		return nil, err
	}
	sizes := make([]int, len(net.Params))
	for i, p := range net.Params {
		sizes[i] = len(p.Data)
	}
	opt, err := optimize.New(o.Loop.Optimizer, sizes, optimize.Options{LearningRate: o.Loop.LearningRate, WeightDecay: o.Loop.WeightDecay})
	if err != nil {
		return nil, err
	}
	meta := model.Meta{
		Spec:    spec,
		Loss:    model.LossInfo{Name: loss.Name(), Margin: o.Margin, Delta: o.HuberDelta, Temperature: loss.Params().Temperature},
		Classes: ix.Classes,
		Split: model.SplitInfo{Data: dataName, Seed: o.Loop.Seed, Val: o.ValSplit, Test: o.TestSplit, Mode: mode,
			TrainFingerprint: trainIx.Fingerprint(), ValFingerprint: valIx.Fingerprint(), TestFingerprint: testIx.Fingerprint()},
	}
	if mode == dataset.SplitClasses {
		meta.Split.TrainClasses = trainIx.ClassNames()
	}
	ckptPath := model.CheckpointPath(o.Out)
	fp, settings := o.fingerprint(dataName)
	var st *State
	saved := 0 // the epoch of the checkpoint on disk
	if o.Resume {
		if st, err = resume(ckptPath, fp, settings, net, opt); err != nil {
			return nil, err
		}
		saved = st.Epoch
		fmt.Fprintf(o.Log, "resuming from %s after epoch %d\n", ckptPath, st.Epoch)
	}
	loop := &Loop{Net: net, Loss: loss, Train: trainIm, Val: valIm, Opts: o.Loop, Optim: opt, Report: rep,
		AfterEpoch: func(st *State) error {
			c := &model.Checkpoint{
				Model:     model.Model{Meta: meta, Net: net},
				Optimizer: opt.State(),
				Best:      st.Best,
				State: model.CheckpointState{Epoch: st.Epoch, BestEpoch: st.BestEpoch, BestValLoss: st.BestScore,
					BadEpochs: st.BadEpochs, Pairs: st.Pairs, Seconds: st.Seconds, Elapsed: st.Elapsed, Optimizer: o.Loop.Optimizer, OptionsHash: fp, Settings: settings},
			}
			if c.State.History, err = json.Marshal(st.History); err != nil {
				return err
			}
			// Loaded as a model (model.Load takes the best weights), the
			// checkpoint is what training would keep if it stopped here.
			if c.Meta, _, err = o.bestMeta(meta, st); err != nil {
				return err
			}
			// A checkpoint that cannot be written (a full disk: it holds
			// the optimiser's state too, four times the model) costs the
			// protection against Ctrl-C, not the training, whose model may
			// still fit.
			if err := model.SaveCheckpoint(ckptPath, c); err != nil {
				rep.Warn(fmt.Sprintf("%v; training goes on, but a Ctrl-C now keeps only the checkpoint saved before, if any", err))
				return nil
			}
			saved = st.Epoch
			return nil
		}}
	if o.Started != nil {
		o.Started()
	}
	st, err = loop.Run(ctx, st)
	if errors.Is(err, ErrInterrupted) {
		s := &Summary{Model: o.Out, Data: dataName, Interrupted: true, Epochs: st.Epoch, Pairs: st.Pairs}
		if saved > 0 {
			s.Checkpoint, s.CheckpointEpoch = ckptPath, saved
			// The curves so far help decide whether to resume. Named
			// after the checkpoint: a finished model of the same --out,
			// still beside it, keeps its own log.
			o.saveLog(rep, ckptPath, st, saved)
		}
		return s, err
	}
	if err != nil {
		return nil, err
	}

	// The net now holds the best epoch's weights, which that epoch measured
	// on the validation pairs; History survives a resume in the checkpoint.
	meta, best, err := o.bestMeta(meta, st)
	if err != nil {
		return nil, err
	}
	if err := model.Save(o.Out, &model.Model{Meta: meta, Net: net}); err != nil {
		return nil, err
	}
	o.saveLog(rep, o.Out, st, st.Epoch)
	// The finished model supersedes the checkpoint.
	// (Only a file: an empty folder of that name is the user's.)
	if st, err := os.Lstat(ckptPath); err == nil && !st.IsDir() {
		os.Remove(ckptPath)
		csv, png := traininglog.Paths(ckptPath)
		os.Remove(csv)
		os.Remove(png)
	}
	return &Summary{
		Model: o.Out, Data: dataName, Classes: nClasses, Split: mode, SplitReason: why, SmallFolder: small,
		Size: o.Size, Channels: o.Channels, Resize: o.Resize,
		TrainClasses: nTrainC, ValClasses: nValC, TestClasses: nTestC,
		TrainImages: len(trainIm.Labels), ValImages: len(valIm.Labels), TestImages: nTestImages,
		SkippedFiles: skipped, Epochs: st.Epoch, BestEpoch: st.BestEpoch, Pairs: st.Pairs,
		TrainSeconds: math.Round(st.Seconds*1e3) / 1e3, PairsPerSec: math.Round(float64(st.Pairs)/st.Seconds*10) / 10,
		GemmKernels: linalg.Kernels(),
		ValLoss:     best.ValLoss, ValAccuracy: best.ValAccuracy, Threshold: best.Threshold,
		ValOneShot: best.OneShot, OneShotWay: best.OneShotWay, SelectBy: o.Loop.SelectBy, Batches: o.Loop.Batches, Unit: StepUnit(o.Loop.Batches),
		Loss: loss.Name(), Margin: o.Margin, Augment: o.Loop.Augment, Mining: o.Loop.Mining, History: st.History,
	}, nil
}

// saveLog writes the per-epoch log (CSV) and its chart of epochs up to
// upTo next to model (the model, or an interrupted run's checkpoint);
// failing to write them does not undo the training, so it only warns.
func (o *Options) saveLog(rep Reporter, model string, st *State, upTo int) {
	// The kept epoch as of upTo: the last that was best when it ended
	// (a later one may be best now, in epochs whose checkpoint failed).
	kept := 0
	for _, h := range st.History {
		if h.Epoch <= upTo && h.Best {
			kept = h.Epoch
		}
	}
	epochLog := make([]traininglog.Epoch, 0, len(st.History))
	for _, h := range st.History {
		if h.Epoch > upTo {
			break
		}
		epochLog = append(epochLog, traininglog.Epoch{Epoch: h.Epoch, TrainLoss: h.TrainLoss, ValLoss: h.ValLoss, ValAccuracy: h.ValAccuracy,
			LR: h.LR, Seconds: h.Seconds, PairsPerSec: h.PairsPerSec,
			Threshold: h.Threshold, OneShot: h.OneShot, OneShotWay: h.OneShotWay, Kept: h.Epoch == kept})
	}
	if err := traininglog.Save(model, epochLog, KeptRule(o.Loop.SelectBy)); err != nil {
		rep.Warn(err.Error())
	}
}

// bestMeta is meta with the threshold and training figures of the best
// epoch so far, and that epoch's record.
func (o *Options) bestMeta(meta model.Meta, st *State) (model.Meta, EpochResult, error) {
	i := slices.IndexFunc(st.History, func(e EpochResult) bool { return e.Epoch == st.BestEpoch })
	if i < 0 {
		return meta, EpochResult{}, fmt.Errorf("training history has no record of the best epoch %d", st.BestEpoch)
	}
	best := st.History[i]
	meta.Threshold = best.Threshold
	meta.Training = model.Training{Epochs: st.Epoch, BestEpoch: st.BestEpoch, Pairs: st.Pairs, ValLoss: best.ValLoss, ValAccuracy: best.ValAccuracy,
		ValOneShot: best.OneShot, OneShotWay: best.OneShotWay, SelectBy: o.Loop.SelectBy,
		Optimizer: o.Loop.Optimizer, LearningRate: o.Loop.LearningRate, BatchSize: o.Loop.BatchSize}
	return meta, best, nil
}

func resume(path, fingerprint string, settings []byte, net *network.Net, opt optimize.Optimizer) (*State, error) {
	c, err := model.LoadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if c.State.OptionsHash != fingerprint {
		if diff := settingsDiff(c.State.Settings, settings); len(diff) > 0 {
			if len(diff) > 3 {
				diff = append(diff[:3], fmt.Sprintf("and %d more", len(diff)-3))
			}
			return nil, fmt.Errorf("resume: checkpoint %s was made with other settings: %s; run with the checkpoint's, or train afresh without --resume", path, strings.Join(diff, "; "))
		}
		return nil, fmt.Errorf("resume: checkpoint %s was made with other settings (data, size, layers, loss or training options differ)", path)
	}
	net.CopyFrom(c.Net)
	if err := opt.SetState(c.Optimizer); err != nil {
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	st := &State{Epoch: c.State.Epoch, BestEpoch: c.State.BestEpoch, BestScore: c.State.BestValLoss,
		BadEpochs: c.State.BadEpochs, Pairs: c.State.Pairs, Seconds: c.State.Seconds, Elapsed: c.State.Elapsed, Best: c.Best}
	if len(c.State.History) > 0 {
		if err := json.Unmarshal(c.State.History, &st.History); err != nil {
			return nil, fmt.Errorf("resume %s: bad history: %w", path, err)
		}
	}
	return st, nil
}

// readableClasses is the set of class names with at least one image that
// could be read, in any part.
func readableClasses(parts ...*dataset.Images) map[string]bool {
	out := map[string]bool{}
	for _, im := range parts {
		for _, l := range im.Labels {
			out[im.Classes[l]] = true
		}
	}
	return out
}

// warnUnreadableClasses names the classes left with no image that could be
// read (nothing else says a class was dropped: the skip warnings name
// files), and, on an image split, those left with none to train on: the
// model never sees them, yet eval would count them as seen. classes are
// the data's classes with files; readable and trained those with an image
// that could be read, in any part and in the training part.
func warnUnreadableClasses(rep Reporter, classes []string, readable, trained map[string]bool, mode string) {
	var none, untrained []string
	for _, c := range classes {
		switch {
		case !readable[c]:
			none = append(none, c)
		case mode == dataset.SplitImages && !trained[c]:
			untrained = append(untrained, c)
		}
	}
	// Few named, the rest counted, as for classes of one image.
	say := func(names []string, one, more string) {
		for k, c := range names {
			if k == 3 && len(names) > 4 {
				rep.Warn(fmt.Sprintf(more, len(names)-3))
				return
			}
			rep.Warn(fmt.Sprintf(one, c))
		}
	}
	say(none, "class %q has no image that could be read: it is left out", "%d more classes have no image that could be read")
	say(untrained, "class %q has no training image that could be read: the model does not train on it", "%d more classes have no training image that could be read")
}

func distinct(labels []int) int {
	seen := map[int]bool{}
	for _, l := range labels {
		seen[l] = true
	}
	return len(seen)
}
