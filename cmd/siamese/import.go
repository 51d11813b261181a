package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/dataset"
)

func newImportCmd() *cobra.Command {
	imp := &cobra.Command{
		Use:   "import",
		Short: "Convert other data set formats into a folder of class sub-folders",
		Args:  groupArgs,
		// Runnable, so that a mistyped format is an error (see cache).
		RunE: needSubcommand,
	}
	o := dataset.ImportOptions{}
	var names string
	var jsonOut bool
	idx := &cobra.Command{
		Use:   "idx --images F --labels F --out DIR",
		Short: "Write an IDX image/label pair (MNIST, Fashion-MNIST, KMNIST, EMNIST) as PNG folders",
		Long: `Read an IDX image file and its label file (gzip-compressed or raw) and write
DIR/<class>/<n>.png, one gray PNG per image. Class folders are named by label
number, or by --names (comma-separated, in label order).

EMNIST stores its images transposed (column by column), so its letters would
come out mirrored and turned; --transpose writes them upright. When the image
file's name contains "emnist", --transpose is on unless --transpose=false is
given, and a note on stderr says so.`,
		Args: wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if names != "" {
				o.Names = strings.Split(names, ",")
			}
			if !cmd.Flags().Changed("transpose") && dataset.StoredTransposed(o.Images) {
				o.Transpose = true
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s is named as EMNIST, which stores images transposed: transposing them so they come out upright (--transpose=false keeps them as stored)\n", o.Images)
			}
			o.Progress = progressTo(cmd)
			r, err := dataset.ImportIDX(o)
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			classes := make([]string, 0, len(r.PerClass))
			for c := range r.PerClass {
				classes = append(classes, c)
			}
			sort.Strings(classes)
			how := ""
			if r.Transposed {
				how = ", transposed"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d images in %d classes to %s%s\n", r.Images, len(classes), o.Out, how)
			return nil
		},
	}
	f := idx.Flags()
	f.StringVar(&o.Images, "images", "", "IDX image file, e.g. train-images-idx3-ubyte.gz (required)")
	f.StringVar(&o.Labels, "labels", "", "IDX label file, e.g. train-labels-idx1-ubyte.gz (required)")
	f.StringVar(&o.Out, "out", "", "folder to write (required)")
	f.StringVar(&names, "names", "", "class names in label order, comma-separated (default: the label numbers)")
	f.IntVar(&o.LimitPerClass, "limit-per-class", 0, "write at most this many images per class (0: all)")
	f.BoolVar(&o.Transpose, "transpose", false, "write each image transposed, as EMNIST needs (default: on when the images file name contains \"emnist\")")
	f.BoolVar(&jsonOut, "json", false, "print a JSON report")
	for _, req := range []string{"images", "labels", "out"} {
		idx.MarkFlagRequired(req)
	}
	imp.AddCommand(idx)
	return imp
}
