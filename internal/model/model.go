package model

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/siamese-dev/siamese/internal/network"
)

// FormatVersion is written in every file and checked on load.
const FormatVersion = "siamese/1"

// LossInfo records the loss a model was trained with.
type LossInfo struct {
	Name   string  `json:"name"`
	Margin float64 `json:"margin"`
	Delta  float64 `json:"delta,omitempty"`
}

// SplitInfo records how the training data was split, so that eval can
// rebuild the held-out test images.
type SplitInfo struct {
	Data string  `json:"data"` // folder, or "builtin:fashion"
	Seed uint64  `json:"seed"`
	Val  float64 `json:"val"`
	Test float64 `json:"test"`
}

// Training records what the run did and measured. Timings are left out on
// purpose: the same seed and data must give the same bytes.
type Training struct {
	Epochs       int     `json:"epochs"`
	BestEpoch    int     `json:"best_epoch"`
	Pairs        int     `json:"pairs"`
	ValLoss      float64 `json:"val_loss"`
	ValAccuracy  float64 `json:"val_accuracy"`
	Optimizer    string  `json:"optimizer"`
	LearningRate float64 `json:"lr"`
	BatchSize    int     `json:"batch_size"`
}

// Meta is everything besides the weights.
type Meta struct {
	Spec      network.Spec `json:"spec"`
	Loss      LossInfo     `json:"loss"`
	Threshold float64      `json:"threshold"`
	Classes   []string     `json:"classes"`
	Split     SplitInfo    `json:"split"`
	Training  Training     `json:"training"`
}

// Model is a trained network with its metadata.
type Model struct {
	Meta Meta
	Net  *network.Net
}

// Checkpoint is a model in the middle of training.
type Checkpoint struct {
	Model
	State CheckpointState
	// Optimizer holds the optimiser's moments by key.
	Optimizer map[string][]float32
	// Best holds the best epoch's weights so far (early stopping keeps them).
	Best *network.Net
}

// CheckpointState is what the trainer needs besides weights to resume.
type CheckpointState struct {
	Epoch        int     `json:"epoch"` // last finished epoch, 1-based
	BestEpoch    int     `json:"best_epoch"`
	BestValLoss  float64 `json:"best_val_loss"`
	BadEpochs    int     `json:"bad_epochs"`
	Pairs        int     `json:"pairs"`
	Seconds      float64 `json:"seconds"`
	Optimizer    string  `json:"optimizer"`
	OptionsHash  string  `json:"options"` // the run's settings, so a resume with other settings is refused
	LearningRate float64 `json:"lr"`
	// History is the trainer's per-epoch record, opaque to this package.
	History json.RawMessage `json:"history,omitempty"`
}

const optimPrefix = "optim."
const bestPrefix = "best."

type view struct {
	shape []uint64
	data  []byte
}

func (v view) DType() safetensors.DType { return safetensors.F32 }
func (v view) Shape() []uint64          { return v.shape }
func (v view) Data() []byte             { return v.data }
func (v view) DataLen() uint64          { return uint64(len(v.data)) }

func f32view(shape []int, data []float32) view {
	s := make([]uint64, len(shape))
	for i, d := range shape {
		s[i] = uint64(d)
	}
	b := make([]byte, 4*len(data))
	for i, x := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return view{shape: s, data: b}
}

// Save writes m to path atomically.
func Save(path string, m *Model) error {
	tensors, info, err := encode(m)
	if err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	return writeAtomic(path, tensors, info)
}

// SaveCheckpoint writes a checkpoint to path atomically.
func SaveCheckpoint(path string, c *Checkpoint) error {
	tensors, info, err := encode(&c.Model)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	for k, v := range c.Optimizer {
		tensors[optimPrefix+k] = f32view([]int{len(v)}, v)
	}
	if c.Best != nil {
		for _, p := range c.Best.Tensors() {
			tensors[bestPrefix+p.Name] = f32view(p.Shape, p.Data)
		}
	}
	st, err := json.Marshal(c.State)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	info["checkpoint"] = string(st)
	return writeAtomic(path, tensors, info)
}

func encode(m *Model) (map[string]view, map[string]string, error) {
	meta, err := json.Marshal(m.Meta)
	if err != nil {
		return nil, nil, err
	}
	tensors := map[string]view{}
	for _, p := range m.Net.Tensors() {
		tensors[p.Name] = f32view(p.Shape, p.Data)
	}
	return tensors, map[string]string{"format": FormatVersion, "siamese": string(meta)}, nil
}

