package progress

import (
	"io"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar is a progress bar over a known number of items. The zero of its
// pointer, nil, is a bar that draws nothing.
type Bar struct {
	pb *progressbar.ProgressBar
	// maxDesc is the most cells a label may take for the line to fit the
	// terminal; 0: no limit (the width is not known).
	maxDesc int
}

// New starts a bar on w for total items, labelled desc ("embedding"),
// and showing the items a second as unit ("images") unless unit is "". It
// returns nil, a bar that draws nothing, when w is nil or there is nothing
// to count, or when w is a terminal too narrow for any bar. A caller that
// will Describe longer labels passes one as long as they will be, so that
// the line is laid out for them.
func New(w io.Writer, total int, desc, unit string) *Bar {
	if w == nil || total <= 0 {
		return nil
	}
	width := columns(w)
	l, maxDesc, ok := fit(width, desc, total, unit)
	if !ok {
		return nil
	}
	bar := barWidth
	if width > 0 {
		// The bar takes what the line leaves, up to its widest; the
		// library would widen the line to the last column, which some
		// terminals wrap at once, so it is not shown the terminal.
		room := width - 1
		d := utf8.RuneCountInString(clip(desc, maxDesc))
		bar = min(barWidth, room-l.cells(d, total, unit, 0))
		maxDesc = room - l.cells(0, total, unit, bar)
		w = struct{ io.Writer }{w}
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(clip(desc, maxDesc)),
		progressbar.OptionSetWidth(bar),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(l.time),
	}
	if l.count {
		opts = append(opts, progressbar.OptionShowCount())
	}
	if l.rate && unit != "" {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit))
	}
	pb := progressbar.NewOptions(total, opts...)
	// The clock starts now, as the work does (callers make the bar just
	// before it): by default it starts at the first Set, and a first Set
	// of a whole chunk (1,365 images) read as millions of images a second.
	pb.StartWithoutRender()
	return &Bar{pb: pb, maxDesc: maxDesc}
}

// barWidth is the bar's widest; the library narrows it to fit the
// terminal, down to nothing, but not the text around it: a line wider
// than the terminal wraps, and each redraw then leaves a line behind.
const barWidth = 30

// layout is what a bar's line shows besides its label, percentage and bar.
type layout struct{ count, rate, time bool }

// layouts, from the fullest to the barest: fit takes the first whose
// line fits.
var layouts = [...]layout{{true, true, true}, {true, false, true}, {true, false, false}, {}}

// cells is the widest the line of l can be with a label of desc cells,
// total items and unit, and a bar of minBar cells, as the library draws
// it: "desc 100% |bar| (n/total, 12345 unit/s) [1h2m3s:1h2m3s]", or with
// a space after the figures when there is no time.
func (l layout) cells(desc, total int, unit string, minBar int) int {
	n := desc + len(" 100% || ") + 1 + minBar
	digits := len(strconv.Itoa(total))
	if l.count {
		n += len("(/)") + 2*digits
	}
	if l.rate && unit != "" {
		n += len(", 123456 /s") + utf8.RuneCountInString(unit)
	}
	if l.time {
		n += len(" [1h2m3s:1h2m3s]")
	}
	return n
}

// fit chooses the fullest layout whose line fits width cells with desc
// as the label (width 0: not known, the fullest), and how many cells a
// label may take in it; ok is false when not even a bare bar with a few
// letters of label fits.
func fit(width int, desc string, total int, unit string) (l layout, maxDesc int, ok bool) {
	if width <= 0 {
		return layouts[0], 0, true
	}
	d := utf8.RuneCountInString(desc)
	// The last column is left alone: a line that fills it makes some
	// terminals wrap at once.
	// A figure is dropped before the bar gets shorter than 10 cells; on
	// the bare line the label is cut before the bar gets shorter than 4.
	room := width - 1
	for _, l := range layouts {
		if l.cells(d, total, unit, 10) <= room {
			return l, room - l.cells(0, total, unit, 4), true
		}
	}
	bare := layouts[len(layouts)-1]
	maxDesc = room - bare.cells(0, total, unit, 4)
	if maxDesc < 4 {
		return layout{}, 0, false
	}
	return bare, maxDesc, true
}

// clip cuts desc to at most max cells (0: no limit), ending it with "…".
func clip(desc string, max int) string {
	if max <= 0 || utf8.RuneCountInString(desc) <= max {
		return desc
	}
	r := []rune(desc)
	return string(r[:max-1]) + "…"
}

// columns is the width of the terminal w, or 0 when w is not one.
func columns(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	c, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return c
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
		b.pb.Describe(clip(desc, b.maxDesc))
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
