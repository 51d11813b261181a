// Package traininglog writes the record of a training run next to its
// model: a CSV table with one row per epoch and a PNG chart of it, so that
// a run can be judged (did validation loss turn up? how fast was it?)
// without rerunning it.
//
// For a model m.safetensors the files are m.log.csv and m.training.png.
// The CSV header is
//
//	epoch,train_loss,val_loss,val_accuracy,lr,seconds,pairs_per_s
//
// train_loss is the mean loss over the epoch's training batches, val_loss
// and val_accuracy are measured on the fixed validation pairs after the
// epoch (accuracy at the threshold best for those pairs), lr is the
// learning rate the schedule gave the epoch, and seconds and pairs_per_s
// time the training steps alone. Numbers are written in the shortest form
// that reads back to the same float64.
package traininglog
