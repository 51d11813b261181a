// Package train runs a training job: it scans and splits the image folder,
// draws fresh balanced pairs every epoch, steps the Siamese graph with an
// optimiser, measures validation pairs after every epoch, checkpoints, and
// saves the best epoch's weights with the distance threshold that
// maximises validation accuracy.
//
// Each epoch draws its pairs from a generator seeded by (seed, epoch), and a
// checkpoint holds weights, optimiser moments and the best epoch so far, so
// a run interrupted after epoch k and resumed computes exactly what the
// uninterrupted run computes from epoch k+1 on.
//
// The learning-rate schedules are per epoch e of E:
//
//	none:   lr
//	step:   lr * 0.1^floor((e-1)/ceil(E/3))      (÷10 after each third)
//	cosine: lr/100 + (lr - lr/100) * (1 + cos(pi*(e-1)/(E-1))) / 2
//
// Early stopping (patience p > 0) stops after p epochs without a lower
// validation loss; the weights of the best epoch are kept either way.
//
// All three parts of the split are decoded before training, the test part
// only to be checked: a file that cannot be read is skipped with a warning
// (an error with Strict), a class left with no readable image is named,
// and the counts a run reports are of the images that could be read.
// Every warning goes through the Reporter: the CLI's text lines, or a Go
// caller's own.
package train
