// Package pairs draws balanced, reproducible sets of image pairs for training
// and evaluating a Siamese network.
//
// A Siamese network learns from pairs labelled similar (same class) or
// dissimilar (different classes). With C classes of roughly equal size, only
// about 1/C of all possible pairs are similar, so pairs drawn uniformly from
// all pairs are overwhelmingly dissimilar. On such a stream the network can
// reach a low loss and a high accuracy by pushing every pair apart and never
// learning what makes two images alike. The Sampler therefore draws every
// set half similar and half dissimilar (the extra pair of an odd count is
// similar), then shuffles it so that a mini-batch cut from the set sees both
// kinds.
//
// # Sampling
//
// A similar pair picks a class uniformly among the classes with at least two
// images, then two distinct images of that class uniformly. A dissimilar pair
// picks two distinct classes uniformly among all classes, then one image of
// each uniformly. Picking the class before the image keeps a large class from
// dominating the pairs; the price is that images of small classes recur more
// often. A class with a single image cannot form a similar pair but still
// serves as a dissimilar partner; SingletonClasses lists such classes so
// callers can warn about them.
//
// # One-shot trials
//
// An N-way one-shot trial asks whether the model finds, among N reference
// images of N distinct classes, the one of the query's class nearest to
// the query. DrawTrials picks the query's class uniformly among the classes
// with two images or more, the query and its reference as two distinct
// images of it, then N-1 other classes uniformly without repetition and one
// image of each. A trial scores 1 when the right reference is strictly
// nearest, 0 when another is nearer, and 1/k when k references tie at the
// nearest distance (the expected score of a random tie-break).
//
// The accuracy is the mean score p over n trials, given with its 95%
// Wilson score interval,
//
//	(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n),  z = 1.96,
//
// the proportions whose score test at the 5% level accepts the count seen.
// The normal approximation p ± z·sqrt(p(1-p)/n) shrinks to a point at p = 0
// or 1 (1,000 right of 1,000 would read 1 ± 0) and is too narrow near
// them; the Wilson interval stays inside [0, 1] and keeps a width there
// (1,000 of 1,000 gives 0.9962 to 1). Tied trials score between 0 and 1,
// whose variance is at most p(1-p), so for them the interval errs wide.
//
// Trials that share a query image are not independent (an image hard to
// place fails every trial it is the query of), so n is their effective
// number: n/deff, the design effect deff being the variance of p with the
// trials clustered by query, g/(g-1)·Σ_q(Σ_{t∈q}(s_t-p))²/n² over g query
// images, divided by its variance were they independent,
// Σ_t(s_t-p)²/(n(n-1)); at most n, and n itself when no query repeats.
// Where the scores do not vary, n is the number of distinct queries.
// 100,000 trials drawn from 10 test images so give an interval as wide as
// about 10 trials do, not one a thousandth of a point wide.
// It covers the drawing of trials from the images at hand, not which
// classes and images happened to be held out.
//
// # Reproducibility
//
// The Sampler owns a PCG generator (math/rand/v2) seeded from the seed given
// to NewSampler. Each Draw continues the same stream, so successive epochs
// get fresh pairs, while two samplers built from the same labels and seed
// produce the same sequence of sets.
package pairs
