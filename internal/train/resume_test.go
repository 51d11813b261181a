package train

import (
	"slices"
	"testing"

	"github.com/siamese-dev/siamese/internal/network"
)

// TestSettingsDiff checks what a refused resume says changed: the
// fingerprint's fields by dotted name, old and new value, nothing when the
// settings agree or one side does not parse (a checkpoint from before the
// settings were kept).
func TestSettingsDiff(t *testing.T) {
	base := Options{Size: 28, Channels: 1, LossName: "contrastive", Margin: 1, Layers: network.DefaultLayers()}
	base.Loop.LearningRate, base.Loop.Seed, base.Loop.Epochs = 0.001, 1, 10
	_, was := base.fingerprint("digits")
	for _, tc := range []struct {
		name   string
		change func(o *Options)
		data   string
		want   []string
	}{
		{"the same", func(o *Options) {}, "digits", nil},
		{"more epochs", func(o *Options) { o.Loop.Epochs = 20 }, "digits", nil},
		{"learning rate and seed", func(o *Options) { o.Loop.LearningRate, o.Loop.Seed = 0.01, 2 },
			"digits", []string{"Loop.LearningRate was 0.001, now 0.01", "Loop.Seed was 1, now 2"}},
		{"margin and data", func(o *Options) { o.Margin = 2 }, "letters", []string{`Data was "digits", now "letters"`, "Margin was 1, now 2"}},
		{"a layer", func(o *Options) { o.Layers = o.Layers[:len(o.Layers)-1] }, "digits", []string{"Layers was"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			o.Layers = slices.Clone(base.Layers)
			tc.change(&o)
			_, now := o.fingerprint(tc.data)
			got := settingsDiff(was, now)
			if len(got) != len(tc.want) {
				t.Fatalf("diff %q, want %d entries like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if len(got[i]) < len(w) || got[i][:len(w)] != w {
					t.Errorf("entry %d: %q, want it to start %q", i, got[i], w)
				}
			}
		})
	}
	if d := settingsDiff(nil, was); d != nil {
		t.Errorf("a checkpoint without settings: %q, want nil", d)
	}
}

// TestDivergeHint: a diverged run's message names the weight decay when
// it is on (1e6 blew up at the default learning rate, and the message
// blamed --lr alone).
func TestDivergeHint(t *testing.T) {
	for _, tc := range []struct {
		decay float64
		want  string
	}{{0, ""}, {1e6, " or the weight decay (--weight-decay 1e+06)"}} {
		if got := divergeHint(LoopOptions{WeightDecay: tc.decay}); got != tc.want {
			t.Errorf("weight decay %g: %q, want %q", tc.decay, got, tc.want)
		}
	}
}
