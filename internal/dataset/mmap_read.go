package dataset

import "os"

// readWhole is mapFile's fallback: the file's bytes on the heap.
func readWhole(path string) ([]byte, func(), error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return b, nil, nil
}
