package plot

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	gonum "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/siamese-dev/siamese/internal/metrics"
)

const dpi = 110

var (
	chartWidth, chartHeight = 7 * vg.Inch, 5 * vg.Inch

	// Colour-blind-safe pair (blue/orange) for the two kinds of pair; the
	// markers use colours that stand out from both.
	similarColor    = color.NRGBA{R: 31, G: 119, B: 180, A: 255}
	dissimilarColor = color.NRGBA{R: 230, G: 120, B: 10, A: 255}
	markColor       = color.NRGBA{R: 200, G: 30, B: 30, A: 255}
	eerColor        = color.NRGBA{R: 40, G: 150, B: 60, A: 255}
	chanceColor     = color.Gray{Y: 150}
)

// WriteFile creates the file at path and draws into it with chart, one of
// the functions of this package bound to its data.
func WriteFile(path string, chart func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := chart(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// ROC draws the ROC curve of the pairs as a PNG, marking the operating point
// of threshold and the equal-error point. When the errors are small, a
// second panel zooms on the top-left corner where the curve then runs. It
// needs both kinds of pair.
func ROC(w io.Writer, dist []float64, similar []bool, threshold float64) error {
	roc := metrics.ROC(dist, similar)
	if roc == nil {
		return errors.New("a ROC curve needs both similar and dissimilar pairs")
	}
	chance, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	chance.LineStyle = draw.LineStyle{Color: chanceColor, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(4)}}
	pts := make(plotter.XYs, len(roc))
	for i, r := range roc {
		pts[i] = plotter.XY{X: r.FPR, Y: r.TPR}
	}
	curve, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	curve.LineStyle = draw.LineStyle{Color: similarColor, Width: vg.Points(2)}

	r := metrics.Evaluate(dist, similar, threshold)
	far := float64(r.FP) / float64(r.FP+r.TN)
	tar := float64(r.TP) / float64(r.TP+r.FN)
	// A filled circle under a smaller filled triangle: both stay visible
	// when the stored threshold is close to the equal-error one.
	stored, err := marker(far, tar, draw.CircleGlyph{}, markColor)
	if err != nil {
		return err
	}
	stored.GlyphStyle.Radius = vg.Points(6)
	eer, eerThreshold := metrics.EER(dist, similar)
	eerMark, err := marker(eer, 1-eer, draw.PyramidGlyph{}, eerColor)
	if err != nil {
		return err
	}
	eerMark.GlyphStyle.Radius = vg.Points(4)

	xLabel, yLabel := "false-accept rate (dissimilar pairs called similar)", "true-accept rate (similar pairs called similar)"
	full := newPlot(fmt.Sprintf("ROC curve: AUC %.4f over %d pairs", metrics.AUC(dist, similar), len(dist)), xLabel, yLabel)
	full.Legend.Top, full.Legend.Left = false, false
	full.Legend.XOffs, full.Legend.YOffs = -vg.Points(8), vg.Points(8)
	full.Add(plotter.NewGrid(), chance, curve, stored, eerMark)
	full.X.Min, full.X.Max, full.Y.Min, full.Y.Max = 0, 1, 0, 1
	full.Legend.Add("ROC curve", curve)
	full.Legend.Add("chance", chance)
	full.Legend.Add(fmt.Sprintf("threshold %s: FAR %.3f, TAR %.3f", short(threshold), far, tar), stored)
	full.Legend.Add(fmt.Sprintf("equal error rate %.3f at %s", eer, short(eerThreshold)), eerMark)

	z := zoomSpan(eer, far, 1-tar)
	if z == 0 {
		return writePNG(w, chartWidth, chartHeight, func(c draw.Canvas) { full.Draw(c) })
	}
	zoom := newPlot(fmt.Sprintf("top-left corner: false-accept rate up to %g", z), xLabel, yLabel)
	zoom.Add(plotter.NewGrid(), curve, stored, eerMark)
	// After Add, which widens the axes to the data.
	zoom.X.Min, zoom.X.Max, zoom.Y.Min, zoom.Y.Max = 0, z, 1-z, 1
	plots := [][]*gonum.Plot{{full, zoom}}
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(12), PadX: vg.Points(24)}
	return writePNG(w, 2*chartWidth, chartHeight, func(dc draw.Canvas) {
		cs := gonum.Align(plots, tiles, dc)
		full.Draw(cs[0][0])
		zoom.Draw(cs[0][1])
	})
}

