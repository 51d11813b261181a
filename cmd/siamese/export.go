package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/export"
)

func newExportCmd() *cobra.Command {
	o := export.Options{}
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "export --format onnx --out FILE.onnx [--model M] [--pair]",
		Short: "Write the tower as an ONNX graph for other runtimes",
		Long: `Export the trained tower as an ONNX model (opset 17, standard operators only)
that ONNX Runtime and other runtimes run without this program.

The embedding model maps "image" (float32 N×C×S×S) to "embedding" (N×D).
With --pair the model takes "image_a" and "image_b" and also outputs
"distance" = sqrt(sum((a-b)^2) + 1e-6), as compare computes it.

The preprocessing a runtime must apply (size, channels, resize, gray
conversion, scaling to [0, 1]) and the stored threshold (similar when
distance < threshold) are in the model's metadata_props; see README.md.`,
		Args: wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, args []string) error {
			// With --out - the model is standard output, so the summary
			// goes to standard error.
			report := cmd.OutOrStdout()
			if o.Out == "-" {
				o.Stdout, report = cmd.OutOrStdout(), cmd.ErrOrStderr()
				if isTerminal(o.Stdout) {
					return usageError{fmt.Errorf("--out - writes the binary model to standard output, which is a terminal; redirect it or name a file")}
				}
			}
			r, err := export.Run(o)
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(report, r)
			}
			var ins, outs []string
			for _, t := range r.Inputs {
				ins = append(ins, fmt.Sprintf("%s %v", t.Name, t.Shape))
			}
			for _, t := range r.Outputs {
				outs = append(outs, fmt.Sprintf("%s %v", t.Name, t.Shape))
			}
			// Four decimals, as the other commands print it; the metadata
			// (and --json) keep every digit.
			thr := r.Metadata[export.MetaThreshold]
			if v, err := strconv.ParseFloat(thr, 64); err == nil {
				thr = fmt.Sprintf("%.4f", v)
			}
			where := r.Path
			if where == "-" {
				where = "standard output"
			}
			fmt.Fprintf(report, "wrote %s (ONNX opset %d, %d bytes): inputs %s; outputs %s; threshold %s\n",
				where, r.Opset, r.Bytes, strings.Join(ins, ", "), strings.Join(outs, ", "), thr)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.StringVar(&o.Format, "format", "onnx", "export format (onnx)")
	f.StringVar(&o.Out, "out", "", "file to write, e.g. tower.onnx, or - for standard output (required)")
	completeValues(cmd, "format", "onnx")
	cmd.MarkFlagRequired("out")
	f.BoolVar(&o.Pair, "pair", false, "two-input model that also outputs the distance")
	f.BoolVar(&jsonOut, "json", false, "print {path, inputs, outputs, opset, metadata} as JSON (on stderr with --out -)")
	return cmd
}
