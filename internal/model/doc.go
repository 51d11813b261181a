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
package model
