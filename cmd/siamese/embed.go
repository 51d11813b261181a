package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/atomicfile"
	"github.com/siamese-dev/siamese/internal/embedding"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/verify"
)

func newEmbedCmd() *cobra.Command {
	o := verify.EmbedOptions{}
	var out string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "embed PATH... [--out FILE]",
		Short: "Write the embeddings of images as CSV or NumPy .npy",
		Long: `Run the tower on images and write their embeddings. A PATH is an image or a
folder; an image in a sub-folder of a folder gets that sub-folder's name as
its class (DIR/<class>/<image>), other images get class "".

--out FILE.csv, or no --out (or -) for stdout, writes CSV with the header
path,class,e0,...,e(D-1). --out FILE.npy writes a NumPy array (float32, N×D)
and FILE.npy.paths.txt with "path<TAB>class" for each row, e.g.

  X = numpy.load("emb.npy")

With --json, stdout gets JSON Lines {"path","class","embedding"} instead of
CSV, or, when writing a file, a JSON summary.`,
		Args: wantArgs(1, -1, "one or more images or folders to embed"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := embedFormat(out)
			if err != nil {
				return err
			}
			// The files to write are checked before the work, which on a
			// large folder takes minutes.
			var files []string
			switch format {
			case "npy":
				files = []string{out, out + ".paths.txt"}
			case "csv":
				files = []string{out}
			}
			for _, p := range files {
				if err := model.CheckWritable(p); err != nil {
					return fmt.Errorf("--out %w", err)
				}
			}
			o.Paths = args
			o.Warn = warner(cmd)
			o.Progress = progressTo(cmd)
			e, err := verify.Embed(o)
			if err != nil {
				return err
			}
			warnSkipped(cmd.ErrOrStderr(), e.Skipped)
			stdout := cmd.OutOrStdout()
			if format == "stdout" {
				w := bufio.NewWriter(stdout)
				if jsonOut {
					err = writeEmbeddingLines(w, e)
				} else {
					err = embedding.WriteCSV(w, e.Files, e.Vectors, e.Dim)
				}
				if err != nil {
					return err
				}
				return w.Flush()
			}
			sum := embedSummary{Images: len(e.Files), Dim: e.Dim, Out: out, Format: format, Skipped: e.Skipped}
			if format == "npy" {
				sum.Paths = out + ".paths.txt"
				// The paths first, in memory: one the paths file cannot hold
				// must fail before the .npy is replaced, or the two files
				// would no longer describe the same rows.
				var paths bytes.Buffer
				if err := embedding.WritePaths(&paths, e.Files); err != nil {
					return fmt.Errorf("write %s: %w", sum.Paths, err)
				}
				// Both written before either replaces its old file: a full
				// disk must not leave a new array beside the old names.
				err = atomicfile.WriteAll(
					atomicfile.File{Path: out, Write: func(w io.Writer) error { return embedding.WriteNPY(w, e.Vectors, len(e.Files), e.Dim) }},
					atomicfile.File{Path: sum.Paths, Write: func(w io.Writer) error { _, err := w.Write(paths.Bytes()); return err }})
			} else {
				err = writeFile(out, func(w io.Writer) error { return embedding.WriteCSV(w, e.Files, e.Vectors, e.Dim) })
			}
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(stdout, sum)
			}
			noun := "embeddings"
			if sum.Images == 1 {
				noun = "embedding"
			}
			fmt.Fprintf(stdout, "wrote %d %s of %d values to %s", sum.Images, noun, sum.Dim, out)
			if sum.Paths != "" {
				fmt.Fprintf(stdout, ", paths and classes to %s", sum.Paths)
			}
			fmt.Fprintln(stdout)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.StringVar(&out, "out", "", "FILE.csv or FILE.npy (default: CSV on stdout)")
	f.BoolVar(&jsonOut, "json", false, "JSON Lines on stdout, or a JSON summary when writing a file")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable image instead of skipping it")
	return cmd
}

type embedSummary struct {
	Images  int    `json:"images"`
	Dim     int    `json:"dim"`
	Out     string `json:"out"`
	Format  string `json:"format"`
	Paths   string `json:"paths,omitempty"`
	Skipped int    `json:"skipped_files"`
}

// embedFormat tells from --out what to write: "stdout", "csv" or "npy".
func embedFormat(out string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(out)); {
	case out == "" || out == "-":
		return "stdout", nil
	case ext == ".csv":
		return "csv", nil
	case ext == ".npy":
		return "npy", nil
	}
	return "", fmt.Errorf("--out %s: want a .csv or .npy file, or - for CSV on stdout", out)
}

// writeEmbeddingLines writes one compact JSON object per image.
func writeEmbeddingLines(w io.Writer, e *verify.Embeddings) error {
	enc := json.NewEncoder(w)
	for i, f := range e.Files {
		row := struct {
			embedding.File
			Embedding []float32 `json:"embedding"`
		}{f, e.Vectors[i*e.Dim : (i+1)*e.Dim]}
		if err := enc.Encode(row); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes path all at once, so a failed write leaves no half file
// behind.
func writeFile(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
