package network

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	"gorgonia.org/tensor"

	"github.com/siamese-dev/siamese/internal/contrastive"
	"github.com/siamese-dev/siamese/internal/linalg"
)

func defaultNet(b *testing.B) *Net {
	net, err := New(Spec{Size: 28, Channels: 1, Layers: DefaultLayers()}, 1)
	if err != nil {
		b.Fatal(err)
	}
	return net
}

func randomImages(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*28*28)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// BenchmarkTrainStep is one training step of the default network as the
// trainer runs it: 64 pairs forward and backward through both twins, the
// contrastive loss and the gradients of every weight.
func BenchmarkTrainStep(b *testing.B) { benchPairSteps(b, defaultNet(b), 64) }

// BenchmarkTrainStepBatch is BenchmarkTrainStep at 8, 16 and 64 pairs a
// step. At 16 pairs a twin's activations (16 images of 14×14×32 and
// 7×7×64) stay in L2 from one layer to the next, as they would if a tower
// carried a few images at a time through its layers; a one-core profile of
// each size tells whether the passes between the matrix products cost
// less per pair when their data is in cache (docs/RESULTS.md, eleventh
// speed pass).
func BenchmarkTrainStepBatch(b *testing.B) { benchPairStepSizes(b, defaultNet, 8, 16, 64) }

// BenchmarkTrainStepPhotosBatch is BenchmarkTrainStepPhotos at 16 and 64
// pairs a step, the same test for the photos preset's tower, whose
// activations at 64 pairs (a block's input is 64 images of 32×32×32, 8 MiB)
// are far beyond L2.
func BenchmarkTrainStepPhotosBatch(b *testing.B) {
	benchPairStepSizes(b, func(b *testing.B) *Net { net, _ := photosNet(b); return net }, 16, 64)
}

// contrastiveGrad is the contrastive loss at margin 1 on plain slices.
func contrastiveGrad() PairLossGrad {
	return contrastive.Contrastive(1).(contrastive.PairGrader).PairGrad
}

// benchPairStepSizes runs benchPairSteps on a fresh net at each of sizes
// pairs a step, as sub-benchmarks pairs=N.
func benchPairStepSizes(b *testing.B, net func(*testing.B) *Net, sizes ...int) {
	for _, pairs := range sizes {
		b.Run(fmt.Sprintf("pairs=%d", pairs), func(b *testing.B) { benchPairSteps(b, net(b), pairs) })
	}
}

