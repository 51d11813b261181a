// Package atomicfile writes a file all at once or not at all.
//
// A model, a checkpoint, an export or a cache that is half written after a
// crash or a Ctrl-C is worse than none: the next run would read it. Write
// therefore writes into a temporary file in the destination's folder,
// syncs it to disk, and renames it over the destination. Within one file
// system rename is atomic, so a reader, or the next run after a crash, sees
// the old file or the new one and never a mixture; a failed write removes
// the temporary file and leaves the old one untouched.
package atomicfile
