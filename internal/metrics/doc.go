// Package metrics scores pair verification: deciding from the distance a
// Siamese network assigns to a pair of images whether they show the same
// class.
//
// A pair is predicted similar when its distance is strictly below a
// threshold t. Similar pairs are the positive class, so with the usual
// confusion counts (TP similar pairs predicted similar, FP dissimilar pairs
// predicted similar, TN and FN likewise):
//
//	accuracy  = (TP + TN) / pairs
//	precision = TP / (TP + FP)
//	recall    = TP / (TP + FN)
//	F1        = 2·precision·recall / (precision + recall)
//
// A ratio whose denominator is zero (no pairs, nothing predicted similar, no
// similar pairs, precision and recall both zero) is reported as 0 rather than
// NaN, so that reports stay printable and serialisable; read it as "no
// evidence", not as a measured zero.
//
// AUC is the area under the ROC curve with score -distance, and does not
// depend on t. It equals the Mann–Whitney probability that a random similar
// pair is closer than a random dissimilar pair, ties counting one half:
//
//	AUC = (#{dₛ < d_d} + ½·#{dₛ = d_d}) / (S·D)
//
// over all S·D (similar, dissimilar) combinations. It is NaN when either kind
// of pair is missing, because no ranking can then be judged.
//
// BestThreshold picks the t that maximises accuracy on a set of pairs, for
// use on pairs not seen while choosing it. Only the ordering of t against
// the distinct distances matters, so it tries the smallest distance (all
// pairs dissimilar), every midpoint between consecutive distinct distances,
// and one point above the largest (all pairs similar). Midpoints leave the
// widest room on both sides for the distances of new pairs.
//
// Distances are expected to be ≥ 0. NaN distances, as a diverged network
// produces, are never below a threshold and rank as +Inf, the least similar.
package metrics