// benchPairSteps times PairGraph steps of net on batch pairs of random
// images, half of them similar, under the contrastive loss with the head
// training runs it in (on plain slices, NewPairGraphGrad).
func benchPairSteps(b *testing.B, net *Net, batch int) {
	b.Logf("kernel set %s", linalg.ChooseKernels())
	pg, err := net.NewPairGraphGrad(batch, contrastiveGrad())
	if err != nil {
		b.Fatal(err)
	}
	per := net.Spec.Channels * net.Spec.Size * net.Spec.Size
	xa, xb := uniform(newRand(1), batch*per, 0, 1), uniform(newRand(2), batch*per, 0, 1)
	y := make([]float32, batch)
	for i := range y {
		y[i] = float32(i % 2)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := pg.Step(xa, xb, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkEmbedBatch is inference on one batch of 128 images; a pair
// needs two embeddings, so pairs/s is half the images/s.
func BenchmarkEmbedBatch(b *testing.B) {
	const batch = 128
	e, err := defaultNet(b).NewEmbedder(batch)
	if err != nil {
		b.Fatal(err)
	}
	x := randomImages(batch, 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Embed(x, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// photosPreset reads the tower and batch size of configs/photos.yaml, so
// the benchmark measures the preset as shipped.
func photosPreset(b *testing.B) (Spec, int) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "configs", "photos.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var p struct {
		Size     int     `yaml:"size"`
		Channels int     `yaml:"channels"`
		Batch    int     `yaml:"batch-size"`
		Layers   []Layer `yaml:"layers"`
	}
	if err := yaml.Unmarshal(raw, &p); err != nil {
		b.Fatal(err)
	}
	return Spec{Size: p.Size, Channels: p.Channels, Layers: p.Layers}, p.Batch
}

// BenchmarkTrainStepPhotos is one training step of the photos preset
// (64×64 RGB, its batch size), as BenchmarkTrainStep for the default
// tower.
func BenchmarkTrainStepPhotos(b *testing.B) {
	net, batch := photosNet(b)
	benchPairSteps(b, net, batch)
}

// BenchmarkTrainStepOps is BenchmarkTrainStep and BenchmarkTrainStepPhotos
// with every op timed (program.clock), both towers' times added by op and
// output shape; it logs the ten ops that take the most, each with its share
// of all ops' time and its milliseconds per step. A tower's "head" is
// its wait for the other tower plus, for the later one, the loss.
func BenchmarkTrainStepOps(b *testing.B) {
	for _, c := range []struct {
		name string
		net  func(*testing.B) (*Net, int)
	}{
		{"default", func(b *testing.B) (*Net, int) { return defaultNet(b), 64 }},
		{"photos", photosNet},
	} {
		b.Run(c.name, func(b *testing.B) {
			net, batch := c.net(b)
			pg, err := net.NewPairGraphGrad(batch, contrastiveGrad())
			if err != nil {
				b.Fatal(err)
			}
			for _, tg := range pg.towers {
				tg.prog.clock = make([]time.Duration, len(tg.prog.nodes))
			}
			per := net.Spec.Channels * net.Spec.Size * net.Spec.Size
			xa, xb := uniform(newRand(1), batch*per, 0, 1), uniform(newRand(2), batch*per, 0, 1)
			y := make([]float32, batch)
			for i := range y {
				y[i] = float32(i % 2)
			}
			for b.Loop() {
				if _, _, err := pg.Step(xa, xb, y); err != nil {
					b.Fatal(err)
				}
			}
			byOp := map[string]time.Duration{}
			var total time.Duration
			for _, tg := range pg.towers {
				for i, d := range tg.prog.clock {
					n := tg.prog.nodes[i]
					byOp[fmt.Sprintf("%v %v", n.Op(), n.Shape())] += d
					total += d
				}
			}
			ops := slices.SortedFunc(maps.Keys(byOp), func(p, q string) int { return cmp.Compare(byOp[q], byOp[p]) })
			for _, op := range ops[:min(len(ops), 10)] {
				b.Logf("%5.1f%% %7.3f ms/step  %s", 100*byOp[op].Seconds()/total.Seconds(), byOp[op].Seconds()*1e3/float64(b.N), op)
			}
		})
	}
}

// photosNet is the photos preset's tower (seed 1) and its batch size.
func photosNet(b *testing.B) (*Net, int) {
	spec, batch := photosPreset(b)
	net, err := New(spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	return net, batch
}

// BenchmarkTrainStepColour is BenchmarkTrainStep for the default tower on
// 48×48 colour images (scripts/bench.sh colour).
func BenchmarkTrainStepColour(b *testing.B) {
	net, err := New(Spec{Size: 48, Channels: 3, Layers: DefaultLayers()}, 1)
	if err != nil {
		b.Fatal(err)
	}
	benchPairSteps(b, net, 64)
}

// BenchmarkTrainStepPhotosClasses is one step of the photos preset as it
// ships: a class batch (16 classes × 4 images) under NT-Xent.
func BenchmarkTrainStepPhotosClasses(b *testing.B) {
	net, batch := photosNet(b)
	bg, err := net.NewBatchGraph(batch, contrastive.NTXent(0.1).(contrastive.BatchLoss).Batch)
	if err != nil {
		b.Fatal(err)
	}
	per := net.Spec.Channels * net.Spec.Size * net.Spec.Size
	x := uniform(newRand(1), batch*per, 0, 1)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = i / 4
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bg.Step(x, labels); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkPairHead is a PairGraph's head alone, 64 pairs of 128-d
// embeddings under the contrastive loss: distances, loss and the
// gradients for both towers, as a graph (NewPairGraph) and on plain
// slices (NewPairGraphGrad), with its inputs in cache.
func BenchmarkPairHead(b *testing.B) {
	const batch, dim = 64, 128
	graph := func() (*twinHead, *tensor.Dense) {
		h, y, _, err := newPairHead(batch, dim, contrastive.Contrastive(1).Node)
		if err != nil {
			b.Fatal(err)
		}
		return h, y
	}
	plain := func() (*twinHead, *tensor.Dense) {
		h, y, _ := newPairHeadGrad(batch, dim, contrastiveGrad())
		return h, y
	}
	for _, c := range []struct {
		name string
		make func() (*twinHead, *tensor.Dense)
	}{{"graph", graph}, {"slices", plain}} {
		b.Run(c.name, func(b *testing.B) {
			h, y := c.make()
			copy(h.all, uniform(newRand(3), 2*batch*dim, -0.2, 0.2))
			labels := y.Data().([]float32)
			for i := range labels {
				labels[i] = float32(i % 2)
			}
			for b.Loop() {
				if err := h.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
