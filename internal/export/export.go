package export

import (
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/siamese-dev/siamese/internal/atomicfile"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/onnx/onnxpb"
)

// Options says what to export, as the export command's flags do.
type Options struct {
	Model  string // trained model file
	Out    string // the .onnx file to write
	Format string // "onnx", the only one so far
	Pair   bool   // two inputs and the distance, rather than the embedding model
	// Stdout receives the model when Out is "-".
	Stdout io.Writer
}

// Tensor describes one graph input or output: "N" for the free batch size.
type Tensor struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Shape []any  `json:"shape"`
}

// Result is what was written.
type Result struct {
	Path     string            `json:"path"`
	Inputs   []Tensor          `json:"inputs"`
	Outputs  []Tensor          `json:"outputs"`
	Opset    int               `json:"opset"`
	Metadata map[string]string `json:"metadata"`
	Bytes    int               `json:"bytes"`
}

// Run loads the model, builds the graph and writes it atomically to o.Out.
func Run(o Options) (*Result, error) {
	if o.Format != "onnx" {
		return nil, fmt.Errorf("--format %q: the only export format is onnx", o.Format)
	}
	if o.Out == "" {
		return nil, fmt.Errorf("--out is required: the .onnx file to write")
	}
	toStdout := o.Out == "-"
	if toStdout && o.Stdout == nil {
		return nil, fmt.Errorf("--out -: no standard output to write to")
	}
	if !toStdout {
		if err := model.CheckWritable(o.Out); err != nil {
			return nil, fmt.Errorf("--out %w", err)
		}
		// Written atomically over the model, the export would leave no
		// model to export again.
		if a, err := os.Stat(o.Out); err == nil {
			if b, err := os.Stat(o.Model); err == nil && os.SameFile(a, b) {
				return nil, fmt.Errorf("--out %s is the model file itself; name a file such as tower.onnx", o.Out)
			}
		}
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	mp, err := Build(m, o.Pair)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Model, err)
	}
	// Deterministic: the same model exports to the same bytes.
	buf, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("encode ONNX model: %w", err)
	}
	if toStdout {
		if _, err := o.Stdout.Write(buf); err != nil {
			return nil, fmt.Errorf("write the model to standard output: %w", err)
		}
	} else if err := writeAtomic(o.Out, buf); err != nil {
		return nil, err
	}
	return describe(o.Out, mp, len(buf)), nil
}

// describe summarises the graph's interface for --json and the human line.
func describe(path string, mp *onnxpb.ModelProto, size int) *Result {
	r := &Result{Path: path, Opset: Opset, Metadata: map[string]string{}, Bytes: size}
	for _, kv := range mp.GetMetadataProps() {
		r.Metadata[kv.GetKey()] = kv.GetValue()
	}
	tensor := func(vi *onnxpb.ValueInfoProto) Tensor {
		t := Tensor{Name: vi.GetName(), Type: "float32", Shape: []any{}}
		for _, d := range vi.GetType().GetTensorType().GetShape().GetDim() {
			if p := d.GetDimParam(); p != "" {
				t.Shape = append(t.Shape, p)
			} else {
				t.Shape = append(t.Shape, d.GetDimValue())
			}
		}
		return t
	}
	for _, vi := range mp.GetGraph().GetInput() {
		r.Inputs = append(r.Inputs, tensor(vi))
	}
	for _, vi := range mp.GetGraph().GetOutput() {
		r.Outputs = append(r.Outputs, tensor(vi))
	}
	return r
}

// writeAtomic writes path all at once, so a failure never leaves half a
// model behind.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
