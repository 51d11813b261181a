// Package contrastive provides the losses that train a Siamese network from
// pair distances, both as gorgonia graph nodes (for training) and as plain
// float64 computations (for validation loss, reporting and tests). The
// built-in pair losses also compute themselves and their gradient on
// float32 slices (PairGrader), rounding as their graphs do, which a
// training step runs in place of the graph (pairgrad.go).
//
// A Siamese network maps the two images of a pair through the same tower and
// outputs their Euclidean distance d ≥ 0. Each pair carries a label y.
//
// # Label convention
//
// In this package y = 1 means the pair is SIMILAR (same class) and y = 0 means
// it is DISSIMILAR. Hadsell, Chopra & LeCun (2006), "Dimensionality Reduction
// by Learning an Invariant Mapping", use the opposite convention (Y = 0 for
// similar pairs), so their formula has y and 1-y swapped relative to the one
// below. Labels are expected to be exactly 0 or 1; other values are not
// rejected (a graph cannot check them) and interpolate linearly between the
// two cases.
//
// # Losses
//
// Every loss is the mean over the batch of a per-pair term. With margin m > 0:
//
// Contrastive (Hadsell et al.) pulls similar pairs together and pushes
// dissimilar pairs apart until they are at least m away, after which they
// contribute nothing:
//
//	ℓ(d, y) = y·d² + (1-y)·max(m - d, 0)²
//
// Huber and MSE regress d onto a target distance instead: t = 0 for similar
// pairs and t = m for dissimilar ones, with residual a = d - t. Unlike the
// contrastive loss they also pull dissimilar pairs that are too far back to m.
//
//	MSE:    ℓ = a²
//	Huber:  ℓ = ½a²              if |a| ≤ δ
//	        ℓ = δ(|a| - ½δ)      otherwise
//
// Huber grows only linearly for |a| > δ, so a few badly placed pairs cannot
// dominate the gradient the way they do under MSE. On the graph it is built
// without branches as c·(|a| - ½c) with c = min(|a|, δ) = |a| - max(|a| - δ, 0),
// which equals ½a² when c = |a| and δ(|a| - ½δ) when c = δ; its derivative
// with respect to d is c·sign(a), continuous at |a| = δ.
//
// # Registry
//
// A Registry maps loss names to constructors taking Params, so a command line
// or a model file can name a loss and its parameters. Callers create their own
// Registry with NewRegistry (there is no package-level registry to mutate) and
// may Register their own losses, typically built from a Func.
package contrastive
