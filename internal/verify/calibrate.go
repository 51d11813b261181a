package verify

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/metrics"
	"github.com/siamese-dev/siamese/internal/model"
)

// The rules Calibrate chooses a threshold by.
const (
	RuleBest        = "best"         // the highest accuracy on the pairs
	RuleEqualError  = "eer"          // false accepts as frequent as false rejects
	RuleFalseAccept = "false-accept" // the most accepting within a false-accept rate
)

// CalibrateOptions configures Calibrate.
type CalibrateOptions struct {
	Model string
	Out   string // the model file to write, with the new threshold
	Data  string // the folder whose pairs choose the threshold
	Rule  string // RuleBest, RuleEqualError or RuleFalseAccept
	// FalseAccept is the false-accept rate RuleFalseAccept allows.
	FalseAccept float64
	Pairs       int
	Seed        uint64
	MaxPixels   int
	Strict      bool
	Warn        func(msg string)
	Progress    io.Writer
}

// CalibrateResult is what Calibrate chose and wrote.
type CalibrateResult struct {
	Model string  `json:"model"`
	Out   string  `json:"out"`
	Data  string  `json:"data"`
	Pairs int     `json:"pairs"`
	Rule  string  `json:"rule"`
	Old   float64 `json:"old_threshold"`
	New   float64 `json:"threshold"`
	// The rates at the new threshold on the pairs that chose it.
	Accuracy    float64 `json:"accuracy"`
	FalseAccept float64 `json:"false_accept"`
	TrueAccept  float64 `json:"true_accept"`
}

// Calibrate chooses a model's threshold on the pairs of another folder
// (a set of classes the model will verify, which training never saw, so
// its validation pairs chose the threshold for other classes) and writes
// the model with it to Out. Compare, search, identify and serve then use
// it; the model file records where it came from.
func Calibrate(o CalibrateOptions) (*CalibrateResult, error) {
	switch o.Rule {
	case RuleBest, RuleEqualError:
	case RuleFalseAccept:
		if !(o.FalseAccept > 0 && o.FalseAccept < 1) {
			return nil, fmt.Errorf("--far must be between 0 and 1, got %v", o.FalseAccept)
		}
	default:
		return nil, fmt.Errorf("unknown --rule %q (valid: %s, %s, or --far F)", o.Rule, RuleBest, RuleEqualError)
	}
	if o.Data == "" {
		return nil, fmt.Errorf("--data is required: the folder of classes whose pairs choose the threshold")
	}
	if o.Out == "" {
		return nil, fmt.Errorf("--out is required: the model file to write")
	}
	if err := model.CheckWritable(o.Out); err != nil {
		return nil, fmt.Errorf("--out %w", err)
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	var limits []float64
	if o.Rule == RuleFalseAccept {
		limits = []float64{o.FalseAccept}
	}
	eo := EvalOptions{Model: o.Model, Data: o.Data, Pairs: o.Pairs, Seed: o.Seed, MaxPixels: o.MaxPixels,
		Strict: o.Strict, Warn: o.Warn, Progress: o.Progress, FalseAccept: limits}
	if err := eo.check(); err != nil {
		return nil, err
	}
	// The model loaded above, not a second copy: evaluate only reads it.
	rep, err := evaluate(m, eo)
	if err != nil {
		return nil, err
	}
	res := &CalibrateResult{Model: o.Model, Out: o.Out, Data: o.Data, Pairs: rep.Pairs, Old: m.Meta.Threshold}
	switch o.Rule {
	case RuleBest:
		res.Rule, res.New = "best accuracy", rep.BestThreshold
	case RuleEqualError:
		res.Rule, res.New = "equal error", rep.EERThreshold
	case RuleFalseAccept:
		if len(rep.AtFalseAccept) == 0 {
			need := math.Ceil(10 / o.FalseAccept)
			impostors := rep.TN + rep.FP
			if rep.PairsAsked > 0 {
				// The pairs were cut to the similar ones the images make.
				return nil, fmt.Errorf("--far %v needs at least %.0f dissimilar pairs to measure (ten for each one it lets through); the images of %s make %d similar pairs, and as many dissimilar ones are drawn: give more images a class, or a larger --far",
					o.FalseAccept, need, o.Data, rep.DistinctSimilar)
			}
			return nil, fmt.Errorf("--far %v needs at least %.0f dissimilar pairs to measure (ten for each one it lets through), got %d: pass --pairs %.0f or more",
				o.FalseAccept, need, impostors, 2*need)
		}
		res.Rule, res.New = "false accept <= "+strconv.FormatFloat(o.FalseAccept, 'g', -1, 64), rep.AtFalseAccept[0].Threshold
	}
	if math.IsNaN(res.New) || math.IsInf(res.New, 0) || res.New < 0 {
		return nil, fmt.Errorf("data %s: no threshold by %s on its pairs (%v)", o.Data, res.Rule, res.New)
	}
	// The rates at the new threshold, on the same pairs.
	at := metrics.Evaluate(rep.dist, rep.similar, res.New)
	res.Accuracy = at.Accuracy
	res.FalseAccept = float64(at.FP) / float64(max(1, at.FP+at.TN))
	res.TrueAccept = float64(at.TP) / float64(max(1, at.TP+at.FN))
	if rep.Pairs < 200 && o.Warn != nil {
		o.Warn(fmt.Sprintf("the threshold was chosen on %d pairs only: it may not carry over to other pairs of these classes", rep.Pairs))
	}
	// Recorded absolute, so eval knows the folder from anywhere.
	data := rep.Data
	if abs, err := filepath.Abs(data); err == nil && data != dataset.BuiltinName {
		data = abs
	}
	m.Meta.Calibration = &model.Calibration{Data: data, Pairs: rep.Pairs, Rule: res.Rule, Trained: trainedThreshold(m), Threshold: res.New}
	m.Meta.Threshold = res.New
	if err := model.Save(o.Out, m); err != nil {
		return nil, err
	}
	return res, nil
}

// trainedThreshold is the threshold training chose: a model calibrated
// before keeps it in its calibration.
func trainedThreshold(m *model.Model) float64 {
	if c := m.Meta.Calibration; c != nil {
		return c.Trained
	}
	return m.Meta.Threshold
}
