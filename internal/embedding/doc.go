// Package embedding lists the images to embed, writes embeddings as CSV or
// NumPy .npy files, and keeps the embeddings of a gallery folder cached
// between searches.
//
// # Images and classes
//
// Files expands its arguments into images: a file stands for itself, a
// folder for the images in it at any depth. An image inside a sub-folder
// of the folder takes that sub-folder's name as its class, as in the
// DIR/<class>/<image> layout training uses; an image directly in the
// folder, or given by name, has class "". Hidden entries (a leading '.')
// are skipped, which keeps the gallery cache out of the listing, and
// symbolic links to class folders and to images are followed.
//
// # Files
//
// CSV output has the header path,class,e0,…,e(D−1) and one row per image,
// values in the shortest decimal form that reads back to the same float32.
//
// An .npy file (NumPy format version 1.0) holds the N×D matrix alone: the
// magic "\x93NUMPY", the version bytes 1 0, a little-endian uint16 header
// length, then the header, a Python dict literal
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }
//
// padded with spaces and ended by '\n' so that magic, version, length and
// header together fill a multiple of 64 bytes, then N·D little-endian
// float32 values row by row. numpy.load reads it directly. Since .npy holds
// numbers only, FILE.paths.txt lists "path<TAB>class" for each row.
//
// # Gallery cache
//
// Embedding a large gallery for every search would cost far more than the
// search itself, so SyncGallery keeps the embeddings in a hidden file in
// the gallery, named after the model file's hash (a retrained model never
// reuses another model's vectors). Each entry records the image's path
// relative to the gallery, its size and dataset.Stamp (modification and change time); an image whose
// size or time differ, or that is new, is embedded again, and entries of
// removed images are dropped. Only those images go through the network.
// The file is rewritten only when something changed, through a temporary
// file renamed over the old one, so a search interrupted midway or a
// concurrent search never sees half a cache. A cache that cannot be read
// (truncated, another format, another embedding width) is rebuilt.
//
// The size-and-time test is the one make and rsync use: an edit that keeps
// both is not noticed, which in practice needs a deliberate reset of the
// modification time.
//
// Cache layout, little-endian: the 8 bytes "SIAMGAL1", uint32 D, uint32 N,
// then per entry uint16 path length, the slash-separated path, int64 size,
// int64 modification time in nanoseconds since 1970, and D float32.
package embedding