// zoomSpan returns the side of the top-left square worth a zoomed panel:
// the smallest of 0.01, 0.02, 0.05, 0.1, 0.2 that holds three times the
// equal error rate and the stored point with some room, or 0 when the
// errors are too large for a zoom to show more than the full curve.
func zoomSpan(eer, far, frr float64) float64 {
	need := math.Max(3*eer, 1.25*math.Max(far, frr))
	for _, z := range []float64{0.01, 0.02, 0.05, 0.1, 0.2} {
		if need <= z {
			return z
		}
	}
	return 0
}

// Distances draws the histograms of similar and dissimilar pair distances
// on shared bins as a PNG, with threshold as a vertical line.
func Distances(w io.Writer, dist []float64, similar []bool, threshold float64) error {
	if len(dist) != len(similar) {
		return fmt.Errorf("%d distances but %d labels", len(dist), len(similar))
	}
	simCounts, disCounts, width, unplaced := shareBins(dist, similar, threshold)
	if unplaced == len(dist) {
		return errors.New("no pair has a finite distance to plot")
	}
	sim := histogram(simCounts, width, similarColor)
	dis := histogram(disCounts, width, dissimilarColor)
	ns := 0
	for _, s := range similar {
		if s {
			ns++
		}
	}
	nd := len(dist) - ns
	title := fmt.Sprintf("Pair distances: %d similar, %d dissimilar", ns, nd)
	if unplaced > 0 {
		title += fmt.Sprintf(" (%d at infinite or NaN distance, not shown)", unplaced)
	}
	p := newPlot(title, "distance between embeddings", "pairs")
	p.X.Min = 0
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(8)
	top := 0.0
	for i := range sim.Bins {
		top = math.Max(top, math.Max(sim.Bins[i].Weight, dis.Bins[i].Weight))
	}
	// Headroom above the tallest bar keeps the legend off the bars.
	p.Y.Min, p.Y.Max = 0, top*1.3
	p.X.Max = float64(len(simCounts)) * width * 1.02
	p.Add(plotter.NewGrid(), dis, sim)
	p.Legend.Add("similar pairs", sim)
	p.Legend.Add("dissimilar pairs", dis)
	if !math.IsNaN(threshold) && !math.IsInf(threshold, 0) {
		line, err := plotter.NewLine(plotter.XYs{{X: threshold, Y: 0}, {X: threshold, Y: top * 1.05}})
		if err != nil {
			return err
		}
		line.LineStyle = draw.LineStyle{Color: markColor, Width: vg.Points(2), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("threshold %s", short(threshold)), line)
	}
	return writePNG(w, chartWidth, chartHeight, func(c draw.Canvas) { p.Draw(c) })
}

// shareBins counts the finite distances of each kind of pair in √pairs
// bins (10..60) of equal width from 0 to the largest distance or the
// threshold, whichever is larger, so both histograms line up. unplaced
// counts the NaN and infinite distances, which no bin holds.
func shareBins(dist []float64, similar []bool, threshold float64) (sim, dis []float64, width float64, unplaced int) {
	hi := 0.0
	for _, d := range dist {
		if math.IsNaN(d) || math.IsInf(d, 0) {
			unplaced++
			continue
		}
		hi = math.Max(hi, d)
	}
	if !math.IsNaN(threshold) && !math.IsInf(threshold, 0) {
		// Keep the threshold line inside the chart even when every pair is
		// on one side of it.
		hi = math.Max(hi, threshold)
	}
	if hi == 0 {
		hi = 1
	}
	bins := min(60, max(10, int(math.Sqrt(float64(len(dist))))))
	width = hi / float64(bins)
	sim, dis = make([]float64, bins), make([]float64, bins)
	for i, d := range dist {
		if math.IsNaN(d) || math.IsInf(d, 0) {
			continue
		}
		b := min(bins-1, int(d/width))
		if similar[i] {
			sim[b]++
		} else {
			dis[b]++
		}
	}
	return sim, dis, width, unplaced
}

