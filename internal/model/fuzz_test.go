package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/network"
)

// FuzzLoad feeds arbitrary bytes to the model decoder. Any input must give
// either an error of one line or a model whose every tensor has the size
// its shape says and whose tower runs. Seeds are a model and a checkpoint
// written by Save and SaveCheckpoint, and the hand-made files of
// TestLoadErrors; testdata/fuzz/FuzzLoad holds a model written by
// `siamese train` and any input that once failed.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	spec := network.Spec{Size: 6, Channels: 1, Layers: []network.Layer{
		{Kind: network.KindConv, Filters: 2, Kernel: 3}, {Kind: network.KindReLU},
		{Kind: network.KindMaxPool, Size: 2}, {Kind: network.KindDense, Units: 3},
	}}
	net, err := network.New(spec, 3)
	if err != nil {
		f.Fatal(err)
	}
	m := &Model{Net: net, Meta: Meta{Spec: spec, Threshold: 0.5, Classes: []string{"a", "b"}, Loss: LossInfo{Name: "contrastive", Margin: 1}}}
	mp := filepath.Join(dir, "m.safetensors")
	if err := Save(mp, m); err != nil {
		f.Fatal(err)
	}
	cp := filepath.Join(dir, "c.safetensors")
	c := &Checkpoint{Model: *m, Best: net.Clone(), Optimizer: map[string][]float32{"t": {1}},
		State: CheckpointState{Epoch: 1, BestEpoch: 1}}
	if err := SaveCheckpoint(cp, c); err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{mp, cp} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	good := rawSafetensors(f, ours(f, tinyMeta(f)), tinyTensors()...)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(rawSafetensors(f, map[string]string{"format": "pt"}, tinyTensors()...))

	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data) })
}

// FuzzLoadSpec fuzzes the tower the metadata describes, the part of a file
// that says how much to allocate, inside a file whose tensors have the
// shapes that tower asks for whenever it asks for small ones: so inputs
// get past the framing checks, which FuzzLoad's byte mutations rarely
// survive, to CheckSpec and the network built from what it accepts. Each
// layer is 4 bytes: kind, then filters/size/units, kernel and pad as
// signed bytes.
func FuzzLoadSpec(f *testing.F) {
	seeds := []struct {
		size, channels int
		layers         []byte
		threshold      float64
	}{
		{4, 1, []byte{3, 2, 0, 0}, 0.5},
		{9, 3, []byte{0, 2, 3, 1, 1, 0, 0, 0, 2, 3, 0, 0, 0, 1, 1, 0, 3, 2, 0, 0, 6, 0, 0, 0}, 1},
		{8, 1, []byte{0, 2, 3, 1, 4, 0, 0, 0, 5, 64, 0, 0, 3, 3, 0, 0}, 0},
	}
	for _, s := range seeds {
		// The seeds are whole models, so the fuzzer starts from the far end.
		if _, _, err := decode(fileForMeta(f, specMeta(s.size, s.channels, s.layers, s.threshold))); err != nil {
			f.Fatalf("seed %+v: %v", s, err)
		}
		f.Add(s.size, s.channels, s.layers, s.threshold)
	}
	f.Fuzz(func(t *testing.T, size, channels int, layers []byte, threshold float64) {
		if meta := specMeta(size, channels, layers, threshold); meta != "" {
			checkDecode(t, fileForMeta(t, meta))
		}
	})
}

// specMeta is the metadata of a tower decoded from fuzz input, or "" when
// it cannot be written as JSON.
func specMeta(size, channels int, layers []byte, threshold float64) string {
	kinds := []string{network.KindConv, network.KindReLU, network.KindMaxPool, network.KindDense,
		network.KindBatchNorm, network.KindDropout, network.KindL2Norm}
	m := Meta{Spec: network.Spec{Size: size, Channels: channels}, Threshold: threshold}
	for i := 0; i+4 <= len(layers) && i < 64; i += 4 {
		l := network.Layer{Kind: kinds[int(layers[i])%len(kinds)]}
		n, k, pad := int(int8(layers[i+1])), int(int8(layers[i+2])), int(int8(layers[i+3]))
		switch l.Kind {
		case network.KindConv:
			l.Filters, l.Kernel, l.Pad = n, k, &pad
		case network.KindMaxPool:
			l.Size = n
		case network.KindDense:
			l.Units = n
		case network.KindDropout:
			l.Rate = float64(n) / 128
		}
		m.Spec.Layers = append(m.Spec.Layers, l)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "" // a NaN or infinite threshold: Save could not write it either
	}
	return string(b)
}

// fileForMeta builds a model file around meta, with the tensors its tower
// needs when they are small.
func fileForMeta(t testing.TB, meta string) []byte {
	var tensors []tensor
	var m Meta
	if json.Unmarshal([]byte(meta), &m) == nil && m.Spec.Size <= 64 {
		if _, params, err := m.Spec.Plan(); err == nil {
			for _, p := range params {
				shape, n := make([]uint64, len(p.Shape)), 1
				for i, d := range p.Shape {
					if d < 0 || d > 1<<14 {
						n = -1
						break
					}
					shape[i], n = uint64(d), n*d
				}
				if n < 0 || n > 1<<14 {
					break // too big to write: the file will lack tensors
				}
				tensors = append(tensors, tensor{p.Name, "F32", shape, 4 * n})
			}
		}
	}
	return rawSafetensors(t, ours(t, meta), tensors...)
}

// checkDecode checks the property both targets share: an error of one
// line, or a model whose every tensor has the size its shape says and whose
// tower runs.
func checkDecode(t *testing.T, data []byte) {
	m, raw, err := decode(data)
	if err != nil {
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error %q spans lines", err)
		}
		return
	}
	if err := CheckSpec(m.Meta.Spec, 1); err != nil {
		t.Fatalf("decoded a model that CheckSpec refuses: %v", err)
	}
	for _, p := range m.Net.Tensors() {
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		if len(p.Data) != n {
			t.Fatalf("tensor %s has %d values for shape %v", p.Name, len(p.Data), p.Shape)
		}
	}
	if _, err := checkpointOf(m, raw); err != nil && strings.Contains(err.Error(), "\n") {
		t.Fatalf("checkpoint error %q spans lines", err)
	}
	// Run the tower once, as compare would, when it is small enough not to
	// slow the fuzzer down.
	if s := m.Meta.Spec; s.Channels*s.Size*s.Size <= 1<<12 {
		e, err := m.Net.NewEmbedder(1)
		if err != nil {
			return // the network refuses to build it: an error, not a crash
		}
		if _, err := e.Embed(make([]float32, s.Channels*s.Size*s.Size), 1); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("embed error %q spans lines", err)
		}
	}
}
