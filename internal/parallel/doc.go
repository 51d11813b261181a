// Package parallel runs work on the cores the program has: a range of
// items split among workers (Range), or one piece of work beside the
// caller's (Start).
//
// Both run on helpers, goroutines that outlive the call: after a part a
// helper polls for the next for a while before it parks. A goroutine
// started per call waits for the runtime to wake an idle thread, tens of
// microseconds on a VM, and a training step makes hundreds of parallel
// calls a few microseconds apart. The helpers are shared by the whole
// process, like the runtime's own threads; a part only ever touches what
// its caller gave it, so which helper runs it does not matter.
//
// Results must not depend on how the work is split: callers give every
// worker whole items (whole images, fixed slices of a sum added in a fixed
// order), so a result is the same to the bit at any number of cores.
package parallel
