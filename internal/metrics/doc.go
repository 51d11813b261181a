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
// # Curves
//
// ROC lists the operating point (FPR, TPR) of each of those candidate
// thresholds, where FPR = FP/dissimilar pairs is the false-accept rate and
// 1 − TPR = FN/similar pairs the false-reject rate. Joining the points by
// straight segments gives the curve whose area is AUC (a segment across
// tied similar and dissimilar pairs is the diagonal that the ½ counts).
//
// EER, the equal error rate, is where that polyline crosses
// false-accept = false-reject. Along the points FAR − FRR rises strictly
// from −1 to +1, so the crossing is unique: on the segment from point a to
// point b with gaps g_a < 0 ≤ g_b, at fraction f = −g_a / (g_b − g_a),
//
//	EER = FAR_a + f·(FAR_b − FAR_a),   t_EER = t_a + f·(t_b − t_a).
//
// Since t_a < d < t_b for the distance d of the pairs crossed, predicting at
// t_EER gives one of the two bracketing points, whose FAR and FRR straddle
// the EER.
//
// AveragePrecision ranks pairs by increasing distance and sums precision
// at each distinct distance weighted by the recall it adds,
//
//	AP = Σₖ (Rₖ − Rₖ₋₁)·Pₖ,
//
// all pairs at one distance counted together (as scikit-learn's
// average_precision_score does with tied scores). Unlike AUC it depends on
// the share of similar pairs: a random ranking scores that share.
//
// Distances are expected to be ≥ 0. NaN distances, as a diverged network
// produces, are never below a threshold and rank as +Inf, the least similar.
package metrics
