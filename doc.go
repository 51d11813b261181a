// Package siamese trains Siamese networks for image similarity and uses
// them: the Go door into the project that the siamese command is built on.
//
// A Siamese network maps each image of a pair through the same tower of
// layers to an embedding and measures the distance d between the two
// embeddings. Training draws balanced pairs of similar (same class, label
// y = 1) and dissimilar (y = 0) images and minimises a Loss of d and y, so
// that similar images end up close and dissimilar ones at least a margin
// apart. The trained Model then calls two images similar when their
// distance is below the threshold that best separated the validation pairs.
//
// Train takes a folder of class sub-folders, the built-in Fashion-MNIST
// sample, or images held in memory, and returns a Model; Load reads one
// saved by Save or by `siamese train`. Compare, Embed and EmbedAll take
// decoded images (image.Image) and prepare them exactly as training did.
//
// The loss is chosen by value: Contrastive, Huber and MSE, or LossByName
// with LossParams as on the command line, or a type of the caller's own
// with the methods of Loss, the mean loss over pairs and its gradient with
// respect to the distances. Such a loss trains on pair batches (the
// default Options.Batches) like a built-in one; class batches, which
// compare every pair of a batch, need a built-in loss (Contrastive, or
// LossByName "triplet" or "ntxent").
//
// The exported names of this package follow semantic versioning; the
// packages under internal/ and the command's human-readable output do not
// (see the README).
package siamese
