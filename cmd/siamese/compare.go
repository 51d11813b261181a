package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/verify"
)

func newCompareCmd() *cobra.Command {
	o := verify.CompareOptions{}
	var jsonOut, failDissimilar bool
	cmd := &cobra.Command{
		Use:   "compare A B [B...]",
		Short: "Print the distance between images and whether they are of the same kind",
		Long: `Compare image A with one or more images B (a folder stands for the images in
it, at any depth). A pair is similar when its distance is below the threshold
stored in the model at training time (or --threshold). The exit status is 0
whatever the verdict, unless --fail-dissimilar is given: then 3 when any
pair is dissimilar (1 stays an error, 2 a usage error).

With --json, one image B prints one JSON object; several images B, or a
folder, print JSON Lines: one compact object per pair and line, {"a","b",
"distance","threshold","similar"}, in the order of the images, even when
only one of them could be read. Where there are several images B, an
unreadable one is skipped with a warning (--strict stops at it instead).`,
		Args: wantArgs(2, -1, "an image A and one or more images or folders B to compare it with"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Threshold, err = thresholdFlag(cmd, o.Threshold); err != nil {
				return err
			}
			o.Reference, o.Others = args[0], args[1:]
			o.Warn = warner(cmd)
			o.Progress = progressTo(cmd)
			vs, skipped, err := verify.Compare(o)
			if err != nil {
				return err
			}
			warnSkipped(cmd.ErrOrStderr(), skipped)
			out := cmd.OutOrStdout()
			// The command line, not how many images could be read, says
			// which form the output takes, so a script reading one form
			// never meets the other.
			several := len(o.Others) > 1 || isFolder(o.Others[0])
			switch {
			case jsonOut && !several:
				if err := writeJSON(out, vs[0]); err != nil {
					return err
				}
			case jsonOut:
				// JSON Lines stream: each line stands alone, so a long
				// comparison can be piped and filtered line by line.
				enc := json.NewEncoder(out)
				for _, v := range vs {
					if err := enc.Encode(v); err != nil {
						return err
					}
				}
			case !several:
				v := vs[0]
				fmt.Fprintf(out, "distance  %.4f\nthreshold %.4f\nverdict   %s\n", v.Distance, v.Threshold, verdict(v.Similar))
			default:
				tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				fmt.Fprintf(tw, "image\tdistance\tverdict\n")
				for _, v := range vs {
					fmt.Fprintf(tw, "%s\t%.4f\t%s\n", v.B, v.Distance, verdict(v.Similar))
				}
				tw.Flush()
				fmt.Fprintf(out, "reference %s, threshold %.4f\n", o.Reference, vs[0].Threshold)
			}
			if failDissimilar {
				for _, v := range vs {
					if !v.Similar {
						return exitCode(exitDissimilar)
					}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.Float64Var(&o.Threshold, "threshold", 0, "distance below which a pair is similar (default: the model's)")
	f.BoolVar(&jsonOut, "json", false, "print JSON: one object for one image B, JSON Lines (one object per line) for several or a folder")
	f.BoolVar(&failDissimilar, "fail-dissimilar", false, "exit with status 3 when any pair is dissimilar (1 is an error, 2 a usage error)")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable image instead of skipping it")
	return cmd
}

func isFolder(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func verdict(similar bool) string {
	if similar {
		return "similar"
	}
	return "dissimilar"
}
