package train

import (
	"fmt"
	"io"

	"github.com/siamese-dev/siamese/internal/progress"
)

// textReporter writes one line per epoch to log and, when progress is a
// terminal, a progress bar per epoch with the running loss and pairs/s.
type textReporter struct {
	log      io.Writer
	warn     io.Writer
	progress io.Writer
	bar      *progress.Bar
	epoch    int
	epochs   int
	unit     string // what a step's batch counts: "pairs" or "images"
}

func newTextReporter(log, warn, progress io.Writer) *textReporter {
	return &textReporter{log: log, warn: warn, progress: progress, unit: "pairs"}
}

func (r *textReporter) EpochStart(epoch, epochs, steps int) {
	r.epoch, r.epochs = epoch, epochs
	// The rate is in the label, with the loss: the bar's own counts steps.
	// The bar is laid out for that label (it is not drawn before the
	// first step, which gives it).
	r.bar = progress.New(r.progress, steps, r.stepLabel(0, 99999), "")
}

// stepLabel is the bar's label during an epoch: its running loss and rate.
func (r *textReporter) stepLabel(loss, pairsPerSec float64) string {
	return fmt.Sprintf("%s loss %.4f %4.0f %s/s", r.epochName(r.epoch), loss, pairsPerSec, r.unit)
}

func (r *textReporter) Step(step int, loss, pairsPerSec float64) {
	r.bar.Describe(r.stepLabel(loss, pairsPerSec))
	r.bar.Set(step)
}

func (r *textReporter) EpochEnd(e EpochResult) {
	r.bar.Finish()
	r.bar = nil
	mark := ""
	if e.Best {
		mark = " *"
	}
	oneShot := ""
	if e.OneShotWay > 0 {
		oneShot = fmt.Sprintf("  val %d-way %.4f", e.OneShotWay, e.OneShot)
	}
	fmt.Fprintf(r.log, "%s  train loss %.4f  val loss %.4f  val acc %.4f%s  %.0f %s/s  %.1fs%s\n",
		r.epochName(e.Epoch), e.TrainLoss, e.ValLoss, e.ValAccuracy, oneShot, e.PairsPerSec, r.unit, e.Seconds, mark)
}

// epochName is "epoch 3/10", or "epoch 3" when a time budget decides how
// many there will be.
func (r *textReporter) epochName(epoch int) string {
	if r.epochs <= 0 {
		return fmt.Sprintf("epoch %d", epoch)
	}
	return fmt.Sprintf("epoch %d/%d", epoch, r.epochs)
}

// finish clears the bar of an epoch that did not end.
func (r *textReporter) finish() {
	r.bar.Finish()
	r.bar = nil
}

func (r *textReporter) Warn(msg string) {
	fmt.Fprintf(r.warn, "warning: %s\n", msg)
}
