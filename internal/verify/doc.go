// Package verify uses a trained model: it compares images (distance and
// verdict), evaluates the model on held-out pairs and one-shot trials,
// embeds images and searches a gallery for the nearest ones.
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
//	EER       = the rate where false accepts = false rejects (see metrics)
//	AP        = area under precision–recall, ranking by -distance
//
// AUC, EER and AP do not depend on t: they say how well distances rank
// pairs, while accuracy says how well the stored threshold cuts them. The
// threshold best for the evaluated pairs is shown next to the stored one
// for reference only: chosen on the pairs it is scored on, it flatters.
// Per class, the share of similar pairs judged similar shows which classes
// the tower spreads out.
//
// # One-shot trials
//
// An N-way one-shot trial (Koch, Zemel and Salakhutdinov 2015) asks the
// question a Siamese network is for: given one example of each of N
// classes, which is the query like? A trial picks a query class among
// those with at least two images, N−1 other distinct classes, the query
// and a different reference image of its class, and one reference of each
// other class, all uniformly. It scores 1 when the query's own reference
// is strictly nearest, 1/k when k references tie at the nearest distance
// (the expected score of a random tie-break), else 0; the accuracy is the
// mean over trials, and chance is 1/N. The trials are drawn from their own
// stream of the seed, so asking for them leaves the pairs unchanged. On a
// folder of classes the model never saw, this measures how well the
// embedding generalises, which pair accuracy on seen classes does not.
//
// # Inference
//
// Images are preprocessed exactly as in training (size and channels come
// from the model), so a gray model accepts colour images and the reverse.
// Pairs and trials are drawn from the list of images first, and only the
// images they use are decoded (on all cores) and embedded (in batches on
// all cores), each once however many pairs and trials it is in. If one of
// them cannot be read, it is dropped from the list and the draw repeated,
// which gives the pairs a data set without that image would have given.
//
// Search embeds the query and takes the gallery's embeddings from the
// cache of package embedding, embedding only new or changed images; the
// nearest images come first, ties in path order.
package verify
