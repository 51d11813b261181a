package dataset

import "github.com/siamese-dev/siamese/internal/builtin"

// BuiltinName names the embedded Fashion-MNIST sample as a data source.
const BuiltinName = "builtin:fashion"

// InMemory is the data name a model records when it was trained on images
// held in memory (the Go API's Options.Classes): no folder to open again.
const InMemory = "in-memory images given to siamese.Train"

// Open indexes a data source: a folder of class sub-folders, or the
// embedded sample for "" and BuiltinName. name is how the source is
// recorded in a model, so that eval can open it again.
func Open(data string) (ix *Index, name string, err error) {
	if data == "" || data == BuiltinName {
		fsys, root := builtin.Fashion()
		ix, err = ScanFS(fsys, root)
		return ix, BuiltinName, err
	}
	ix, err = Scan(data)
	return ix, data, err
}
