package metrics_test

import (
	"fmt"

	"github.com/siamese-dev/siamese/internal/metrics"
)

// Choose a threshold on validation pairs, then score test pairs with it.
func Example() {
	valDist := []float64{0.2, 0.35, 0.5, 0.9, 1.3, 0.45}
	valSimilar := []bool{true, true, true, false, false, false}
	threshold, acc := metrics.BestThreshold(valDist, valSimilar)
	fmt.Printf("threshold %.3f, validation accuracy %.3f\n", threshold, acc)

	testDist := []float64{0.1, 0.6, 0.4, 1.0}
	testSimilar := []bool{true, true, false, false}
	r := metrics.Evaluate(testDist, testSimilar, threshold)
	fmt.Printf("TP=%d FP=%d TN=%d FN=%d accuracy=%.2f F1=%.3f AUC=%.2f\n",
		r.TP, r.FP, r.TN, r.FN, r.Accuracy, r.F1, r.AUC)
	// Output:
	// threshold 0.400, validation accuracy 0.833
	// TP=1 FP=0 TN=2 FN=1 accuracy=0.75 F1=0.667 AUC=0.75
}

// Threshold-free summaries of how distances rank pairs.
func ExampleEER() {
	dist := []float64{0.1, 0.2, 0.4, 0.5, 0.6}
	similar := []bool{true, false, true, false, false}
	rate, threshold := metrics.EER(dist, similar)
	fmt.Printf("EER %.3f at threshold %.3f\n", rate, threshold)
	fmt.Printf("AP %.3f, AUC %.3f\n", metrics.AveragePrecision(dist, similar), metrics.AUC(dist, similar))
	// Output:
	// EER 0.333 at threshold 0.350
	// AP 0.833, AUC 0.833
}
