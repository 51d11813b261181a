package traininglog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/siamese-dev/siamese/internal/plot"
)

// Epoch is one row of the log.
type Epoch struct {
	Epoch       int
	TrainLoss   float64
	ValLoss     float64
	ValAccuracy float64
	LR          float64
	Seconds     float64
	PairsPerSec float64
	// Threshold is the distance threshold chosen on the validation pairs;
	// OneShot the validation OneShotWay-way one-shot accuracy, when
	// measured (OneShotWay 0: not).
	Threshold  float64
	OneShot    float64
	OneShotWay int
	Kept       bool // the epoch training kept
}

// Header is the first line of the CSV log. val_one_shot and
// val_one_shot_way are empty where one-shot was not measured; kept is 1
// on the epoch training kept.
const Header = "epoch,train_loss,val_loss,val_accuracy,lr,seconds,pairs_per_s,threshold,val_one_shot,val_one_shot_way,kept"

// Paths returns where the log and the chart of the model file go.
func Paths(model string) (csvPath, pngPath string) {
	base := strings.TrimSuffix(model, ".safetensors")
	return base + ".log.csv", base + ".training.png"
}

// WriteCSV writes the header and one row per epoch.
func WriteCSV(w io.Writer, epochs []Epoch) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(Header + "\n")
	for _, e := range epochs {
		bw.WriteString(strconv.Itoa(e.Epoch))
		for _, v := range []float64{e.TrainLoss, e.ValLoss, e.ValAccuracy, e.LR, e.Seconds, e.PairsPerSec, e.Threshold} {
			bw.WriteByte(',')
			bw.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		bw.WriteByte(',')
		if e.OneShotWay > 0 {
			bw.WriteString(strconv.FormatFloat(e.OneShot, 'g', -1, 64) + "," + strconv.Itoa(e.OneShotWay))
		} else {
			bw.WriteByte(',')
		}
		if e.Kept {
			bw.WriteString(",1\n")
		} else {
			bw.WriteString(",0\n")
		}
	}
	return bw.Flush()
}

// Save writes the CSV log and the training chart next to the model file;
// rule says how training chose the kept epoch, for the chart's legend.
func Save(model string, epochs []Epoch, rule string) error {
	csvPath, pngPath := Paths(model)
	f, err := os.Create(csvPath)
	if err != nil {
		return fmt.Errorf("training log %s: %w", csvPath, err)
	}
	if err := WriteCSV(f, epochs); err != nil {
		f.Close()
		return fmt.Errorf("training log %s: %w", csvPath, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("training log %s: %w", csvPath, err)
	}
	points := make([]plot.Epoch, len(epochs))
	kept := 0
	for i, e := range epochs {
		points[i] = plot.Epoch{Epoch: e.Epoch, TrainLoss: e.TrainLoss, ValLoss: e.ValLoss, ValAccuracy: e.ValAccuracy, OneShot: e.OneShot, OneShotWay: e.OneShotWay}
		if e.Kept {
			kept = e.Epoch
		}
	}
	return plot.WriteFile(pngPath, func(w io.Writer) error { return plot.Training(w, points, kept, rule) })
}
