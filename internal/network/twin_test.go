package network

import (
	"errors"
	"math"
	"testing"

	"github.com/siamese-dev/siamese/internal/contrastive"
)

// TestPairGraphMatchesEmbedder: the twins running side by side give the
// distances and loss of embedding each side alone, for a tower whose
// training pass equals its inference pass (no batch norm, no dropout).
func TestPairGraphMatchesEmbedder(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss contrastive.Loss
	}{
		{"contrastive", contrastive.Contrastive(1)},
		{"huber", contrastive.Huber(1, 0.3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := smallSpec()
			net, err := New(spec, 5)
			if err != nil {
				t.Fatal(err)
			}
			const batch = 6
			per := spec.Channels * spec.Size * spec.Size
			xa, xb := uniform(newRand(1), batch*per, 0, 1), uniform(newRand(2), batch*per, 0, 1)
			y := []float32{1, 0, 1, 1, 0, 0}
			pg, err := net.NewPairGraph(batch, tc.loss.Node)
			if err != nil {
				t.Fatal(err)
			}
			loss, dist, err := pg.Step(xa, xb, y)
			if err != nil {
				t.Fatal(err)
			}
			e, err := net.NewEmbedder(batch)
			if err != nil {
				t.Fatal(err)
			}
			ea, err := e.Embed(xa, batch)
			if err != nil {
				t.Fatal(err)
			}
			eb, err := e.Embed(xb, batch)
			if err != nil {
				t.Fatal(err)
			}
			dim := e.Dim()
			want := make([]float32, batch)
			for i := range want {
				want[i] = float32(PairDistance(ea[i*dim:(i+1)*dim], eb[i*dim:(i+1)*dim]))
				if !close32(dist[i], float64(want[i]), 1e-5) {
					t.Errorf("distance %d = %v, embedder gives %v", i, dist[i], want[i])
				}
			}
			if wl := tc.loss.Value(want, y); math.Abs(loss-wl) > 1e-5 {
				t.Errorf("loss %v, embedder gives %v", loss, wl)
			}
		})
	}
}

// TestPairGraphRunningStats: the second twin's batch is folded into the
// running statistics after the first's, as when the twins ran one after
// the other, step after step.
func TestPairGraphRunningStats(t *testing.T) {
	spec := Spec{Size: 2, Channels: 1, Layers: []Layer{{Kind: KindBatchNorm}, {Kind: KindDense, Units: 2}}}
	net, err := New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := net.NewPairGraph(2, contrastive.Contrastive(1).Node)
	if err != nil {
		t.Fatal(err)
	}
	st := net.bn["layer0.bn"]
	// Each side's 8 values: mean and unbiased variance by hand.
	xa := []float32{0, 1, 2, 3, 4, 5, 6, 7} // mean 3.5, unbiased var 6
	xb := []float32{1, 1, 1, 1, 3, 3, 3, 3} // mean 2, unbiased var 8/7
	mean, variance := 0.0, 1.0
	const m = 0.1
	for step := range 3 {
		if _, _, err := pg.Step(xa, xb, []float32{1, 0}); err != nil {
			t.Fatal(err)
		}
		mean = (1-m)*((1-m)*mean+m*3.5) + m*2
		variance = (1-m)*((1-m)*variance+m*6) + m*8.0/7
		if !close32(st.Mean[0], mean, 1e-5) || !close32(st.Var[0], variance, 1e-5) {
			t.Errorf("step %d: running mean %v, var %v; want %v, %v", step, st.Mean[0], st.Var[0], mean, variance)
		}
	}
}

// TestTwinHeadAbort: a tower waiting at the head is released with an
// error when the other tower fails before reaching it.
func TestTwinHeadAbort(t *testing.T) {
	h, _, dist, err := newPairHead(2, 3, contrastive.Contrastive(1).Node)
	if err != nil {
		t.Fatal(err)
	}
	h.reset()
	got := make(chan error)
	go func() { got <- h.meet(0, make([]float32, 6)) }()
	h.abort()
	if err := <-got; !errors.Is(err, errTwinAborted) {
		t.Fatalf("waiting tower got %v, want errTwinAborted", err)
	}
	// The next step starts clean and meets normally.
	h.reset()
	go func() { got <- h.meet(0, make([]float32, 6)) }()
	if err := h.meet(1, []float32{1, 0, 0, 0, 1, 0}); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if d := (*dist).Data().([]float32); !close32(d[0], 1, 1e-5) || !close32(d[1], 1, 1e-5) {
		t.Errorf("distances %v, want [1 1]", d)
	}
}

