//go:build !amd64 || purego

package linalg

// kernelSets lists every kernel set this CPU can run, the pure-Go one first, for
// bestKernels and the tests: without assembly kernels, the pure-Go one.
func kernelSets() []*kernelSet { return []*kernelSet{&genericKernels} }
