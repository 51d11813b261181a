package train

import (
	"strings"
	"testing"
)

// TestPreprocessingSaysWhereSet: a size, channels or resize mode the run
// did not choose is logged as set by its flag, or by the config file that
// set it (a preset's size read "set with --size" though no flag was given).
func TestPreprocessingSaysWhereSet(t *testing.T) {
	var log strings.Builder
	o := Options{Size: 64, Channels: 3, Resize: "crop", Log: &log,
		Configured: map[string]string{"size": "configs/photos.yaml", "resize": "configs/photos.yaml"}}
	if err := o.choosePreprocessing(nil); err != nil {
		t.Fatal(err)
	}
	want := "channels 3: set with --channels\nsize 64: set in configs/photos.yaml\nresize crop: set in configs/photos.yaml\n"
	if log.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
	}
}
