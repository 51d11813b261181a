// Package model reads and writes trained networks as safetensors files.
//
// A model file is a standard safetensors file (an 8-byte little-endian
// header length, a JSON header, then raw little-endian tensors), so other
// tools can read the weights: every weight is a float32 tensor named after
// its layer ("layer0.conv.weight", "layer6.dense.bias", ...). The header's
// "__metadata__" holds "format" = "siamese/1" and "siamese", a JSON document
// (Meta) with everything needed to use the weights: the tower spec (image
// size, channels, layers), the loss and its margin, the decision threshold,
// the class names, the data split (so eval can rebuild the held-out test
// set) and the training figures.
//
// A checkpoint is the same file plus the optimiser's moments as tensors
// named "optim.<key>" and a "checkpoint" metadata entry, so training can
// resume exactly.
//
// Writes go to a temporary file in the destination folder, are synced to
// disk and then renamed over the destination: a crash or Ctrl-C mid-write
// leaves the previous file intact, never a half-written one. Serialisation is
// deterministic (sorted names, no timestamps), so the same training run
// gives the same bytes.
//
// # Reading untrusted files
//
// Load trusts nothing in a file. Its size is checked before it is read; the
// header length and every tensor's offsets and shape are checked against
// the bytes actually present (with overflow checks) before any tensor is
// copied; the metadata's tower is checked by CheckSpec, on sizes alone,
// before anything is built from it; and every tensor must have exactly the
// shape the tower needs. So a crafted or damaged file costs at most its own
// size in memory and ends in an error that says what is wrong with it: not
// a safetensors file, truncated (and where), a safetensors file from
// another program, metadata that is malformed or out of range, or a tensor
// whose shape disagrees with the metadata.
//
// CheckSpec's limit follows the network's max-pool, the strictest of its
// ops: a layer's activations, and a convolution's unfolded input, may hold
// at most 2^31-1 values (8 GiB) for a whole batch, and siamese runs towers
// on batches of up to InferenceBatch images.
// For one W×W image of C channels the limit is C·W² ≤ (2^31-1)/256, so a
// gray input may be at most 2896 pixels wide. In the default tower the
// tightest layer is the second convolution, which unfolds 32 channels of
// (W/2)² positions with a 3×3 kernel: 288·⌊W/2⌋² ≤ 8388607 allows images
// of up to 341×341.
package model