func writeAtomic(path string, tensors map[string]view, info map[string]string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := safetensors.SerializeToWriter(tensors, info, tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// Load reads a model file written by Save (or a checkpoint, ignoring its
// training state).
func Load(path string) (*Model, error) {
	m, _, err := load(path)
	return m, err
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	m, f, err := load(path)
	if err != nil {
		return nil, err
	}
	raw, ok := f.meta["checkpoint"]
	if !ok {
		return nil, fmt.Errorf("load checkpoint %s: a finished model, not a checkpoint", path)
	}
	c := &Checkpoint{Model: *m, Optimizer: map[string][]float32{}}
	if err := json.Unmarshal([]byte(raw), &c.State); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: bad checkpoint metadata: %w", path, err)
	}
	best := map[string][]float32{}
	for name, t := range f.tensors {
		switch {
		case strings.HasPrefix(name, optimPrefix):
			c.Optimizer[strings.TrimPrefix(name, optimPrefix)] = t
		case strings.HasPrefix(name, bestPrefix):
			best[strings.TrimPrefix(name, bestPrefix)] = t
		}
	}
	if len(best) > 0 {
		shapes := map[string][]int{}
		for n := range best {
			shapes[n] = f.shapes[bestPrefix+n]
		}
		if c.Best, err = network.FromWeights(m.Meta.Spec, best, shapes); err != nil {
			return nil, fmt.Errorf("load checkpoint %s: best weights: %w", path, err)
		}
	}
	return c, nil
}

type rawFile struct {
	meta    map[string]string
	tensors map[string][]float32
	shapes  map[string][]int
}

// maxModelBytes bounds what Load reads: far above any tower this tool
// builds, far below what would exhaust memory.
const maxModelBytes = 2 << 30

func load(path string) (*Model, *rawFile, error) {
	wrap := func(format string, a ...any) error {
		return fmt.Errorf("load model %s: %s", path, fmt.Sprintf(format, a...))
	}
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, wrap("no such file (train one with `siamese train`, or pass --model)")
		}
		return nil, nil, fmt.Errorf("load model %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, nil, wrap("is a directory, not a model file")
	}
	if st.Size() > maxModelBytes {
		return nil, nil, wrap("file is %d bytes, larger than any siamese model", st.Size())
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load model %s: %w", path, err)
	}
	// The library validates the header length and every tensor's offsets
	// against the real size of the buffer, so nothing is allocated from an
	// unchecked size.
	sf, err := safetensors.Deserialize(buf)
	if err != nil {
		return nil, nil, wrap("not a safetensors file (%v)", err)
	}
	f := &rawFile{tensors: map[string][]float32{}, shapes: map[string][]int{}}
	_, hdr, err := safetensors.ReadMetadata(buf)
	if err != nil {
		return nil, nil, wrap("not a safetensors file (%v)", err)
	}
	f.meta = hdr.Metadata()
	if f.meta["format"] != FormatVersion || f.meta["siamese"] == "" {
		return nil, nil, wrap("a safetensors file, but not a siamese model (no %q format metadata)", FormatVersion)
	}
	var meta Meta
	if err := json.Unmarshal([]byte(f.meta["siamese"]), &meta); err != nil {
		return nil, nil, wrap("bad siamese metadata: %v", err)
	}
	names := sf.Names()
	sort.Strings(names)
	weights := map[string][]float32{}
	for _, name := range names {
		tv, _ := sf.Tensor(name)
		if tv.DType() != safetensors.F32 {
			return nil, nil, wrap("tensor %s is %s, want F32", name, tv.DType())
		}
		shape := make([]int, len(tv.Shape()))
		for i, d := range tv.Shape() {
			shape[i] = int(d)
		}
		raw := tv.Data()
		data := make([]float32, len(raw)/4)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		f.tensors[name], f.shapes[name] = data, shape
		if !strings.HasPrefix(name, optimPrefix) && !strings.HasPrefix(name, bestPrefix) {
			weights[name] = data
		}
	}
	net, err := network.FromWeights(meta.Spec, weights, f.shapes)
	if err != nil {
		return nil, nil, wrap("%v", err)
	}
	return &Model{Meta: meta, Net: net}, f, nil
}
