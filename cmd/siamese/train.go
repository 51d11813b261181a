package main

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/siamese-dev/siamese/internal/augment"
	"github.com/siamese-dev/siamese/internal/contrastive"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/optimize"
	"github.com/siamese-dev/siamese/internal/pairs"
	"github.com/siamese-dev/siamese/internal/train"
)

func newTrainCmd() *cobra.Command {
	o := train.Options{}
	var config string
	var jsonOut, augmentOn bool
	var cacheFlag string
	losses := strings.Join(contrastive.NewRegistry().Names(), ", ")
	cmd := &cobra.Command{
		Use:   "train [--data DIR] [flags]",
		Short: "Train a Siamese network on a folder of class sub-folders",
		Long: `Train twin CNN towers sharing one set of weights on balanced similar /
dissimilar pairs drawn from DIR/<class>/<image> (PNG, JPEG, GIF, BMP, TIFF).
Without --data, trains on a built-in sample of Fashion-MNIST. Images in nested
folders count for their top-level class (DIR/cat/indoor/1.png is a cat);
hidden files and files without an image extension (.DS_Store, Thumbs.db,
README.txt) are ignored. An image that cannot be read is skipped with a
warning naming it (--strict makes it an error).

The contrastive loss is mean(y*d^2 + (1-y)*max(margin-d, 0)^2) with y=1 for a
SIMILAR pair (Hadsell, Chopra and LeCun 2006 write it with y=0 for similar).
huber and mse regress the distance onto 0 (similar) or the margin (dissimilar).

The data is split into train / validation / test (--split): with 30 classes
or more, or classes too small to share out, whole classes are held out, so
validation and 'siamese eval' measure classes the model never saw (what a
Siamese network is for); otherwise a share of every class's images. The first
line says which and why. After training the distance threshold that
maximises validation accuracy is stored in the model, and 'siamese eval'
later measures the held-out test part.

--batches classes trains on batches of several classes with a few images
each, the loss comparing every pair in the batch (contrastive, triplet or
ntxent); configs/oneshot.yaml uses it for classes the model will never see.
--time-budget stops on time, with the learning-rate schedule laid over it.

A checkpoint is written after every epoch next to the model (one that
cannot be written is warned about, and training goes on); Ctrl-C stops,
keeping the last checkpoint saved and its log, and --resume continues from
it. A Ctrl-C while the images load ends the run at once.`,
		Args: wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config != "" {
				// What the command line did not set and the file did,
				// for the log's "set in FILE".
				before := map[string]bool{}
				cmd.Flags().Visit(func(f *pflag.Flag) { before[f.Name] = true })
				layers, err := applyConfig(cmd, config)
				if err != nil {
					return err
				}
				o.Layers = layers
				o.Configured = map[string]string{}
				cmd.Flags().Visit(func(f *pflag.Flag) {
					if !before[f.Name] {
						o.Configured[f.Name] = config
					}
				})
			}
			if augmentOn {
				fl := cmd.Flags()
				if !fl.Changed("augment-shift") {
					o.Loop.Augment.Shift = 2
				}
				if !fl.Changed("augment-rotate") {
					o.Loop.Augment.Rotate = 10
				}
				if !fl.Changed("augment-brightness") {
					o.Loop.Augment.Brightness = 0.1
				}
			}
			if cmd.Flags().Changed("augment") && !augmentOn {
				// --augment=false means none, whatever --augment-* values
				// a config file sets.
				o.Loop.Augment = augment.Options{}
			}
			warnUnused(cmd, o)
			if cmd.Flags().Changed("temperature") && o.Temperature == 0 {
				// 0 is the Go API's "the default"; asked for, it is an error,
				// as a negative one is.
				return fmt.Errorf("%s loss: temperature must be > 0, got 0", contrastive.NameNTXent)
			}
			// The budget decides the epochs unless --epochs caps it: given
			// on the command line, or in the config file that sets the
			// budget too. A preset's epochs (every preset has them) are its
			// schedule without a budget: they cut a command-line budget
			// short, with its learning-rate schedule unfinished.
			_, epochsInFile := o.Configured["epochs"]
			_, budgetInFile := o.Configured["time-budget"]
			capped := cmd.Flags().Changed("epochs") && (!epochsInFile || budgetInFile)
			if o.Loop.TimeBudget > 0 && !capped {
				o.Loop.Epochs = train.MaxBudgetEpochs // the budget decides
			}
			o.Log, o.Warnings = cmd.OutOrStdout(), cmd.ErrOrStderr()
			if jsonOut {
				o.Log = cmd.ErrOrStderr()
			}
			// As every command: "siamese train --json > summary.json" typed
			// at a terminal shows its bars too.
			o.Progress = progressTo(cmd)
			o.Cache = openCache(cacheFlag, warner(cmd))
			o.Started = cleanStop(cmd)
			sum, err := train.Run(cmd.Context(), o)
			if errors.Is(err, train.ErrInterrupted) {
				if sum.Checkpoint != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "interrupted: checkpoint of epoch %d kept in %s; continue with the same command and --resume\n", sum.CheckpointEpoch, sum.Checkpoint)
				} else if sum.Epochs > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "interrupted after epoch %d, whose checkpoints could not be saved (see the warnings); nothing kept\n", sum.Epochs)
				} else {
					fmt.Fprintln(cmd.ErrOrStderr(), "interrupted before the first epoch finished; nothing saved")
				}
				if jsonOut {
					// What the script that waits on this run needs: the
					// summary of a finished run would be mostly zeros.
					if err := writeJSON(cmd.OutOrStdout(), interruptedRun{
						Interrupted: true, Model: o.Out, Epochs: sum.Epochs, Pairs: sum.Pairs,
						Checkpoint: sum.Checkpoint, CheckpointEpoch: sum.CheckpointEpoch,
					}); err != nil {
						return err
					}
				}
				return exitCode(interruptStatus(cmd.Context()))
			}
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), sum)
			}
			unit := sum.Unit
			fmt.Fprintf(cmd.OutOrStdout(), "saved %s: best epoch %d, val accuracy %.4f at threshold %.4f (%d %s in %.1fs, %.0f %s/s)\n",
				sum.Model, sum.BestEpoch, sum.ValAccuracy, sum.Threshold, sum.Pairs, unit, sum.TrainSeconds, sum.PairsPerSec, unit)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "folder of class sub-folders (DIR/<class>/<image>); default: built-in Fashion-MNIST sample")
	f.StringVar(&o.Out, "out", "siamese.safetensors", "model file to write")
	f.StringVar(&config, "config", "", "YAML file of flag values (long names as keys) and layers; flags on the command line win")
	f.BoolVar(&jsonOut, "json", false, "print a JSON summary on stdout (epoch lines go to stderr)")
	f.StringVar(&o.LossName, "loss", "contrastive", "loss: "+losses)
	f.Float64Var(&o.Margin, "margin", 1, "margin: dissimilar pairs are pushed at least this far apart")
	f.Float64Var(&o.HuberDelta, "huber-delta", 1, "delta of the huber loss")
	f.IntVar(&o.Loop.Epochs, "epochs", 10, "passes over freshly drawn pairs")
	f.IntVar(&o.Loop.BatchSize, "batch-size", 64, "pairs per step")
	f.IntVar(&o.Loop.PairsPerEpoch, "pairs-per-epoch", 20000, "training pairs drawn per epoch (balanced similar/dissimilar)")
	f.IntVar(&o.Loop.ValPairs, "val-pairs", 2000, "validation pairs measured after each epoch")
	f.Float64Var(&o.Loop.LearningRate, "lr", 0.001, "learning rate")
	f.StringVar(&o.Loop.Optimizer, "optimizer", "adam", "optimizer: "+strings.Join(optimize.Names(), ", "))
	f.StringVar(&o.Loop.Schedule, "lr-schedule", "none", "learning-rate schedule: "+strings.Join(train.Schedules(), ", "))
	f.Float64Var(&o.Loop.WeightDecay, "weight-decay", 0, "decoupled weight decay per step (0: off)")
	f.Float64Var(&o.Loop.ClipNorm, "clip-norm", 0, "clip the gradients' joint L2 norm to this (0: off)")
	f.IntVar(&o.Loop.Patience, "patience", 3, "stop after this many epochs without a better validation score (see --select-by; 0: never); the best epoch is kept either way")
	f.Uint64Var(&o.Loop.Seed, "seed", 1, "seed for the split, the initial weights and the pairs")
	f.Var(autoInt{p: &o.Size, check: checkSize}, "size", "images are resized to size x size (auto: median shorter side of 50 sampled images, within 28..128, a multiple of 4)")
	f.Var(autoInt{p: &o.Channels, check: checkChannels}, "channels", "1 (gray), 3 (RGB) or auto (3 when any of 50 sampled images is colour)")
	f.StringVar(&o.Resize, "resize", "auto", "squash (stretch to size x size), crop (shorter side to size, centre crop), pad (longer side to size, pad with the border colour); auto: crop when most sampled images are over 5% off square, else squash")
	f.StringVar(&cacheFlag, "cache-dir", "", "cache of decoded images, reused by the next run over the same folder (default: the user's cache folder/siamese; off: no cache)")
	f.StringVar(&o.Split, "split", "auto", "hold out whole classes (classes), a share of every class's images (images), or choose (auto: classes with 30+ classes or small classes)")
	f.Float64Var(&o.ValSplit, "val-split", 0.1, "fraction held out for validation: of each class's images, or of the classes with --split classes")
	f.Float64Var(&o.TestSplit, "test-split", 0.1, "fraction held out for 'siamese eval': of each class's images, or of the classes with --split classes")
	f.StringVar(&o.Loop.SelectBy, "select-by", "auto", "what keeps the best epoch and drives --patience: loss, accuracy, one-shot (auto: one-shot on a class split, else loss)")
	f.IntVar(&o.Loop.OneShotWay, "val-one-shot", 0, "N-way one-shot trials on the validation images every epoch (0: 10-way, or fewer, on a class split; off otherwise)")
	f.DurationVar(&o.Loop.TimeBudget, "time-budget", 0, "stop training after this long (e.g. 10m), with the learning-rate schedule spread over it; --epochs given with it (not a preset's) then only caps")
	f.StringVar(&o.Loop.Batches, "batches", "pairs", "pairs: each step trains on --batch-size pairs; classes: each step embeds --batch-size images, --images-per-class of each class, and the loss compares every pair among them")
	f.IntVar(&o.Loop.ImagesPerClass, "images-per-class", 4, "images of each class in a --batches classes batch")
	f.Float64Var(&o.Temperature, "temperature", 0.1, "temperature of the ntxent loss")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable image instead of skipping it")
	f.BoolVar(&o.Resume, "resume", false, "continue from the checkpoint next to --out")
	f.BoolVar(&augmentOn, "augment", false, "augment training images: shift 2 px, rotate 10 deg, brightness 0.1 (the --augment-* flags change each)")
	f.Float64Var(&o.Loop.Augment.Shift, "augment-shift", 0, "max random shift in pixels")
	f.Float64Var(&o.Loop.Augment.Rotate, "augment-rotate", 0, "max random rotation in degrees")
	f.BoolVar(&o.Loop.Augment.FlipH, "augment-flip", false, "mirror left-right at random (objects and faces, not glyphs)")
	f.Float64Var(&o.Loop.Augment.Brightness, "augment-brightness", 0, "max relative brightness change")
	f.Float64Var(&o.Loop.Augment.Scale, "augment-scale", 0, "max relative zoom (0.1: 0.9x to 1.1x)")
	f.Float64Var(&o.Loop.Augment.Shear, "augment-shear", 0, "max horizontal shear in degrees")
	f.Float64Var(&o.Loop.Augment.Hue, "augment-hue", 0, "max hue rotation in degrees (colour images)")
	f.Float64Var(&o.Loop.Augment.Gray, "augment-gray", 0, "probability of dropping the colour of a training image (colour images)")
	f.StringVar(&o.Loop.Mining, "mining", "random", "dissimilar pairs: random, semi-hard or hard (mined from current embeddings from epoch 2)")
	f.IntVar(&o.Loop.MiningPool, "mining-pool", 2000, "training images embedded per epoch to mine from")
	f.Float64Var(&o.Loop.MiningFraction, "mining-fraction", 0.5, "share of the dissimilar pairs replaced by mined ones")
	completeValues(cmd, "loss", contrastive.NewRegistry().Names()...)
	completeValues(cmd, "optimizer", optimize.Names()...)
	completeValues(cmd, "lr-schedule", train.Schedules()...)
	completeValues(cmd, "resize", append([]string{"auto"}, dataset.ResizeModes()...)...)
	completeValues(cmd, "split", dataset.SplitModes()...)
	completeValues(cmd, "select-by", append([]string{"auto"}, train.SelectModes()...)...)
	completeValues(cmd, "batches", train.BatchModes()...)
	completeValues(cmd, "mining", pairs.MiningModes()...)
	completeValues(cmd, "channels", "auto", "1", "3")
	return cmd
}

