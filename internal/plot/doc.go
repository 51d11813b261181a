// Package plot draws the PNG charts of siamese with gonum.org/v1/plot:
// the ROC curve and the distance histograms of an evaluation, and the
// per-epoch curves of a training run.
//
// ROC plots the true-accept rate TPR = TP/similar pairs against the
// false-accept rate FPR = FP/dissimilar pairs over every threshold (see
// package metrics), with the area under it in the title. The stored
// threshold's operating point is marked, and so is the equal-error point
// (FPR = 1 − TPR), which lies where the curve meets the anti-diagonal.
// A good model's curve hugs the top-left corner, where the full square
// shows nothing, so when the errors are small (3·EER and the stored
// point's rates within 0.2) a second panel zooms on the smallest square of
// side 0.01, 0.02, 0.05, 0.1 or 0.2 that holds them.
//
// Distances overlays the histograms of similar and dissimilar pair
// distances on shared bins, with the stored threshold as a vertical line:
// similar pairs right of it are false rejects, dissimilar pairs left of it
// false accepts. The number of bins is √pairs, kept within 10..60, so
// a small evaluation is not all gaps and a large one not a solid block.
// Pairs at infinite or NaN distance (a diverged network) cannot be placed
// on the axis; the title counts them.
//
// Training draws the training and validation loss per epoch above the
// validation accuracy, with a vertical line at the epoch of lowest
// validation loss, which is the one training keeps.
//
// Every gonum/plot chart is a PNG at 110 dpi whose size depends only on its kind (7×5
// inches a panel; the training chart 7×7), so that it reads the same in an
// image viewer and a report.
package plot
