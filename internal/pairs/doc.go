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
// # Reproducibility
//
// The Sampler owns a PCG generator (math/rand/v2) seeded from the seed given
// to NewSampler. Each Draw continues the same stream, so successive epochs
// get fresh pairs, while two samplers built from the same labels and seed
// produce the same sequence of sets.
package pairs
