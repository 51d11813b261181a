package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
  siamese identify q/ --gallery ./enrolled   the class of each query among enrolled ones
  siamese calibrate --data new/ --out M2     a threshold chosen on the classes to verify
  siamese serve --model M                    compare, embed, search over HTTP
  siamese import idx --images F --labels F --out DIR   MNIST-style IDX to folders
  siamese export --format onnx --out tower.onnx  the tower as an ONNX graph
  siamese cache info|clear                   the decoded-image cache of train
  siamese version                            which build this is`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// A mistyped flag is a usage error (exit status 2), like a wrong
	// number of arguments (wantArgs).
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetHelpCommand(newHelpCmd())
	root.Version = currentVersion().String()
	root.SetVersionTemplate("siamese {{.Version}}\n")
	root.AddCommand(newTrainCmd(), newCompareCmd(), newEvalCmd(), newEmbedCmd(), newSearchCmd(), newIdentifyCmd(), newCalibrateCmd(), newImportCmd(), newExportCmd(), newServeCmd(), newCacheCmd(), newVersionCmd())
	// Cobra's completion command groups the shells' scripts; alone or with
	// a shell it does not know, it printed its help and exited 0.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args, c.RunE = groupArgs, needSubcommand
		}
	}
	return root
}

// isTerminal reports whether w is a terminal: progress bars are drawn only
// then, so piped output stays clean.
func isTerminal(w io.Writer) bool {
	if c, ok := w.(*checkedWriter); ok {
		w = c.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// wantArgs checks a command's arguments: at least lo, at most hi (-1: no
// limit). Cobra's own message ("requires at least 2 arg(s), only received
// 1") does not say what the arguments are; this one says what.
func wantArgs(lo, hi int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || hi >= 0 && len(args) > hi {
			return usageError{fmt.Errorf("%s takes %s, got %d argument(s) (usage: %s)", cmd.Name(), what, len(args), cmd.UseLine())}
		}
		return nil
	}
}

// usageError is a command line that cannot be run as written: exit status
// 2, where an error met while running exits 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// groupArgs refuses the arguments of a command that only groups others:
// what is left once cobra found no subcommand is a mistyped one.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default for the root
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return usageError{errors.New(msg)}
}

// needSubcommand is the work of a command that only groups others (cache,
// import) run alone. (Cobra would print the help on standard output and
// exit 0, which a script would take for success.)
func needSubcommand(cmd *cobra.Command, _ []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return usageError{fmt.Errorf("%s needs a subcommand: %s (see siamese %s --help)", cmd.CommandPath(), strings.Join(names, " or "), cmd.Name())}
}

// newHelpCmd is cobra's help command, except that help on a topic that
// does not exist is a usage error, not "Unknown help topic" and exit 0.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return usageError{fmt.Errorf("no help topic %q: the commands are listed by siamese --help", strings.Join(args, " "))}
			}
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	}
}

// completeValues makes the shells' completion offer values for a flag
// that takes one of a few words.
func completeValues(cmd *cobra.Command, flag string, values ...string) {
	if err := cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)); err != nil {
		panic(err) // a flag renamed without its completion: a bug, found by any test
	}
}

// indexFlags declares the flags of the HNSW index that search, identify
// and serve go through on large galleries.
func indexFlags(f *pflag.FlagSet, indexAbove, efSearch *int) {
	f.IntVar(indexAbove, "index-above", 0, "use the HNSW index for galleries of more than this many images (0: 20000)")
	f.IntVar(efSearch, "ef-search", 0, "candidates the index examines per query, at least k (0: 128); more is slower and finds more")
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
	enc.SetEscapeHTML(false)
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
