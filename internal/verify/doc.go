// Package verify uses a trained model: it compares images (distance and
// verdict) and evaluates the model on held-out pairs.
//
// A pair is judged similar when its distance is below the model's
// threshold t, which training chose to maximise accuracy on validation
// pairs. Evaluation reports, over balanced pairs of held-out images:
//
//	accuracy  = (TP + TN) / pairs
//	precision = TP / (TP + FP)      (similar is the positive class)
//	recall    = TP / (TP + FN)
//	F1        = 2 precision recall / (precision + recall)
//	AUC       = P(d(similar pair) < d(dissimilar pair)), ties counting 1/2
//
// AUC does not depend on t: it says how well distances rank pairs, while
// accuracy says how well the stored threshold cuts them.
//
// Images are preprocessed exactly as in training (size and channels come
// from the model), so a gray model accepts colour images and the reverse.
// Every image is embedded once, in batches on all cores, however many pairs
// it appears in.
package verify
