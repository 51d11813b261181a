package train

import "github.com/siamese-dev/siamese/internal/dataset"

// source indexes the data to train on: the caller's own Index, or the
// folder or built-in sample that Data names. The name is how the data is
// recorded in the model.
func (o *Options) source() (*dataset.Index, string, error) {
	if o.Index != nil {
		return o.Index, o.Index.Root, nil
	}
	return dataset.Open(o.Data)
}

// reporter is the caller's Reporter, or the text lines and bars the CLI
// shows.
func (o *Options) reporter() Reporter {
	if o.Report != nil {
		return o.Report
	}
	r := newTextReporter(o.Log, o.Warnings, o.Progress)
	r.unit = StepUnit(o.Loop.Batches)
	return r
}

// StepUnit names what a step's batch counts under the LoopOptions.Batches
// value batches, as the epoch lines say: "images" for BatchesClasses,
// "pairs" otherwise.
func StepUnit(batches string) string {
	if batches == BatchesClasses {
		return "images"
	}
	return "pairs"
}
