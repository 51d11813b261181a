package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/verify"
)

func newIdentifyCmd() *cobra.Command {
	o := verify.IdentifyOptions{}
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "identify QUERY... --gallery DIR [-k 5]",
		Short: "Name the class of query images among the classes enrolled in a gallery",
		Long: `Enroll classes by putting a few images of each in a gallery folder
(DIR/<class>/<image>; classes the model never saw are what it is for), then
name the class of each query image: the class of its nearest gallery image,
taken when the distance is below the model's threshold (or --threshold),
else "not enrolled".

QUERY is an image or a folder; in a folder of class sub-folders each
query's class is known, and identify also says how often it was right:
rank-1 accuracy (the nearest image of the query's class), top-k accuracy
(the class among the k nearest), the share right and accepted by the
threshold, and, for queries of classes the gallery lacks, the share the
threshold rejected. A query whose file is in the gallery is not matched
with itself, so a gallery identifies its own images leave-one-out; a class
whose only gallery image is the query then counts as not enrolled. Images
not in a class folder of the gallery enroll nothing and are left out, and
-k is at most the gallery's images.

The gallery's embeddings are cached and indexed as for search.`,
		Args: wantArgs(1, -1, "one or more query images or folders (the classes are --gallery DIR)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Threshold, err = thresholdFlag(cmd, o.Threshold); err != nil {
				return err
			}
			o.Queries = args
			o.Warn = warner(cmd)
			o.Progress = progressTo(cmd)
			r, err := verify.Identify(o)
			if err != nil {
				return err
			}
			warnSkipped(cmd.ErrOrStderr(), r.Skipped)
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			printIdentify(cmd.OutOrStdout(), r)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Gallery, "gallery", "", "folder of enrolled classes, DIR/<class>/<image> (required)")
	f.IntVarP(&o.K, "top", "k", 5, "nearest gallery images each query looks at (top-k accuracy)")
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.Float64Var(&o.Threshold, "threshold", 0, "distance below which a query is taken for its nearest image's class (default: the model's)")
	f.BoolVar(&jsonOut, "json", false, "print one JSON object")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.BoolVar(&o.Exact, "exact", false, "compare with every gallery image, never through the index")
	indexFlags(f, &o.IndexAbove, &o.EfSearch)
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable image instead of skipping it")
	cmd.MarkFlagRequired("gallery")
	return cmd
}

func printIdentify(out io.Writer, r *verify.IdentifyResult) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	labelled := r.Enrolled+r.Unenrolled > 0
	if labelled {
		fmt.Fprintf(tw, "query\tclass\tpredicted\tdistance\tverdict\n")
	} else {
		fmt.Fprintf(tw, "query\tpredicted\tdistance\tverdict\n")
	}
	// A tab in a name would start a column of its own.
	cell := func(s string) string { return strings.ReplaceAll(orDash(s), "\t", " ") }
	for _, id := range r.Results {
		verdict := "known"
		if !id.Known {
			verdict = "not enrolled"
		}
		if labelled {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.4f\t%s\n", cell(id.Query), cell(id.Class), cell(id.Predicted), id.Distance, verdict)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%.4f\t%s\n", cell(id.Query), cell(id.Predicted), id.Distance, verdict)
		}
	}
	tw.Flush()
	fmt.Fprintf(out, "gallery %s: %d images of %d classes; threshold %.4f\n", r.Gallery, r.GalleryImages, r.GalleryClasses, r.Threshold)
	if r.Rank1 != nil {
		fmt.Fprintf(out, "rank-1     %.4f (95%% interval %.4f to %.4f) of %d queries of enrolled classes; top-%d %.4f; right and accepted %.4f\n",
			*r.Rank1, *r.Rank1Low, *r.Rank1High, r.Enrolled, r.K, *r.TopK, *r.Accepted)
	}
	if r.Rejected != nil {
		fmt.Fprintf(out, "rejected   %.4f of %d queries of classes not enrolled\n", *r.Rejected, r.Unenrolled)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