func histogram(counts []float64, width float64, c color.NRGBA) *plotter.Histogram {
	h := &plotter.Histogram{Bins: make([]plotter.HistogramBin, len(counts)), Width: width}
	for i, n := range counts {
		h.Bins[i] = plotter.HistogramBin{Min: float64(i) * width, Max: float64(i+1) * width, Weight: n}
	}
	// Translucent fills let the overlap of the two kinds show through.
	fill := c
	fill.A = 110
	h.FillColor = fill
	h.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(0.8)}
	return h
}

// Epoch is what the training chart shows of one epoch.
type Epoch struct {
	Epoch       int
	TrainLoss   float64
	ValLoss     float64
	ValAccuracy float64
	// OneShot is the validation N-way one-shot accuracy (N = OneShotWay),
	// 0 when not measured.
	OneShot    float64
	OneShotWay int
}

// Training draws the losses per epoch above the validation accuracies as
// a PNG, marking the epoch kept, which training chose by rule ("lowest
// validation loss"): the chart does not choose it again, since training
// may select by an accuracy.
func Training(w io.Writer, epochs []Epoch, keptEpoch int, rule string) error {
	if len(epochs) == 0 {
		return errors.New("no epoch to plot")
	}
	var train, val, acc, oneShot plotter.XYs
	kept, way := -1, 0
	for i, e := range epochs {
		x := float64(e.Epoch)
		train = append(train, plotter.XY{X: x, Y: e.TrainLoss})
		val = append(val, plotter.XY{X: x, Y: e.ValLoss})
		acc = append(acc, plotter.XY{X: x, Y: e.ValAccuracy})
		if e.OneShotWay > 0 {
			oneShot = append(oneShot, plotter.XY{X: x, Y: e.OneShot})
			way = e.OneShotWay
		}
		if e.Epoch == keptEpoch {
			kept = i
		}
	}
	if kept < 0 {
		return fmt.Errorf("kept epoch %d is not among the epochs plotted", keptEpoch)
	}
	loss := newPlot(fmt.Sprintf("Training: loss per epoch (kept epoch %d)", epochs[kept].Epoch), "", "loss")
	loss.Legend.Top = true
	loss.Legend.XOffs = -vg.Points(8)
	loss.Add(plotter.NewGrid())
	if err := addSeries(loss, "train loss", train, similarColor); err != nil {
		return err
	}
	if err := addSeries(loss, "validation loss", val, dissimilarColor); err != nil {
		return err
	}
	lossLo, lossHi := rangeOf(train, val)
	leaveRoom(loss, lossLo, lossHi, 0.4)
	if err := addKept(loss, val[kept].X, lossLo, lossHi, "kept epoch ("+rule+")"); err != nil {
		return err
	}

	accuracy := newPlot("", "epoch", "validation accuracy")
	accuracy.Legend.Top = true
	accuracy.Legend.XOffs = -vg.Points(8)
	accuracy.Add(plotter.NewGrid())
	if err := addSeries(accuracy, "validation accuracy at its best threshold", acc, eerColor); err != nil {
		return err
	}
	accLo, accHi := rangeOf(acc)
	if len(oneShot) > 0 {
		if err := addSeries(accuracy, fmt.Sprintf("validation %d-way one-shot accuracy", way), oneShot, similarColor); err != nil {
			return err
		}
		accLo, accHi = rangeOf(acc, oneShot)
	}
	leaveRoom(accuracy, accLo, accHi, 0.25)
	if err := addKept(accuracy, val[kept].X, accLo, accHi, ""); err != nil {
		return err
	}
	lo, hi := epochs[0].Epoch, epochs[len(epochs)-1].Epoch
	for _, p := range []*gonum.Plot{loss, accuracy} {
		p.X.Tick.Marker = epochTicks{}
		p.Y.Tick.Marker = exactTicks{}
		// A little room either side keeps the first and last points off
		// the axes.
		p.X.Min, p.X.Max = float64(lo)-0.25, float64(hi)+0.25
	}
	plots := [][]*gonum.Plot{{loss}, {accuracy}}
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadY: vg.Points(12)}
	return writePNG(w, chartWidth, 7*vg.Inch, func(dc draw.Canvas) {
		cs := gonum.Align(plots, tiles, dc)
		loss.Draw(cs[0][0])
		accuracy.Draw(cs[1][0])
	})
}

