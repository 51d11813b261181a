package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/verify"
)

func newCalibrateCmd() *cobra.Command {
	o := verify.CalibrateOptions{}
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "calibrate --data DIR --out FILE [--model M] [--rule best|eer | --far F]",
		Short: "Choose a model's threshold on the classes it will verify, and save it",
		Long: `Training chooses the distance threshold on its validation pairs. A model used
on other classes (new faces, new products) may be better served by a
threshold chosen on those: calibrate draws balanced pairs from DIR (class
sub-folders; classes the model never saw are what it is for) and writes the
model, weights unchanged, to --out with the threshold chosen by

  --rule best   the highest accuracy on the pairs (the default)
  --rule eer    the equal error rate: false accepts as frequent as false rejects
  --far F       the most accepting threshold whose false-accept rate is at
                most F (0.01: at most 1 impostor pair in 100 accepted); needs
                10/F dissimilar pairs: --pairs 20/F

It prints the old and new thresholds and the rates at the new one. compare,
search, identify and serve then use it; the file records where it came
from. Pairs of DIR that eval later measures are not held out from it: to
report accuracy, calibrate on one folder and evaluate on another.`,
		Args: wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case cmd.Flags().Changed("far") && cmd.Flags().Changed("rule"):
				return usageError{fmt.Errorf("--rule and --far both choose the rule; give one")}
			case cmd.Flags().Changed("far"):
				o.Rule = verify.RuleFalseAccept
			case o.Rule != verify.RuleBest && o.Rule != verify.RuleEqualError:
				// The false-accept rule is --far's, with its limit.
				return fmt.Errorf("unknown --rule %q (valid: %s, %s, or --far F)", o.Rule, verify.RuleBest, verify.RuleEqualError)
			}
			o.Warn = warner(cmd)
			o.Progress = progressTo(cmd)
			r, err := verify.Calibrate(o)
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "threshold %.4f -> %.4f (%s, %d pairs of %s): accuracy %.4f, false accept %.4f, true accept %.4f; wrote %s\n",
				r.Old, r.New, r.Rule, r.Pairs, r.Data, r.Accuracy, r.FalseAccept, r.TrueAccept, r.Out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.StringVar(&o.Data, "data", "", "folder of class sub-folders whose pairs choose the threshold (required)")
	f.StringVar(&o.Out, "out", "", "model file to write with the new threshold, may be --model itself (required)")
	f.StringVar(&o.Rule, "rule", verify.RuleBest, "best (highest accuracy) or eer (equal error rate)")
	f.Float64Var(&o.FalseAccept, "far", 0, "choose the most accepting threshold with a false-accept rate at most this (e.g. 0.01)")
	f.IntVar(&o.Pairs, "pairs", 2000, "balanced pairs to draw from --data")
	f.Uint64Var(&o.Seed, "seed", 1, "seed for drawing the pairs")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable image instead of skipping it")
	f.BoolVar(&jsonOut, "json", false, "print JSON")
	completeValues(cmd, "rule", verify.RuleBest, verify.RuleEqualError)
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("out")
	return cmd
}