// TestStatPair: the halves get the same whole-batch sums, the first
// half's added first, step after step; a half waiting for one that failed
// is released with an error.
func TestStatPair(t *testing.T) {
	p := newStatPair()
	for step := range 3 {
		p.reset()
		a, b := []float64{1, 2, float64(step)}, []float64{10, 20, 30}
		done := make(chan error)
		go func() { done <- p.add(1, b) }()
		if err := p.add(0, a); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		want := []float64{11, 22, 30 + float64(step)}
		for i := range want {
			if a[i] != want[i] || b[i] != want[i] {
				t.Fatalf("step %d: sums %v and %v, want %v", step, a, b, want)
			}
		}
	}
	p.reset()
	done := make(chan error)
	go func() { done <- p.add(0, []float64{1}) }()
	p.abort()
	if err := <-done; !errors.Is(err, errTwinAborted) {
		t.Fatalf("waiting half got %v, want errTwinAborted", err)
	}
}

// TestPairGraphGradMatchesGraph: a PairGraph whose head computes the loss
// on plain slices (NewPairGraphGrad, a built-in loss's PairGrad) gives the
// loss, the distances and every weight gradient of the graph head to the
// bit, step after step.
func TestPairGraphGradMatchesGraph(t *testing.T) {
	losses := []contrastive.Loss{contrastive.Contrastive(1), contrastive.Huber(1.5, 0.3), contrastive.MSE(0.8)}
	specs := []Spec{smallSpec(), {Size: 28, Channels: 1, Layers: DefaultLayers()}, photoSpec()}
	const batch = 6
	for _, spec := range specs {
		for _, l := range losses {
			t.Run(specName(spec)+"/"+l.Name(), func(t *testing.T) {
				var graphs [2]*PairGraph
				for k := range graphs {
					net, err := New(spec, 4)
					if err != nil {
						t.Fatal(err)
					}
					if k == 0 {
						graphs[k], err = net.NewPairGraph(batch, l.Node)
					} else {
						graphs[k], err = net.NewPairGraphGrad(batch, l.(contrastive.PairGrader).PairGrad)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				per := spec.Channels * spec.Size * spec.Size
				y := []float32{1, 0, 0, 1, 0, 1}
				for step := range 2 {
					xa := uniform(newRand(uint64(10+step)), batch*per, 0, 1)
					xb := uniform(newRand(uint64(20+step)), batch*per, 0, 1)
					var loss [2]float64
					var dist [2][]float32
					var grads [2][][]float32
					for k, pg := range graphs {
						var err error
						if loss[k], dist[k], err = pg.Step(xa, xb, y); err != nil {
							t.Fatal(err)
						}
						if grads[k], err = pg.Grads(); err != nil {
							t.Fatal(err)
						}
					}
					if math.Float64bits(loss[0]) != math.Float64bits(loss[1]) {
						t.Errorf("step %d: loss %v, graph head %v", step, loss[1], loss[0])
					}
					for i := range dist[0] {
						if math.Float32bits(dist[0][i]) != math.Float32bits(dist[1][i]) {
							t.Errorf("step %d: distance %d = %v, graph head %v", step, i, dist[1][i], dist[0][i])
						}
					}
					for i := range grads[0] {
						for j := range grads[0][i] {
							if math.Float32bits(grads[0][i][j]) != math.Float32bits(grads[1][i][j]) {
								t.Errorf("step %d: gradient %d[%d] = %v, graph head %v", step, i, j, grads[1][i][j], grads[0][i][j])
								break
							}
						}
					}
				}
			})
		}
	}
}
