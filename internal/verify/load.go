package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/model"
)

// loadFiles decodes the image files at paths on all cores. An image that
// fails is passed to onBad: if onBad returns nil it is marked not ok and
// its values left zero, otherwise loading stops with that error. onBad is
// called in path order on the calling goroutine.
func loadFiles(paths []string, l dataset.Loader, onBad func(err error) error) (data []float32, ok []bool, err error) {
	per := l.Len()
	data = make([]float32, len(paths)*per)
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), max(len(paths), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				x, err := l.LoadFile(paths[i])
				if err != nil {
					errs[i] = err
					continue
				}
				copy(data[i*per:(i+1)*per], x)
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	ok = make([]bool, len(paths))
	for i, e := range errs {
		if e == nil {
			ok[i] = true
			continue
		}
		if onBad == nil {
			return nil, nil, e
		}
		if err := onBad(e); err != nil {
			return nil, nil, err
		}
	}
	return data, ok, nil
}

// fileHash names a model file by the first 16 hex digits of its SHA-256,
// enough to tell the models of one gallery apart.
func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("model %s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("model %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// embedFiles returns the embeddings of the image files at paths, one
// vector per path, nil for an image skipped by onBad (see loadFiles).
func embedFiles(m *model.Model, paths []string, maxPixels int, onBad func(err error) error) ([][]float32, error) {
	data, ok, err := loadFiles(paths, loaderFor(m, maxPixels), onBad)
	if err != nil {
		return nil, err
	}
	// Only the readable images go through the network.
	per := loaderFor(m, maxPixels).Len()
	good := data[:0]
	n := 0
	for i := range paths {
		if ok[i] {
			good = append(good, data[i*per:(i+1)*per]...)
			n++
		}
	}
	emb, err := embed(m.Net, good, n)
	if err != nil {
		return nil, err
	}
	dim := len(emb) / max(n, 1)
	out := make([][]float32, len(paths))
	j := 0
	for i := range paths {
		if ok[i] {
			out[i] = emb[j*dim : (j+1)*dim : (j+1)*dim]
			j++
		}
	}
	return out, nil
}
