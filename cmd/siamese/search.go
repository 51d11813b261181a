package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/verify"
)

func newSearchCmd() *cobra.Command {
	o := verify.SearchOptions{}
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "search QUERY --gallery DIR [-k 5]",
		Short: "Find the gallery images nearest to a query image",
		Long: `Embed the query image and list the k gallery images at the smallest distance,
nearest first, with the verdict at the model's threshold (or --threshold).
The gallery is a folder of images; images in its sub-folders get the
sub-folder's name as class.

Gallery embeddings are cached in DIR/.siamese-cache-<model hash>.bin; a later
search embeds only images that are new or whose size, modification or change time
changed, and forgets removed ones.

A gallery of more than 20,000 images (--index-above) is searched through an
approximate nearest-neighbour index (HNSW) kept in
DIR/.siamese-index-<model hash>.bin: built by the first search, extended
when images are added, built again when images are removed or changed. It
finds about 98% of the true 10 nearest (--ef-search trades speed for
recall); --exact compares the query with every image instead.`,
		Args: wantArgs(1, 1, "one query image (the images to search are --gallery DIR)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Threshold, err = thresholdFlag(cmd, o.Threshold); err != nil {
				return err
			}
			o.Query = args[0]
			o.Warn = warner(cmd)
			o.Progress = progressTo(cmd)
			r, err := verify.Search(o)
			if err != nil {
				return err
			}
			warnSkipped(cmd.ErrOrStderr(), r.Skipped)
			out := cmd.OutOrStdout()
			if jsonOut {
				return writeJSON(out, r)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "rank\tdistance\tverdict\tclass\timage\n")
			for i, n := range r.Neighbours {
				class := n.Class
				if class == "" {
					class = "-"
				}
				path := n.Path
				if n.IsQuery {
					path += " (the query)"
				}
				fmt.Fprintf(tw, "%d\t%.4f\t%s\t%s\t%s\n", i+1, n.Distance, verdict(n.Similar), class, path)
			}
			tw.Flush()
			fmt.Fprintf(out, "query %s, threshold %.4f; gallery %s: %d images, %d embedded now, %d from cache",
				r.Query, r.Threshold, r.Gallery, r.Images, r.Embedded, r.Cached)
			// A full scan is what search always did; only the index is news.
			if !r.Exact {
				fmt.Fprintf(out, "; %s", r.Method)
			}
			fmt.Fprintln(out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Gallery, "gallery", "", "folder of images to search (required)")
	f.IntVarP(&o.K, "top", "k", 5, "number of nearest images to list")
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.Float64Var(&o.Threshold, "threshold", 0, "distance below which a pair is similar (default: the model's)")
	f.BoolVar(&jsonOut, "json", false, "print one JSON object")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.BoolVar(&o.Exact, "exact", false, "compare with every gallery image, never through the index")
	indexFlags(f, &o.IndexAbove, &o.EfSearch)
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable gallery image instead of skipping it")
	cmd.MarkFlagRequired("gallery")
	return cmd
}
