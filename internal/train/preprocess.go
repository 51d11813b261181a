package train

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/siamese-dev/siamese/internal/dataset"
)

// choosePreprocessing fills the size, channels and resize mode left to the
// data (0 or "auto") from a sample of ix, and prints one line for each of
// the three: what it is and why, so a user who did not ask knows.
func (o *Options) choosePreprocessing(ix *dataset.Index) error {
	if o.Resize == "auto" {
		o.Resize = ""
	}
	var c dataset.Choice
	if o.Size == 0 || o.Channels == 0 || o.Resize == "" {
		var err error
		if c, err = dataset.Defaults(ix, dataset.DefaultSample); err != nil {
			return err
		}
	}
	line := func(what string, v any, auto bool, why string) {
		switch file, ok := o.Configured[what]; {
		case auto:
		case ok:
			why = "set in " + file
		default:
			why = "set with --" + what
		}
		fmt.Fprintf(o.Log, "%s %v: %s\n", what, v, why)
	}
	autoC, autoS, autoR := o.Channels == 0, o.Size == 0, o.Resize == ""
	if autoC {
		o.Channels = c.Channels
	}
	if autoS {
		o.Size = c.Size
	}
	if autoR {
		o.Resize = c.Resize
	}
	line("channels", o.Channels, autoC, c.ChannelsWhy)
	line("size", o.Size, autoS, c.SizeWhy)
	line("resize", o.Resize, autoR, c.ResizeWhy)
	return nil
}

// loadImages decodes one part of the split (through the cache when there
// is one), with a bar showing images/s on a terminal.
func (o *Options) loadImages(ix *dataset.Index, l dataset.Loader, onBad func(string, error) error, part string) (*dataset.Images, error) {
	var progress func(int)
	if o.Progress != nil && o.Report == nil && len(ix.Items) > 0 {
		bar := progressbar.NewOptions(len(ix.Items),
			progressbar.OptionSetWriter(o.Progress),
			progressbar.OptionSetDescription("loading "+part),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("images"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
		progress = func(done int) { bar.Set(done) }
		// A warning starts on a line of its own: the bar's line is cleared
		// first (it is drawn again with the next image), where the warning
		// was glued to the end of the bar.
		if warn := onBad; warn != nil {
			onBad = func(path string, err error) error {
				bar.Clear()
				return warn(path, err)
			}
		}
	}
	return dataset.LoadAll(ix, l, o.Workers, onBad, progress)
}
