// Package dataset finds, splits and decodes folders of labelled images, and
// converts IDX files (the MNIST format) into such folders.
//
// # Folder layout
//
// A data set is a directory laid out like torchvision's ImageFolder:
//
//	ROOT/<class>/<image>
//
// Every sub-folder of ROOT is a class; class names are the folder names,
// sorted byte-wise (which for UTF-8 is code-point order, as Python's sorted()
// gives), and may contain spaces or non-ASCII letters. Labels are indices into
// that sorted list. Images in nested folders below a class folder belong to
// that class, so ROOT/cat/indoor/1.png is a "cat". Files directly in ROOT are
// ignored, as are hidden entries (a leading '.') at any depth and files
// without an image extension (.png .jpg .jpeg .jpe .jfif .gif .bmp .tif .tiff,
// any case), so Thumbs.db, README.txt or .DS_Store do no harm. A class folder
// that holds no image is not a class; one that holds files but none named as
// an image is listed in Index.Ignored, for a warning. Symbolic links to files and top-level symbolic
// links to class folders are followed; links to folders deeper down are not,
// so a link loop cannot make a scan run forever. Items are sorted by class,
// then by slash-separated path.
//
// A Siamese network learns from pairs of images of different classes as much
// as from pairs of the same class, so a scan that finds fewer than two classes
// is an error.
//
// # Splitting
//
// Split divides an Index into train, validation and test parts, class by
// class, so that every part keeps the class balance of the whole. The rule is
// exact, because a model file records the seed and fractions and evaluation
// rebuilds the held-out test set from them:
//
//  1. For each class, take its items in Index order (sorted by path) and
//     shuffle them with a Fisher–Yates shuffle driven by the PCG generator of
//     math/rand/v2, rand.NewPCG(seed, h), where h is the 64-bit FNV-1a hash
//     of the class name. Keying the stream by name rather than position means
//     adding a class folder does not reshuffle the others. The shuffle runs
//     i from n-1 down to 1 and swaps item i with item j, j uniform in [0, i]
//     drawn from successive PCG Uint64 outputs by Lemire's multiply-shift
//     method with rejection (see uniformBelow), so the rule does not depend
//     on how the standard library implements Shuffle.
//  2. With n items in the class, nTest = round(test·n) and
//     nVal = round(val·n), rounding halves away from zero. If that leaves no
//     training item, nVal and then nTest are lowered until one remains, so
//     every non-empty class keeps at least one training image.
//     2b. Small folders. If those counts leave the validation part unable
//     to make both kinds of pair (two classes with an image in it and one
//     class with two) and val > 0, every class instead holds out nVal if
//     that is at least 2, else 2 if it has at least 4 items, else none,
//     and nTest if that is at least 2, else 2 if test > 0 and it has at
//     least 8 items, else none; then nTest and after it nVal are lowered
//     until at least two training items remain. A folder of a few classes
//     of 4 to 14 images so trains with the default fractions, which round
//     to 0 or 1 image a class. Any other folder is split by step 2 alone.
//  3. The first nTest shuffled items go to test, the next nVal to validation,
//     the rest to train. Each part lists its items in Index order.
//
// All three parts share the Index's class list, so a label means the same
// class in each even when a small class has no validation or test image.
// Nothing depends on GOMAXPROCS or map order.
//
// # Splitting by class
//
// A Siamese network is for comparing things it never saw, so SplitByClass
// holds out whole classes instead, the protocol of metric learning
// (Omniglot, CUB-200, Stanford Online Products):
//
//  1. Every class gets the key k = the first Uint64 of
//     rand.NewPCG(seed, h), h the FNV-1a hash of its name; classes are
//     ranked by k (ties by name). A class's rank depends on its own name
//     only, so adding a class folder moves no other class between parts
//     beyond what the changed counts force.
//  2. With C classes, nTest = round(test·C) and nVal = round(val·C), each
//     raised to 2 when its fraction is not 0 (a part needs two classes for
//     a dissimilar pair). Fewer than 2 classes left for training is an
//     error.
//  3. The first nTest ranked classes go to test, the next nVal to
//     validation, the rest to train, with all of their images.
//
// ChooseSplit is the rule of --split auto: classes when there are at least
// 30 classes, or when the median class has fewer than 10 images and there
// are at least 6 classes; images otherwise (few classes with many images,
// such as MNIST, whose users compare the classes they trained on).
//
// Fingerprint hashes a part's class names and item paths. A model stores
// the fingerprint of each part, and eval refuses to rebuild a test part
// whose fingerprint changed: an image added, removed or renamed reshuffles
// its class, and the rebuilt part could hold training images.
//
// # Decoding
//
// Loader turns one image file into the network's input: decode (the first
// frame of an animated GIF or APNG, the first page of a TIFF; a JPEG's
// EXIF orientation applied, so phone photos stand upright), drop alpha
// (each pixel keeps the colour stored in the file, as PIL's convert("RGB")
// keeps it; a filter that weighted colours by alpha would turn transparent
// backgrounds black, but only in pictures that needed resizing), resize to
// Size×Size by the Resize mode (squash: stretch; crop: shorter side to Size,
// centre crop; pad: longer side to Size, border-mean padding) with a
// bilinear (triangle) filter whose support widens when shrinking, like
// PIL's resize with BILINEAR, then convert to gray with
// L = 0.299·R + 0.587·G + 0.114·B (ITU-R BT.601, PIL's "L" mode), rounded
// to a byte as PIL rounds it, or keep R, G, B. The result is stored a byte
// a value (Images), a quarter of float32, and scaled 0..255 to [0, 1] only
// when a batch is assembled (Images.ImageInto). Any format the decoders know
// (8 or 16 bit, gray, gray+alpha, paletted, RGB(A), CMYK and YCbCr JPEG)
// goes through the same conversion to 8-bit non-premultiplied RGBA first.
// The result is laid out channel-major: value (c, y, x) is at index
// c·Size·Size + y·Size + x. The filter runs its two passes, width then
// height, rounding to 8 bits in between, except where that middle picture
// would be far larger than the source (a tall picture narrower than Size)
// or crop's scaled cover would be (a picture some hundred times longer than
// wide): then height goes first, or the centre square is cut out first, so
// a few hundred bytes of PNG cannot ask for gigabytes.
//
// The image header is read before the pixels, and an image with more than
// MaxPixels pixels (50 megapixels unless set) is refused before any pixel
// memory is allocated, so a small crafted file cannot exhaust memory.
//
// Every failure is one line that starts with the file's path and says what
// is wrong with it: "empty file", "cannot read: <reason>" (the file opened
// but reading failed), "file is truncated", "unsupported format WebP" (the
// signatures of WebP, HEIF, AVIF, JPEG XL, SVG, PDF and PSD are recognised
// so that the message can name them), "unsupported format .xyz" (unknown
// content under an extension that is not an image's), "unknown format"
// (unknown content under an image extension), or the decoder's own
// complaint. A decoder that panics on a malformed file is reported the same
// way, so one bad file cannot end a long run.
//
// # Defaults and the decoded cache
//
// Defaults chooses channels, size and resize mode from a bounded sample of
// the files (see its comment for the rules). Cache keeps decoded bytes on
// disk, keyed by file path, size, Stamp (the later of the modification and
// inode change times) and the preprocessing,
// so a second run reads instead of decoding. The bytes are read an image at
// a time as batches need them (not mapped: touched mapped pages count in a
// process's RSS), so they cost page cache, not process memory, which keeps
// a training run's memory nearly independent of the number of images.
//
// # IDX files
//
// IDX is the big-endian format of the MNIST and Fashion-MNIST files: a
// 4-byte magic (0x00000803 for unsigned-byte images with three dimensions,
// 0x00000801 for unsigned-byte labels with one), one uint32 per dimension,
// then the bytes. Files may be gzip-compressed; the gzip magic 1f 8b tells.
// Header sizes are checked against limits and the payload buffer grows only
// as data actually arrives, so a lying header cannot cause a huge
// allocation, and a short file is reported as truncated.
package dataset