func addSeries(p *gonum.Plot, name string, xys plotter.XYs, c color.Color) error {
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	line.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(2)}
	points.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
	p.Add(line, points)
	p.Legend.Add(name, line, points)
	return nil
}

// addKept draws the kept epoch as a vertical line over [lo, hi], with a
// legend entry unless name is empty.
func addKept(p *gonum.Plot, epoch, lo, hi float64, name string) error {
	line, err := plotter.NewLine(plotter.XYs{{X: epoch, Y: lo}, {X: epoch, Y: hi}})
	if err != nil {
		return err
	}
	line.LineStyle = draw.LineStyle{Color: markColor, Width: vg.Points(2), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
	p.Add(line)
	if name != "" {
		p.Legend.Add(name, line)
	}
	return nil
}

// leaveRoom sets the y axis to span [lo, hi] with a share of that span
// free above, where the legend goes, so the legend never hides a point.
func leaveRoom(p *gonum.Plot, lo, hi, share float64) {
	span := hi - lo
	if !(span > 0) {
		span = math.Max(math.Abs(hi)*0.1, 1e-3)
	}
	p.Y.Min, p.Y.Max = lo-0.05*span, hi+share*span
}

func rangeOf(series ...plotter.XYs) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, xy := range s {
			lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
		}
	}
	return lo, hi
}

// exactTicks are gonum's default ticks, each labelled with as many
// decimals as the ticks need to be written exactly, the same for all: on
// an accuracy axis from 0.999 to 1.0005 gonum's labels read 0.999, 0.9995,
// 1, 1, and rounding to fewer decimals would put a label on a tick of
// another value.
type exactTicks struct{}

func (exactTicks) Ticks(lo, hi float64) []gonum.Tick {
	ticks := gonum.DefaultTicks{}.Ticks(lo, hi)
	prec := 0
	for _, t := range ticks {
		if t.Label == "" {
			continue // a minor tick
		}
		for prec < 10 && !writesExactly(t.Value, prec) {
			prec++
		}
	}
	seen := map[string]bool{}
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', prec, 64)
			if seen[ticks[i].Label] {
				// A span below the ten decimals (not one a chart of
				// losses and accuracies draws): each value as it is.
				return shortestTicks(ticks)
			}
			seen[ticks[i].Label] = true
		}
	}
	return ticks
}

// shortestTicks labels each labelled tick with the shortest decimal that
// reads back as its value.
func shortestTicks(ticks []gonum.Tick) []gonum.Tick {
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', -1, 64)
		}
	}
	return ticks
}

// writesExactly says whether v written with prec decimals reads back as v
// (to within a ten-billionth of its size: tick values are sums of steps).
func writesExactly(v float64, prec int) bool {
	back, err := strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64), 64)
	return err == nil && math.Abs(back-v) <= 1e-10*math.Max(1, math.Abs(v))
}

// epochTicks labels whole epochs only, about ten of them at most.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []gonum.Tick {
	first, last := int(math.Ceil(lo)), int(math.Floor(hi))
	step := 1
	for (last-first)/step > 10 {
		step = nextStep(step)
	}
	var ticks []gonum.Tick
	for e := first; e <= last; e++ {
		if e%step == 0 {
			ticks = append(ticks, gonum.Tick{Value: float64(e), Label: strconv.Itoa(e)})
		}
	}
	return ticks
}

// nextStep walks 1, 2, 5, 10, 20, 50, ...
func nextStep(s int) int {
	switch {
	case s < 2:
		return 2
	case s < 5:
		return 5
	case s < 10:
		return 10
	}
	return nextStep(s/10) * 10
}

func newPlot(title, x, y string) *gonum.Plot {
	p := gonum.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	return p
}

func marker(x, y float64, shape draw.GlyphDrawer, c color.Color) (*plotter.Scatter, error) {
	s, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
	if err != nil {
		return nil, err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(5), Shape: shape}
	return s, nil
}

// short formats a threshold with four significant digits.
func short(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

func writePNG(w io.Writer, width, height vg.Length, drawOn func(draw.Canvas)) error {
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	drawOn(draw.New(c))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}
