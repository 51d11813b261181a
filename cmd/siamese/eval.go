package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/verify"
)

func newEvalCmd() *cobra.Command {
	o := verify.EvalOptions{}
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "eval [--model FILE] [--data DIR]",
		Short: "Measure a trained model on held-out pairs",
		Long: `Draw balanced similar/dissimilar pairs from held-out images and report the
accuracy at the model's stored threshold, ROC AUC, precision, recall and F1
(similar is the positive class). Without --data the held-out test split of the
data the model was trained on is rebuilt from the seed stored in the model;
with --data, every image of DIR is held out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Warn = func(msg string) { fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", msg) }
			r, err := verify.Evaluate(o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if jsonOut {
				return writeJSON(out, r)
			}
			fmt.Fprintf(out, "data       %s (%d images)\n", r.Data, r.Images)
			fmt.Fprintf(out, "pairs      %d\n", r.Pairs)
			fmt.Fprintf(out, "threshold  %.4f\n", r.Threshold)
			fmt.Fprintf(out, "accuracy   %.4f\n", r.Accuracy)
			fmt.Fprintf(out, "auc        %.4f\n", r.AUC)
			fmt.Fprintf(out, "precision  %.4f\n", r.Precision)
			fmt.Fprintf(out, "recall     %.4f\n", r.Recall)
			fmt.Fprintf(out, "f1         %.4f\n", r.F1)
			fmt.Fprintf(out, "best       %.4f at threshold %.4f (chosen on these pairs, for reference)\n", r.BestAccuracy, r.BestThreshold)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.StringVar(&o.Data, "data", "", "folder of class sub-folders to evaluate on, all held out (default: the model's test split)")
	f.IntVar(&o.Pairs, "pairs", 2000, "balanced pairs to draw")
	f.Uint64Var(&o.Seed, "seed", 1, "seed for drawing the pairs")
	f.BoolVar(&jsonOut, "json", false, "print one JSON object")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable image instead of skipping it")
	return cmd
}
