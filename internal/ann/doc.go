// Package ann finds the gallery vectors nearest a query.
//
// Scan ranks every vector by the squared Euclidean distance in float32,
// keeping the k best in a bounded max-heap, so a million vectors need
// memory for k candidates only; the distances returned are then the
// model's own, sqrt(Σ(a−b)² + ε), and ties go to the earlier position, so
// results do not depend on the heap's order. Searcher wraps a fixed
// gallery and is the place where an approximate index (HNSW) plugs in for
// large galleries; today every query scans.
package ann
