//go:build !amd64 || purego

package linalg

// bestKernels is the fastest kernel set for this CPU: without assembly
// kernels, the pure-Go one.
func bestKernels() *kernelSet { return &genericKernels }

// kernelSets lists every kernel set this CPU can run, for the tests.
func kernelSets() []*kernelSet { return []*kernelSet{&genericKernels} }
