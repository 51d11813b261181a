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
}

// Header is the first line of the CSV log.
const Header = "epoch,train_loss,val_loss,val_accuracy,lr,seconds,pairs_per_s"

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
		for _, v := range []float64{e.TrainLoss, e.ValLoss, e.ValAccuracy, e.LR, e.Seconds, e.PairsPerSec} {
			bw.WriteByte(',')
			bw.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Save writes the CSV log and the training chart next to the model file.
func Save(model string, epochs []Epoch) error {
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
	for i, e := range epochs {
		points[i] = plot.Epoch{Epoch: e.Epoch, TrainLoss: e.TrainLoss, ValLoss: e.ValLoss, ValAccuracy: e.ValAccuracy}
	}
	return plot.WriteFile(pngPath, func(w io.Writer) error { return plot.Training(w, points) })
}
