package contrastive_test

import (
	"fmt"
	"log"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// A loss chosen by name, as from a command-line flag, evaluated on plain
// numbers: one similar pair at distance 0.5 and one dissimilar pair at 0.25.
func ExampleRegistry_New() {
	losses := contrastive.NewRegistry()
	loss, err := losses.New("contrastive", contrastive.Params{Margin: 1})
	if err != nil {
		log.Fatal(err)
	}
	// (0.5² + (1-0.25)²) / 2
	fmt.Printf("%s %+v loss=%.4f\n", loss.Name(), loss.Params(), loss.Value([]float32{0.5, 0.25}, []float32{1, 0}))

	_, err = losses.New("hinge", contrastive.Params{Margin: 1})
	fmt.Println(err)
	// Output:
	// contrastive {Margin:1 Delta:0 Temperature:0} loss=0.4062
	// unknown loss "hinge" (valid: contrastive, huber, mse, ntxent, triplet)
}

// The same loss as a graph node, differentiated with respect to the distances.
func ExampleHuber() {
	g := G.NewGraph()
	d := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("d"),
		G.WithValue(tensor.New(tensor.WithBacking([]float32{0.5, 4}))))
	y := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithBacking([]float32{0, 1}))))

	cost, err := contrastive.Huber(1, 1).Node(d, y)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := G.Grad(cost, d); err != nil {
		log.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		log.Fatal(err)
	}
	grad, _ := d.Grad()
	// a = -0.5 (quadratic) and 4 (linear): loss (0.125 + 3.5)/2,
	// gradient (a/2, δ/2).
	fmt.Printf("loss=%.4f grad=%v\n", cost.Value(), grad.Data())
	// Output:
	// loss=1.8125 grad=[-0.25 0.5]
}
