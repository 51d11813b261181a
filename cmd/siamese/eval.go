package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/text/width"

	"github.com/siamese-dev/siamese/internal/verify"
)

// maxClassRows bounds the per-class table of the human report; --json has
// every class.
const maxClassRows = 12

func newEvalCmd() *cobra.Command {
	o := verify.EvalOptions{}
	var jsonOut bool
	var threshold float64
	cmd := &cobra.Command{
		Use:   "eval [--model FILE] [--data DIR] [--one-shot N] [--plot DIR]",
		Short: "Measure a trained model on held-out pairs and one-shot trials",
		Long: `Draw balanced similar/dissimilar pairs from held-out images and report the
accuracy at the model's stored threshold (or --threshold), ROC AUC, equal error rate (EER, where
false accepts = false rejects) with its threshold, average precision,
precision, recall and F1 (similar is the positive class), the confusion
matrix, the mean distance of similar and of dissimilar pairs, and per class
the share of its similar pairs judged similar. Without --data the held-out
test split of the data the model was trained on is rebuilt from the seed
stored in the model; with --data, every image of DIR is held out. Images too
few to give --pairs without repeating pairs give each of their pairs once
instead, as many of each kind, and eval says so.

One-shot trials (Koch et al. 2015): a query, one reference of its class and
one of each of N-1 other classes; a trial is right when the nearest
reference is of the query's class (chance is 1/N). On a model trained with
whole classes held out (--split classes), eval runs 5-, 10- and 20-way trials
by default, where enough classes exist (with 2 to 4 classes, one N-way test
with N the number of classes), each with its 95% interval (Wilson score);
--one-shot N[,M...] runs those instead. On a --data folder of
classes the model never saw, this measures how well the embedding carries
over to new classes; eval counts the evaluated classes the model saw in
training and warns when --data is the training folder or mixes its classes
with new ones.

--plot DIR writes DIR/roc.png (ROC curve, the threshold and EER marked),
DIR/distances.png (similar and dissimilar distance histograms with the
threshold) and DIR/mistakes.png (the worst false accepts and false
rejects side by side, with their distances and classes).

Only the images the pairs and trials use are decoded and embedded.`,
		Args: wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("threshold") {
				thr, err := thresholdFlag(cmd, threshold)
				if err != nil {
					return err
				}
				o.Threshold = &thr
			}
			o.Warn = warner(cmd)
			o.Progress = progressTo(cmd)
			r, err := verify.Evaluate(o)
			if err != nil {
				return err
			}
			warnSkipped(cmd.ErrOrStderr(), r.Skipped)
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			printEval(cmd.OutOrStdout(), r)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.Float64Var(&threshold, "threshold", 0, "measure at this distance threshold instead of the model's (e.g. one from at_false_accept)")
	f.StringVar(&o.Data, "data", "", "folder of class sub-folders to evaluate on, all held out (default: the model's test split)")
	f.IntVar(&o.Pairs, "pairs", 2000, "balanced pairs to draw")
	f.Uint64Var(&o.Seed, "seed", 1, "seed for drawing the pairs and trials")
	f.IntSliceVar(&o.OneShot, "one-shot", nil, "run N-way one-shot trials for each N given (N >= 2, e.g. 10,20); default: 5, 10 and 20-way on class-split models, as the classes allow")
	f.IntVar(&o.Trials, "trials", 1000, "one-shot trials for each way (0: no one-shot trials)")
	f.StringVar(&o.PlotDir, "plot", "", "write roc.png, distances.png and mistakes.png into this folder")
	f.BoolVar(&jsonOut, "json", false, "print one JSON object")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable image instead of skipping it")
	return cmd
}

func printEval(out io.Writer, r *verify.Report) {
	data := r.Data
	switch r.Part {
	case verify.PartTest:
		data += " (test split)"
	case verify.PartHeldOutClasses:
		data += " (held-out classes)"
	}
	fmt.Fprintf(out, "data       %s: %d images, %d embedded\n", data, r.Images, r.Embedded)
	if r.PairsAsked > 0 {
		fmt.Fprintf(out, "pairs      %d, each once (--pairs %d would repeat them: these images make %d similar and %d dissimilar pairs)\n",
			r.Pairs, r.PairsAsked, r.DistinctSimilar, r.DistinctDissimilar)
	} else {
		fmt.Fprintf(out, "pairs      %d\n", r.Pairs)
	}
	if r.Threshold != r.StoredThreshold {
		fmt.Fprintf(out, "threshold  %.4f (--threshold; the model's is %.4f)\n", r.Threshold, r.StoredThreshold)
	} else {
		fmt.Fprintf(out, "threshold  %.4f\n", r.Threshold)
	}
	fmt.Fprintf(out, "accuracy   %.4f (95%% interval %.4f to %.4f)\n", r.Accuracy, r.AccuracyLow, r.AccuracyHigh)
	fmt.Fprintf(out, "auc        %.4f\n", r.AUC)
	fmt.Fprintf(out, "precision  %.4f\n", r.Precision)
	fmt.Fprintf(out, "recall     %.4f\n", r.Recall)
	fmt.Fprintf(out, "f1         %.4f\n", r.F1)
	fmt.Fprintf(out, "best       %.4f at threshold %.4f (chosen on these pairs, for reference)\n", r.BestAccuracy, r.BestThreshold)
	fmt.Fprintf(out, "eer        %.4f at threshold %.4f\n", r.EER, r.EERThreshold)
	for _, p := range r.AtFalseAccept {
		pct := strconv.FormatFloat(100*p.Limit, 'f', -1, 64) + "%"
		fmt.Fprintf(out, "%-10s true accept %.4f at threshold %.4f (false accepts at most %s: %.4f)\n", "far "+pct, p.TrueAccept, p.Threshold, pct, p.FalseAccept)
	}
	fmt.Fprintf(out, "ap         %.4f\n", r.AP)
	fmt.Fprintf(out, "mean dist  %.4f similar, %.4f dissimilar\n", r.MeanSimilar, r.MeanDissimilar)
	for _, o := range r.OneShot {
		fmt.Fprintf(out, "one-shot   %.4f (95%% interval %.4f to %.4f; %d-way, %d trials of %d query images, chance %.4f)\n", o.Accuracy, o.Low, o.High, o.Way, o.Trials, o.Queries, 1/float64(o.Way))
	}
	for _, w := range r.OneShotSkipped {
		fmt.Fprintf(out, "one-shot   %d-way not run: the data has %d classes\n", w, r.OneShotClasses)
	}
	fmt.Fprintf(out, "classes    %d seen in training, %d unseen\n", r.SeenClasses, r.UnseenClasses)
	if r.Note != "" {
		fmt.Fprintf(out, "note       %s\n", r.Note)
	}
	for _, p := range r.Plots {
		fmt.Fprintf(out, "plot       %s\n", p)
	}

	// Rows are the prediction, columns the truth; T/F says whether the
	// prediction was right. Counts come last on each line so the layout
	// does not shift with their number of digits.
	fmt.Fprintln(out)
	fmt.Fprintf(out, "predicted similar     TP %d  FP %d\n", r.TP, r.FP)
	fmt.Fprintf(out, "predicted dissimilar  FN %d  TN %d\n", r.FN, r.TN)

	if len(r.ByClass) == 0 {
		return
	}
	fmt.Fprintln(out)
	rows := r.ByClass
	// Of a class's similar pairs, the share judged similar: its recall (a
	// dissimilar pair has two classes, so it has no row).
	heading := [3]string{"class", "recall", "similar pairs"}
	if len(rows) > maxClassRows {
		// The classes the model handles worst are the ones worth reading.
		rows = append([]verify.ClassAccuracy(nil), rows...)
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].Accuracy < rows[j].Accuracy })
		rows = rows[:maxClassRows-2]
		heading[0] = fmt.Sprintf("class (%d lowest of %d, all in --json)", len(rows), len(r.ByClass))
	}
	// Columns two spaces apart, as tabwriter sets them, but measured in
	// terminal cells: tabwriter counts a CJK character or an emoji as one
	// cell where a terminal draws two, and shifted those rows.
	cells := [][3]string{heading}
	// Where the folder mixes classes the model trained on with new ones,
	// the rows say which is which.
	mixed := r.SeenClasses > 0 && r.UnseenClasses > 0
	for _, c := range rows {
		name := strings.ReplaceAll(c.Class, "\t", " ")
		if mixed && c.Seen {
			name += " (seen in training)"
		}
		cells = append(cells, [3]string{name, fmt.Sprintf("%.4f", c.Accuracy), fmt.Sprint(c.Pairs)})
	}
	var w [2]int
	for _, r := range cells {
		w[0], w[1] = max(w[0], displayWidth(r[0])), max(w[1], displayWidth(r[1]))
	}
	for _, r := range cells {
		fmt.Fprintf(out, "%s%s%s%s%s\n", r[0], strings.Repeat(" ", w[0]-displayWidth(r[0])+2), r[1], strings.Repeat(" ", w[1]-displayWidth(r[1])+2), r[2])
	}
}

// displayWidth is how many terminal cells s takes: two for an East Asian
// wide or fullwidth character (CJK, most emoji), one for any other.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// warnSkipped ends the warnings with their count, as train does, so that a
// long list of them is summed up where the eye lands.
func warnSkipped(w io.Writer, n int) {
	if n > 0 {
		fmt.Fprintf(w, "warning: skipped %d image(s), each named above\n", n)
	}
}
