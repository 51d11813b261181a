package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "siamese",
		Short: "Train Siamese networks for image similarity and compare images with them",
		Long: `siamese trains twin convolutional towers that share one set of weights on a
folder of labelled images (DIR/<class>/<image>), then tells whether two images
are of the same kind by the Euclidean distance between their embeddings.

  siamese train --data ./imgs --margin 1     train, save siamese.safetensors
  siamese compare a.png b.png                distance and verdict
  siamese eval                               accuracy, AUC, EER, ... on held-out pairs
  siamese embed ./imgs --out emb.npy         embeddings as NumPy (or CSV)
  siamese search q.png --gallery ./imgs      nearest images in a folder
  siamese serve --model M                    compare, embed, search over HTTP
  siamese import idx --images F --labels F --out DIR   MNIST-style IDX to folders
  siamese export --format onnx --out tower.onnx  the tower as an ONNX graph
  siamese cache info|clear                   the decoded-image cache of train`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newTrainCmd(), newCompareCmd(), newEvalCmd(), newEmbedCmd(), newSearchCmd(), newImportCmd(), newExportCmd(), newServeCmd(), newCacheCmd())
	return root
}

// isTerminal reports whether w is a terminal: progress bars are drawn only
// then, so piped output stays clean.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// wantArgs checks a command's arguments: at least lo, at most hi (-1: no
// limit). Cobra's own message ("requires at least 2 arg(s), only received
// 1") does not say what the arguments are; this one says what.
func wantArgs(lo, hi int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || hi >= 0 && len(args) > hi {
			return fmt.Errorf("%s takes %s, got %d argument(s) (usage: %s)", cmd.Name(), what, len(args), cmd.UseLine())
		}
		return nil
	}
}

// warner is how a command's work warns: a line on standard error.
func warner(cmd *cobra.Command) func(msg string) {
	return func(msg string) { fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", msg) }
}

// progressTo is where a command draws the bar of its long work (decoding,
// embedding, writing images): standard error when that is a terminal,
// else nowhere, so piped or captured output has no bar in it. Results go
// to standard output, so a terminal there is not needed: the bar of
// "siamese embed DIR > e.csv" is still seen.
func progressTo(cmd *cobra.Command) io.Writer {
	if w := cmd.ErrOrStderr(); isTerminal(w) {
		return w
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// thresholdFlag is --threshold as the internal packages take it: NaN when
// the flag is not given (the model's own threshold), else its value, which
// must be a distance: finite and not negative. (+Inf called every pair
// similar and then could not be written as JSON.)
func thresholdFlag(cmd *cobra.Command, v float64) (float64, error) {
	if !cmd.Flags().Changed("threshold") {
		return math.NaN(), nil
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("--threshold must be a finite number >= 0, got %v", v)
	}
	return v, nil
}
