package progress

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Bar is a progress bar over a known number of items. The zero of its
// pointer, nil, is a bar that draws nothing.
type Bar struct {
	pb *progressbar.ProgressBar
}

// New starts a bar on w for total items, labelled desc ("embedding"),
// and showing the items a second as unit ("images") unless unit is "". It
// returns nil, a bar that draws nothing, when w is nil or there is nothing
// to count.
func New(w io.Writer, total int, desc, unit string) *Bar {
	if w == nil || total <= 0 {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
	}
	if unit != "" {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit))
	}
	pb := progressbar.NewOptions(total, opts...)
	// The clock starts now: by default it starts at the first Set, and a
	// first Set of a whole chunk (1,365 images) read as millions of images
	// a second. Nothing is drawn before then, not a bar at "0 images/hr".
	pb.StartWithoutRender()
	return &Bar{pb: pb}
}

// Set says that done items are finished.
func (b *Bar) Set(done int) {
	if b != nil {
		_ = b.pb.Set(done) // a terminal that cannot be drawn on loses the bar, not the work
	}
}

// Describe replaces the label, for figures that change as the work goes
// (an epoch's running loss).
func (b *Bar) Describe(desc string) {
	if b != nil {
		b.pb.Describe(desc)
	}
}

// Clear blanks the bar's line, so that a warning can be printed on it.
func (b *Bar) Clear() {
	if b != nil {
		_ = b.pb.Clear()
	}
}

// Finish ends the bar and blanks its line. Calling it twice is harmless.
func (b *Bar) Finish() {
	if b != nil && !b.pb.IsFinished() {
		_ = b.pb.Finish()
	}
}

// Func is Set as a function value, or nil for a nil bar: the form the
// dataset loaders take their progress in.
func (b *Bar) Func() func(done int) {
	if b == nil {
		return nil
	}
	return b.Set
}

// ClearBefore wraps a loader's onBad (see dataset.LoadAll) so that the
// bar's line is cleared before each bad image is reported: the warning
// starts on a line of its own instead of at the end of the bar, which is
// drawn again with the next image. A nil bar or onBad is returned as it is.
func ClearBefore(b *Bar, onBad func(path string, err error) error) func(path string, err error) error {
	if b == nil || onBad == nil {
		return onBad
	}
	return func(path string, err error) error {
		b.Clear()
		return onBad(path, err)
	}
}
