package train

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// textReporter writes one line per epoch to log and, when progress is a
// terminal, a progress bar per epoch with the running loss and pairs/s.
type textReporter struct {
	log      io.Writer
	warn     io.Writer
	progress io.Writer
	bar      *progressbar.ProgressBar
	epoch    int
	epochs   int
}

func newTextReporter(log, warn, progress io.Writer) *textReporter {
	return &textReporter{log: log, warn: warn, progress: progress}
}

func (r *textReporter) EpochStart(epoch, epochs, steps int) {
	r.epoch, r.epochs = epoch, epochs
	if r.progress == nil {
		return
	}
	r.bar = progressbar.NewOptions(steps,
		progressbar.OptionSetWriter(r.progress),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, epochs)),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

func (r *textReporter) Step(step int, loss, pairsPerSec float64) {
	if r.bar == nil {
		return
	}
	r.bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f %4.0f pairs/s", r.epoch, r.epochs, loss, pairsPerSec))
	r.bar.Set(step)
}

func (r *textReporter) EpochEnd(e EpochResult) {
	if r.bar != nil {
		r.bar.Finish()
		r.bar = nil
	}
	mark := ""
	if e.Best {
		mark = " *"
	}
	fmt.Fprintf(r.log, "epoch %d/%d  train loss %.4f  val loss %.4f  val acc %.4f  %.0f pairs/s  %.1fs%s\n",
		e.Epoch, r.epochs, e.TrainLoss, e.ValLoss, e.ValAccuracy, e.PairsPerSec, e.Seconds, mark)
}

func (r *textReporter) Warn(msg string) {
	fmt.Fprintf(r.warn, "warning: %s\n", msg)
}
