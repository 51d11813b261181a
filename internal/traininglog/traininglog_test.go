package traininglog

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestPaths(t *testing.T) {
	cases := []struct{ model, csv, png string }{
		{"m.safetensors", "m.log.csv", "m.training.png"},
		{"/tmp/run/mnist.safetensors", "/tmp/run/mnist.log.csv", "/tmp/run/mnist.training.png"},
		// A model without the usual extension keeps its whole name.
		{"model.bin", "model.bin.log.csv", "model.bin.training.png"},
	}
	for _, tc := range cases {
		c, p := Paths(tc.model)
		if c != tc.csv || p != tc.png {
			t.Errorf("Paths(%q) = %q, %q; want %q, %q", tc.model, c, p, tc.csv, tc.png)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	err := WriteCSV(&buf, []Epoch{
		{Epoch: 1, TrainLoss: 0.25, ValLoss: 0.5, ValAccuracy: 0.75, LR: 0.001, Seconds: 2.5, PairsPerSec: 8000, Threshold: 0.5},
		{Epoch: 2, TrainLoss: 0.1, ValLoss: 1.0 / 3, ValAccuracy: 1, LR: 1e-05, Seconds: 3, PairsPerSec: 6666.5, Threshold: 0.625, OneShot: 0.875, OneShotWay: 10, Kept: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "epoch,train_loss,val_loss,val_accuracy,lr,seconds,pairs_per_s,threshold,val_one_shot,val_one_shot_way,kept\n" +
		"1,0.25,0.5,0.75,0.001,2.5,8000,0.5,,,0\n" +
		"2,0.1,0.3333333333333333,1,1e-05,3,6666.5,0.625,0.875,10,1\n"
	if got := buf.String(); got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	epochs := []Epoch{{Epoch: 1, TrainLoss: 0.3, ValLoss: 0.2, ValAccuracy: 0.8, Kept: true}, {Epoch: 2, TrainLoss: 0.2, ValLoss: 0.1, ValAccuracy: 0.9}}
	if err := Save(model, epochs, "highest validation pair accuracy"); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "m.log.csv"))
	if err != nil || !bytes.HasPrefix(csv, []byte(Header+"\n1,0.3,0.2,0.8,")) {
		t.Errorf("m.log.csv = %q, %v", csv, err)
	}
	f, err := os.Open(filepath.Join(dir, "m.training.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("m.training.png: %v", err)
	}
	// An unwritable place is an error naming the file.
	if err := Save(filepath.Join(dir, "missing", "m.safetensors"), epochs, "lowest validation loss"); err == nil {
		t.Error("Save into a missing folder: no error")
	}
}
