package main

import (
	"bufio"
	"bytes"
	le "encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/export"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
)

// onnxCheck is the folder of the ONNX Runtime script (npm ci there installs
// onnxruntime-node).
var onnxCheck = filepath.Join("..", "..", "scripts", "onnxcheck")

// onnxTools finds node with onnxruntime-node and a python3 with the onnx
// package. Without them the parity test skips on a developer's machine but
// fails in CI (CI=true), where .ci/run installs them.
func onnxTools(t *testing.T) (node, python string) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: .ci/run must install it", what)
		}
		t.Skipf("%s (apt-get install python3-onnx nodejs npm; cd scripts/onnxcheck && npm ci --ignore-scripts)", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	if _, err := os.Stat(filepath.Join(onnxCheck, "node_modules", "onnxruntime-node", "package.json")); err != nil {
		missing("onnxruntime-node is not installed in scripts/onnxcheck")
	}
	// Debian's python3-onnx lives with the system interpreter, which a
	// pyenv or venv python3 earlier on PATH would not see.
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(p, "-c", "import onnx").Run(); err == nil {
			return node, p
		}
	}
	missing("python3 with the onnx package not found")
	return "", ""
}

// TestExportONNXParity trains tiny towers of every layer kind, exports them,
// runs the ONNX files in ONNX Runtime and compares with `siamese embed` and
// the distance head; onnx.checker must accept every file.
func TestExportONNXParity(t *testing.T) {
	node, python := onnxTools(t)
	start := time.Now()
	data := abs(t, digits)
	cases := []struct {
		name   string
		config string // YAML for --config, or a path under configs/ when it ends in .yaml
	}{
		{"default tower", ""},
		{"mnist preset", "mnist.yaml"},
		{"faces preset: RGB, batchnorm, dropout, l2norm", "faces.yaml"},
		{"batchnorm after dense, l2norm", `
layers:
  - {kind: conv, filters: 8, kernel: 5, pad: 1}
  - {kind: batchnorm}
  - {kind: relu}
  - {kind: maxpool, size: 3}
  - {kind: dense, units: 24}
  - {kind: batchnorm}
  - {kind: dropout, rate: 0.2}
  - {kind: l2norm}
`},
		{"strided conv, residual, gap", `
size: 20
layers:
  - {kind: conv, filters: 8, kernel: 3, stride: 2}
  - {kind: batchnorm}
  - {kind: relu}
  - {kind: residual, filters: 8}
  - {kind: residual, filters: 16, stride: 2}
  - {kind: gap}
  - {kind: dense, units: 16}
`},
		{"tower ending in conv", `
size: 12
layers:
  - {kind: conv, filters: 4, kernel: 3, pad: 0}
  - {kind: relu}
  - {kind: maxpool, size: 2}
  - {kind: l2norm}
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := smallTrain(data, "m.safetensors", "--epochs", "1", "--pairs-per-epoch", "128")
			switch {
			case strings.HasSuffix(c.config, ".yaml"):
				args = append(args, "--config", abs(t, filepath.Join("..", "..", "configs", c.config)))
			case c.config != "":
				cfg := filepath.Join(dir, "tower.yaml")
				if err := os.WriteFile(cfg, []byte(c.config), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", cfg)
			}
			if r := siamese(t, dir, args...); r.code != 0 {
				t.Fatalf("train exit %d: %s", r.code, r.stderr)
			}
			m, err := model.Load(filepath.Join(dir, "m.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			spec := m.Net.Spec

			// The embeddings the Go tower computes, through the binary.
			r := siamese(t, dir, "embed", data, "--model", "m.safetensors", "--json")
			if r.code != 0 {
				t.Fatalf("embed exit %d: %s", r.code, r.stderr)
			}
			var paths []string
			var want [][]float32
			sc := bufio.NewScanner(strings.NewReader(r.stdout))
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				var row struct {
					Path      string    `json:"path"`
					Embedding []float32 `json:"embedding"`
				}
				if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
					t.Fatalf("embed --json line %q: %v", sc.Text(), err)
				}
				paths = append(paths, row.Path)
				want = append(want, row.Embedding)
			}
			if len(paths) < 8 {
				t.Fatalf("embed gave %d images", len(paths))
			}

			// The same images as the network input, and the same images
			// shifted by one for the second input of the pair model.
			loader := dataset.Loader{Size: spec.Size, Channels: spec.Channels}
			var xa, xb []float32
			for _, p := range paths {
				img, err := loader.LoadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				xa = append(xa, img...)
			}
			per := loader.Len()
			xb = append(append(xb, xa[per:]...), xa[:per]...)
			fa, fb := filepath.Join(dir, "a.f32"), filepath.Join(dir, "b.f32")
			writeFloats(t, fa, xa)
			writeFloats(t, fb, xb)
			shape := fmt.Sprintf("%d,%d,%d,%d", len(paths), spec.Channels, spec.Size, spec.Size)

			// The embedding model.
			r = siamese(t, dir, "export", "--format", "onnx", "--model", "m.safetensors", "--out", "tower.onnx", "--json")
			if r.code != 0 {
				t.Fatalf("export exit %d: %s", r.code, r.stderr)
			}
			var sum export.Result
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
				t.Fatalf("export --json printed %q: %v", r.stdout, err)
			}
			if sum.Opset != export.Opset || len(sum.Inputs) != 1 || len(sum.Outputs) != 1 ||
				sum.Metadata[export.MetaSize] != fmt.Sprint(spec.Size) || sum.Metadata[export.MetaChannels] != fmt.Sprint(spec.Channels) ||
				sum.Metadata[export.MetaThreshold] != fmt.Sprint(m.Meta.Threshold) {
				t.Errorf("export --json: %s", r.stdout)
			}
			got := runORT(t, node, filepath.Join(dir, "tower.onnx"), shape, "image="+fa)
			d := maxDiff(t, "embedding", got["embedding"], want)
			t.Logf("%s: %d images, embedding dim %d, max |onnx - embed| = %.3g", c.name, len(paths), len(want[0]), d)
			if d > 1e-4 {
				t.Errorf("max |onnx - embed| = %g, want <= 1e-4", d)
			}

			// The pair model: both embeddings and the distance head.
			if r := siamese(t, dir, "export", "--model", "m.safetensors", "--out", "pair.onnx", "--pair"); r.code != 0 {
				t.Fatalf("export --pair exit %d: %s", r.code, r.stderr)
			}
			got = runORT(t, node, filepath.Join(dir, "pair.onnx"), shape, "image_a="+fa, "image_b="+fb)
			wantB := append(append([][]float32(nil), want[1:]...), want[0])
			wantD := make([][]float32, len(want))
			for i := range want {
				wantD[i] = []float32{float32(network.PairDistance(want[i], wantB[i]))}
			}
			da := maxDiff(t, "embedding_a", got["embedding_a"], want)
			db := maxDiff(t, "embedding_b", got["embedding_b"], wantB)
			dd := maxDiff(t, "distance", got["distance"], wantD)
			t.Logf("%s: pair model max |diff| embedding_a %.3g, embedding_b %.3g, distance %.3g", c.name, da, db, dd)
			if max(da, db, dd) > 1e-4 {
				t.Errorf("pair model max |onnx - go|: embedding_a %g, embedding_b %g, distance %g; want <= 1e-4", da, db, dd)
			}

			// The reference checker of the ONNX project, with shape inference.
			check := exec.Command(python, "-c", `import sys, onnx
for f in sys.argv[1:]:
    onnx.checker.check_model(onnx.load(f), full_check=True)
print("onnx.checker: ok")`, filepath.Join(dir, "tower.onnx"), filepath.Join(dir, "pair.onnx"))
			out, err := check.CombinedOutput()
			if err != nil {
				t.Fatalf("onnx.checker rejected the export: %v\n%s", err, out)
			}
			t.Logf("%s: %s", c.name, strings.TrimSpace(string(out)))
		})
	}
	t.Logf("ONNX parity of %d towers took %v", len(cases), time.Since(start).Round(time.Millisecond))
}

// TestExportErrors checks that bad requests fail with one clear line.
func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "junk.safetensors"), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "m.safetensors")
	if r := siamese(t, dir, smallTrain(abs(t, digits), model, "--epochs", "1", "--pairs-per-epoch", "64")...); r.code != 0 {
		t.Fatalf("train exit %d: %s", r.code, r.stderr)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"export", "--model", "junk.safetensors"}, `required flag(s) "out" not set`},
		{"bad format", []string{"export", "--format", "tflite", "--out", "t.onnx"}, `--format "tflite"`},
		{"missing model", []string{"export", "--model", "nope.safetensors", "--out", "t.onnx"}, "nope.safetensors"},
		{"bad model", []string{"export", "--model", "junk.safetensors", "--out", "t.onnx"}, "junk.safetensors"},
		{"no such folder", []string{"export", "--model", model, "--out", "nowhere/t.onnx"}, "--out nowhere/t.onnx: folder nowhere does not exist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := siamese(t, dir, c.args...)
			if r.code == 0 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want a non-zero exit and one line with %q", r.code, r.stderr, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "t.onnx")); err == nil {
				t.Errorf("a failed export left t.onnx behind")
			}
		})
	}
}

func writeFloats(t *testing.T, path string, v []float32) {
	t.Helper()
	var buf bytes.Buffer
	if err := le.Write(&buf, le.LittleEndian, v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

type ortOutput struct {
	Dims []int     `json:"dims"`
	Data []float64 `json:"data"`
}

// runORT runs a model in ONNX Runtime through scripts/onnxcheck/run.js.
func runORT(t *testing.T, node, modelPath, shape string, feeds ...string) map[string]ortOutput {
	t.Helper()
	cmd := exec.Command(node, append([]string{filepath.Join(onnxCheck, "run.js"), modelPath, shape}, feeds...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("onnxruntime on %s: %v: %s", modelPath, err, stderr.String())
	}
	var res struct {
		Outputs map[string]ortOutput `json:"outputs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("onnxruntime printed %.200q: %v", stdout.String(), err)
	}
	return res.Outputs
}

// maxDiff is the largest absolute difference between an ONNX Runtime output
// and the rows it should equal, after checking its shape.
func maxDiff(t *testing.T, name string, got ortOutput, want [][]float32) float64 {
	t.Helper()
	dim := len(want[0])
	wantDims := []int{len(want), dim}
	if dim == 1 && len(got.Dims) == 1 {
		wantDims = wantDims[:1]
	}
	if fmt.Sprint(got.Dims) != fmt.Sprint(wantDims) || len(got.Data) != len(want)*dim {
		t.Fatalf("%s: onnxruntime gave shape %v (%d values), want %v", name, got.Dims, len(got.Data), wantDims)
	}
	worst := 0.0
	for i, row := range want {
		for j, w := range row {
			g := got.Data[i*dim+j]
			if math.IsNaN(g) {
				return math.Inf(1)
			}
			worst = max(worst, math.Abs(g-float64(w)))
		}
	}
	return worst
}
