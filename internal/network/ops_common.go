package network

// Shared plumbing for the custom gorgonia ops (ops_*.go).
//
// Buffer ownership. Every op instance owns the []float32 backing of its
// output (and any scratch) and reuses it on every run, growing it only when
// the input shape grows. Do wraps that backing in a fresh *tensor.Dense
// header each time rather than keeping one header: gorgonia may hand a
// header it was given back to tensor's pool (Node.unbind), which zeroes it,
// or reshape it in a UsePreallocDo of a later node that inherits the
// register. A header is a few words; the backing is what is worth keeping.
//
// Why reuse is safe. A program (exec.go) runs every node once per run,
// each after its inputs, and keeps every node's value in a place of its
// own: no other op writes into our backing, and our op rewrites every
// element of its output at its next Do. (gorgonia's tape machine, which
// ran the graphs before, recycled dead registers as later ops' outputs;
// the rules below made that safe, and keep the ops safe under any runner
// that runs each op after its inputs.) Two rules every op here follows:
//   - Do overwrites all of its output; nothing accumulates into last run's
//     values.
//   - Backward ops read forward results only through graph inputs, except
//     for private caches (im2col columns, pooling argmax) that are never
//     handed to gorgonia and so cannot be recycled.
// The ops never write into their inputs: OverwritesInput is -1 and
// ReturnsPtr false.
//
// A companion (backward) op keeps a pointer to its forward op to reuse what
// forward cached. That assumes forward runs before backward within a step,
// which the graph guarantees (the backward node reads the gradient of the
// forward output); the caches also remember which input they were computed
// from and are rebuilt if a backward op sees a different one.
//
// Ops are not safe for concurrent use: two programs must not run a graph
// built from the same op instances at the same time.

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/parallel"
)

// tensorType is the hm type of a dims-dimensional tensor of the type
// variable 'a', as gorgonia's own ops spell their signatures.
func tensorType(dims int) hm.Type {
	return gorgonia.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
}

// hashOf is the Hashcode of an op from its WriteHash.
func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// writeOpHash writes an op's name, parameters and address. The address
// makes every instance distinct: gorgonia merges nodes whose op hash and
// children match, and two instances with their own caches must never be
// merged into one node.
func writeOpHash(h hash.Hash, op any, name string, params ...any) {
	fmt.Fprintf(h, "%s%v@%p", name, params, op)
}

// checkFloat32Node rejects graph nodes that are not float32, at build time.
func checkFloat32Node(op, what string, n *gorgonia.Node) error {
	if n == nil {
		return fmt.Errorf("%s: %s is nil", op, what)
	}
	if dt := n.Dtype(); dt != tensor.Float32 {
		return fmt.Errorf("%s: %s %s has dtype %v, want float32", op, what, n.Name(), dt)
	}
	return nil
}

// float32Input returns the contiguous float32 data and shape of an op input.
func float32Input(op, what string, v gorgonia.Value) ([]float32, tensor.Shape, error) {
	t, ok := v.(tensor.Tensor)
	if !ok {
		return nil, nil, fmt.Errorf("%s: %s is %T, want a tensor", op, what, v)
	}
	if t.Dtype() != tensor.Float32 {
		return nil, nil, fmt.Errorf("%s: %s has dtype %v, want float32", op, what, t.Dtype())
	}
	if d, ok := t.(*tensor.Dense); ok && d.RequiresIterator() {
		return nil, nil, fmt.Errorf("%s: %s is a non-contiguous view", op, what)
	}
	data, ok := t.Data().([]float32)
	shape := t.Shape()
	if !ok || len(data) != shape.TotalSize() {
		return nil, nil, fmt.Errorf("%s: %s has %d values for shape %v", op, what, len(data), shape)
	}
	return data, shape, nil
}

// float32Inputs checks that an op got one input per name and that each is
// a contiguous float32 tensor, returning their data and shapes in order.
// The names say which input an error is about.
func float32Inputs(op string, inputs []gorgonia.Value, names ...string) ([][]float32, []tensor.Shape, error) {
	if err := checkArity(op, len(inputs), len(names)); err != nil {
		return nil, nil, err
	}
	data := make([][]float32, len(inputs))
	shapes := make([]tensor.Shape, len(inputs))
	for i, v := range inputs {
		d, s, err := float32Input(op, names[i], v)
		if err != nil {
			return nil, nil, err
		}
		data[i], shapes[i] = d, s
	}
	return data, shapes, nil
}

// checkArity rejects a wrong number of inputs to Do.
func checkArity(op string, got, want int) error {
	if got != want {
		return fmt.Errorf("%s: got %d inputs, want %d", op, got, want)
	}
	return nil
}

// shapeArg returns the i-th DimSizer of InferShape as a shape.
func shapeArg(op string, ds []gorgonia.DimSizer, i int) (tensor.Shape, error) {
	if i >= len(ds) {
		return nil, fmt.Errorf("%s: infer shape: got %d input shapes, need %d", op, len(ds), i+1)
	}
	s, ok := ds[i].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%s: infer shape: input %d is %T, want tensor.Shape", op, i, ds[i])
	}
	return s, nil
}

// grow returns buf with length n, reallocating only when it is too short, so
// a steady shape never allocates after the first run.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// wrap puts a header around an op-owned backing slice.
func wrap(data []float32, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// workersFor is how many goroutines share n independent items
// (parallel.Range).
func workersFor(n int) int {
	return max(1, min(parallel.Cores(), n))
}

// minParallelElems is the size below which an elementwise op runs on one
// goroutine: under it, starting goroutines costs more than it saves.
const minParallelElems = 1 << 15

// parallelElems runs fn over [0, n) elementwise chunks.
func parallelElems(n int, fn func(lo, hi int)) {
	workers := 1
	if n >= minParallelElems {
		workers = workersFor(n / (minParallelElems / 2))
	}
	parallel.Range(n, workers, func(_, lo, hi int) { fn(lo, hi) })
}

// sameData reports whether a and b are the same slice (same first element
// and length); caches use it to know which input they were built from.
func sameData(a, b []float32) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
