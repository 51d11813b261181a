package model

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/siamese-dev/siamese/internal/network"
)

func bnSpec() network.Spec {
	return network.Spec{Size: 8, Channels: 3, Layers: []network.Layer{
		{Kind: network.KindConv, Filters: 2}, {Kind: network.KindBatchNorm}, {Kind: network.KindReLU},
		{Kind: network.KindMaxPool}, {Kind: network.KindDense, Units: 3}, {Kind: network.KindL2Norm},
	}}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	net, err := network.New(bnSpec(), 9)
	if err != nil {
		t.Fatal(err)
	}
	net.Buffers[0].Data[1] = 0.25 // a running mean that moved
	m := &Model{Net: net, Meta: Meta{Spec: bnSpec(), Threshold: 0.7, Classes: []string{"a", "b"},
		Loss:  LossInfo{Name: "huber", Margin: 2, Delta: 0.5},
		Split: SplitInfo{Data: "imgs", Seed: 4, Val: 0.1, Test: 0.2}}}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.safetensors")
	if err := Save(a, m); err != nil {
		t.Fatal(err)
	}
	if err := Save(b, m); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Error("saving the same model twice gave different bytes")
	}
	got, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta.Threshold != 0.7 || got.Meta.Loss != m.Meta.Loss || !reflect.DeepEqual(got.Meta.Split, m.Meta.Split) || !slices.Equal(got.Meta.Classes, m.Meta.Classes) {
		t.Errorf("metadata changed: %+v", got.Meta)
	}
	want := net.Tensors()
	have := got.Net.Tensors()
	if len(have) != len(want) {
		t.Fatalf("%d tensors back, wrote %d", len(have), len(want))
	}
	for i := range want {
		if have[i].Name != want[i].Name || !slices.Equal(have[i].Data, want[i].Data) || !slices.Equal(have[i].Shape, want[i].Shape) {
			t.Errorf("tensor %s changed in the round trip", want[i].Name)
		}
	}
	// No temporary file is left beside the model.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the model folder, want 2", len(entries))
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	net, _ := network.New(bnSpec(), 1)
	best := net.Clone()
	best.Params[0].Data[0] = 42
	c := &Checkpoint{Model: Model{Net: net, Meta: Meta{Spec: bnSpec()}}, Best: best,
		Optimizer: map[string][]float32{"m.0": {1, 2}, "t": {3}},
		State:     CheckpointState{Epoch: 2, BestEpoch: 1, BestValLoss: 0.5, OptionsHash: "abc", History: []byte(`[{"epoch":1}]`)}}
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.State.Epoch != 2 || got.State.OptionsHash != "abc" || string(got.State.History) != `[{"epoch":1}]` {
		t.Errorf("state changed: %+v", got.State)
	}
	if !slices.Equal(got.Optimizer["m.0"], []float32{1, 2}) || got.Best == nil || got.Best.Params[0].Data[0] != 42 {
		t.Errorf("optimizer state or best weights lost")
	}
	// Loaded as a model, a checkpoint is its best weights so far.
	if m, err := Load(path); err != nil || m.Net.Params[0].Data[0] != 42 {
		t.Errorf("a checkpoint loaded as a model: %v, want its best weights", err)
	}
	if _, err := LoadCheckpoint(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("missing checkpoint loaded")
	}
	// A finished model is not a checkpoint.
	mp := filepath.Join(t.TempDir(), "m.safetensors")
	Save(mp, &c.Model)
	if _, err := LoadCheckpoint(mp); err == nil {
		t.Error("a finished model was accepted as a checkpoint")
	}
}
