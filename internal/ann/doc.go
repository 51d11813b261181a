// Package ann finds the gallery vectors nearest a query: by a full scan
// for small galleries, through an HNSW graph (Malkov and Yashunin,
// "Efficient and robust approximate nearest neighbor search using
// Hierarchical Navigable Small World graphs", 2018) for large ones. The
// graph is written here, not taken from a library: github.com/coder/hnsw
// v0.6.1 returned recall@10 of 0.02-0.13 on our galleries.
//
// # When the graph is used
//
// A scan costs N·D multiply-adds per query, about 0.5 ms for 20,000
// vectors of 128 values on one core (tens of ms for a million), and is exact.
// Searcher scans galleries of up to MinANN (20,000) vectors and uses the
// graph above that, unless the caller asks for an exact answer. Either way the distances returned are
// the model's own, sqrt(Σ(a−b)² + ε), recomputed on the vectors found,
// and ties go to the earlier gallery position. Scan keeps the k best in a
// bounded max-heap of squared float32 distances, so a million vectors need
// memory for k candidates only.
//
// # The graph
//
// Every vector is a node on layer 0; a node reaches layer l with
// probability M^-l: its level is ⌊−ln(u)·mL⌋ with mL = 1/ln M and u
// uniform in (0, 1], drawn from a counter-based generator (splitmix64 of
// the seed and the node's id), so a node's level does not depend on when
// or by which goroutine it is added. On each layer a node links to up to
// M others (2M on layer 0, where every query ends). Upper layers are
// sparse long-range shortcuts: a query walks greedily down from the single
// top-layer entry point, one nearest node per layer, then on layer 0
// keeps the ef nearest nodes found, expanding the nearest unexpanded one
// until it is farther than the ef-th best (algorithm 2 of the paper). ef
// (EfSearch, at least k) is the query's knob: more candidates, more
// distance computations, fewer missed neighbours.
//
// A node is added by the same search with ef = EfConstruction on each
// layer from its level down (algorithm 1), and links to M of the
// candidates chosen by the heuristic of algorithm 4: nearest first, a
// candidate is kept only if it is closer to the new node than to every
// neighbour kept so far. A candidate closer to a kept neighbour can be
// reached through it, so the links spread in different directions instead
// of all pointing into the node's own cluster; without the heuristic,
// clustered data (which embeddings are: one cluster per class) splits into
// islands the search cannot leave. The new node is linked back from each
// neighbour; a neighbour whose list overflows keeps the capacity chosen
// by the same heuristic among its old links and the new one.
//
// # Building in parallel, deterministically
//
// Add inserts nodes in batches of 128. For each node of a batch, in
// parallel: search the graph as it was before the batch, add the batch's
// earlier nodes as candidates by direct comparison (the graph does not
// hold them yet), and select its neighbours. Then, in batch order, each
// node's lists are written and its reverse links collected per
// (neighbour, layer); last, each such list takes its new links, in batch
// order, in parallel across lists (they are independent). Nothing depends
// on which goroutine does what, so the same vectors added in the same
// calls give the same graph, byte for byte, for any number of workers;
// recall matches one-at-a-time insertion (measured at 10,000 vectors,
// uniform vectors, batch sizes 1 to 512: within 0.01). The only price
// is batchSize/2
// extra distances per node.
//
// Removing a node is not supported: Searcher builds a new graph when
// images are removed or changed, and adds new images to the stored one.
//
// # The index file
//
// Searcher keeps the graph in the gallery folder as
// .siamese-index-<model hash>.bin, beside the gallery cache, with the
// image path of every node. On each search it loads the file; if every
// stored image is still in the gallery with the same vector, new images
// are added and the file is rewritten, otherwise (images removed or
// changed, other parameters, a damaged file) the graph is built again.
// The file is written to a temporary file, synced and renamed over the
// old one, so a reader sees one whole file or the other.
//
// Layout, little-endian: the 8 bytes "SIAMHNSW", uint32 format version
// (1), uint32 D, M, efConstruction, efSearch, uint64 seed, uint64 N,
// uint32 entry point, uint32 its level, uint32 number of names (0 or N);
// per name a uint16 length and the slash-separated path; N·D float32
// vectors; N bytes of levels; for each node and each of its layers from 0
// up, a count byte and that many uint32 neighbour ids; last a CRC-32C
// (Castagnoli) of everything before it. Reading checks the counts against
// the file size before allocating, every id, count and level as it reads
// (so a damaged file cannot make the search index out of range), then the
// checksum; a truncated, damaged or other-version file is refused with an
// error saying which. A million 128-wide vectors take 0.6 GB, nearly all
// of it the vectors.
package ann
