package train

import (
	"fmt"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/progress"
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
		if c, err = dataset.Defaults(ix, dataset.DefaultSample, o.MaxPixels); err != nil {
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
	sizeWhy := c.SizeWhy
	if autoS && o.Size > 64 {
		// Chosen for the pictures, not for the machine: on 2 cores the
		// default tower trains 128 px colour at about 130 pairs/s, a
		// quarter of its speed at 64 px. Said here, where the choice is.
		sizeWhy += fmt.Sprintf("; --size 64 trains on %.0f times fewer pixels, and about that much faster, where the detail allows", float64(o.Size*o.Size)/(64*64))
	}
	line("size", o.Size, autoS, sizeWhy)
	line("resize", o.Resize, autoR, c.ResizeWhy)
	return nil
}

// loadImages decodes one part of the split (through the cache when there
// is one), with a bar showing images/s on a terminal.
func (o *Options) loadImages(ix *dataset.Index, l dataset.Loader, onBad func(string, error) error, part string) (*dataset.Images, error) {
	to := o.Progress
	if o.Report != nil {
		to = nil // a caller's reporter draws its own
	}
	bar := progress.New(to, len(ix.Items), "loading "+part, "images")
	defer bar.Finish()
	return dataset.LoadAll(ix, l, o.Workers, progress.ClearBefore(bar, onBad), bar.Func())
}