// interruptedRun is train --json's answer when Ctrl-C or SIGTERM stopped
// the run: the model was not written; the checkpoint, if any, holds the
// epochs finished.
type interruptedRun struct {
	Interrupted     bool   `json:"interrupted"`
	Model           string `json:"model"`  // the file --out would have written
	Epochs          int    `json:"epochs"` // finished
	Pairs           int    `json:"pairs"`
	Checkpoint      string `json:"checkpoint,omitempty"`
	CheckpointEpoch int    `json:"checkpoint_epoch,omitempty"`
}

// warnUnused warns about flags given (on the command line or in the config)
// that the chosen loss, batches or mining do not use: they were silently
// ignored, so a user tuning one saw no change and no reason.
func warnUnused(cmd *cobra.Command, o train.Options) {
	loss := cmp.Or(o.LossName, contrastive.NameContrastive)
	batches := cmp.Or(o.Loop.Batches, train.BatchesPairs)
	mining := cmp.Or(o.Loop.Mining, pairs.MiningRandom)
	for _, u := range []struct {
		flag   string
		unused bool
		why    string
	}{
		{"temperature", loss != contrastive.NameNTXent, "it is the ntxent loss's, and --loss is " + loss},
		{"huber-delta", loss != contrastive.NameHuber, "it is the huber loss's, and --loss is " + loss},
		{"margin", loss == contrastive.NameNTXent, "the ntxent loss has no margin"},
		{"images-per-class", batches != train.BatchesClasses, "it sizes --batches classes, and --batches is " + batches},
		{"mining-pool", mining == pairs.MiningRandom, "it is for --mining semi-hard or hard"},
		{"mining-fraction", mining == pairs.MiningRandom, "it is for --mining semi-hard or hard"},
	} {
		if u.unused && cmd.Flags().Changed(u.flag) {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: --%s has no effect here: %s\n", u.flag, u.why)
		}
	}
}
