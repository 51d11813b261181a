//go:build !amd64 || purego

package linalg

// kernelSets lists every kernel set this build can run, for bestKernels
// and the tests: without assembly kernels, the pure-Go one alone.
func kernelSets() []*kernelSet { return []*kernelSet{&genericKernels} }
