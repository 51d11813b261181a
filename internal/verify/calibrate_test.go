package verify

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/model"
)

// TestCalibrate chooses thresholds under the mean-pixel model on flat gray
// classes whose distances are known: within a class at most 10 levels
// (10/255), between classes at least 90, so the best accuracy's threshold
// lies between the largest within-class and the smallest between-class
// distances; a second calibration keeps the threshold training chose.
func TestCalibrate(t *testing.T) {
	dir := t.TempDir()
	m := meanModel(t, dir, 0.9) // far too loose: every pair similar
	data := grayFolder(t, dir, map[string][]uint8{"a": {20, 25, 30}, "b": {120, 125, 130}, "c": {220, 225, 230}})
	out := filepath.Join(dir, "calibrated.safetensors")
	r, err := Calibrate(CalibrateOptions{Model: m, Out: out, Data: data, Rule: RuleBest, Pairs: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(r.New > 10.0/255 && r.New < 90.0/255) || r.Old != 0.9 || r.Accuracy != 1 || r.FalseAccept != 0 || r.TrueAccept != 1 {
		t.Errorf("best: %+v; want a threshold between 10/255 and 90/255, every pair right", r)
	}
	got, err := model.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Meta.Calibration
	if got.Meta.Threshold != r.New || c == nil || c.Trained != 0.9 || c.Threshold != r.New || c.Rule != "best accuracy" || c.Pairs != r.Pairs || !filepath.IsAbs(c.Data) {
		t.Errorf("written model: threshold %g, calibration %+v", got.Meta.Threshold, c)
	}
	// Measured on the folder that chose its threshold, eval says the
	// accuracy there is not held out.
	if ev, err := Evaluate(EvalOptions{Model: out, Data: data, Pairs: 40, Seed: 1}); err != nil || !strings.Contains(ev.Note, "threshold was calibrated on pairs of") {
		t.Errorf("eval on the calibration folder: note %q, %v", ev.Note, err)
	}
	// Calibrated again, in place, by the equal error rate: the record
	// keeps training's threshold, not the first calibration's.
	r2, err := Calibrate(CalibrateOptions{Model: out, Out: out, Data: data, Rule: RuleEqualError, Pairs: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := model.Load(out); again.Meta.Calibration.Trained != 0.9 || again.Meta.Threshold != r2.New || r2.Old != r.New {
		t.Errorf("second calibration: %+v, record %+v", r2, again.Meta.Calibration)
	}
	for _, tt := range []struct {
		o    CalibrateOptions
		want string
	}{
		{CalibrateOptions{Rule: "median"}, `unknown --rule "median"`},
		{CalibrateOptions{Rule: RuleFalseAccept, FalseAccept: 1.5}, "--far must be between 0 and 1"},
		{CalibrateOptions{Rule: RuleBest, Out: out}, "--data is required"},
		// 9 images make 9 similar pairs and as many dissimilar are drawn:
		// 1% needs 1,000.
		{CalibrateOptions{Rule: RuleFalseAccept, FalseAccept: 0.01, Data: data, Out: out, Pairs: 40}, "make 9 similar pairs"},
	} {
		tt.o.Model = m
		if _, err := Calibrate(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.o, err, tt.want)
		}
	}
}
