package model

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/siamese-dev/siamese/internal/atomicfile"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/network"
)

// FormatVersion is written in every file and checked on load.
const FormatVersion = "siamese/1"

// LossInfo records the loss a model was trained with.
type LossInfo struct {
	Name   string  `json:"name"`
	Margin float64 `json:"margin"`
	Delta  float64 `json:"delta,omitempty"`
	// Temperature of the ntxent loss.
	Temperature float64 `json:"temperature,omitempty"`
}

// SplitInfo records how the training data was split, so that eval can
// rebuild the held-out test images.
type SplitInfo struct {
	Data string  `json:"data"` // absolute folder, or "builtin:fashion"
	Seed uint64  `json:"seed"`
	Val  float64 `json:"val"`
	Test float64 `json:"test"`
	// Mode is "images" (a share of every class) or "classes" (whole
	// classes held out); files written before it existed mean "images".
	Mode string `json:"mode,omitempty"`
	// Fingerprints of each part's file list (dataset.Index.Fingerprint),
	// so that eval can refuse a folder that no longer gives the same
	// held-out images.
	TrainFingerprint string `json:"train_fingerprint,omitempty"`
	ValFingerprint   string `json:"val_fingerprint,omitempty"`
	TestFingerprint  string `json:"test_fingerprint,omitempty"`
	// TrainClasses are the classes the model trained on, when whole
	// classes were held out (Meta.Classes lists them all).
	TrainClasses []string `json:"train_classes,omitempty"`
}

// Training records what the run did and measured. Timings are left out on
// purpose: the same seed and data must give the same bytes.
type Training struct {
	Epochs       int     `json:"epochs"`
	BestEpoch    int     `json:"best_epoch"`
	Pairs        int     `json:"pairs"`
	ValLoss      float64 `json:"val_loss"`
	ValAccuracy  float64 `json:"val_accuracy"`
	ValOneShot   float64 `json:"val_one_shot,omitempty"`
	OneShotWay   int     `json:"val_one_shot_way,omitempty"`
	SelectBy     string  `json:"select_by,omitempty"`
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
	// Calibration says where Threshold came from when `siamese calibrate`
	// set it on other data than training's validation pairs; nil else.
	Calibration *Calibration `json:"calibration,omitempty"`
}

// Calibration records a threshold chosen after training.
type Calibration struct {
	Data      string  `json:"data"`      // the folder whose pairs chose it
	Pairs     int     `json:"pairs"`     // how many
	Rule      string  `json:"rule"`      // how: "best accuracy", "equal error", "false accept <= F"
	Trained   float64 `json:"trained"`   // the threshold training chose
	Threshold float64 `json:"threshold"` // the one chosen
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
	Epoch       int     `json:"epoch"` // last finished epoch, 1-based
	BestEpoch   int     `json:"best_epoch"`
	BestValLoss float64 `json:"best_val_loss"` // the best selection score (lower is better)
	BadEpochs   int     `json:"bad_epochs"`
	Pairs       int     `json:"pairs"`
	Seconds     float64 `json:"seconds"`
	Elapsed     float64 `json:"elapsed,omitempty"` // steps and validation, for a time budget
	Optimizer   string  `json:"optimizer"`
	OptionsHash string  `json:"options"` // the run's settings, so a resume with other settings is refused
	// Settings are those settings as JSON, opaque to this package, so a
	// refused resume can say which changed (absent in older checkpoints).
	Settings     json.RawMessage `json:"settings,omitempty"`
	LearningRate float64         `json:"lr"`
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
	return writeAtomic(path, func(w io.Writer) error { return safetensors.SerializeToWriter(tensors, info, w) })
}

// CheckpointPath is where the training of the model at path keeps its
// per-epoch checkpoint.
func CheckpointPath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".ckpt.safetensors"
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
	return writeAtomic(path, func(w io.Writer) error { return safetensors.SerializeToWriter(tensors, info, w) })
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

// CheckWritable reports whether a file can be saved at path: its folder
// exists and takes new files, and path is not a folder. Training calls it
// before the first epoch rather than failing after the last.
func CheckWritable(path string) error {
	if path == "" {
		return fmt.Errorf("%q: empty file name", path)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder; name a file such as %s", path, filepath.Join(path, "siamese"+cmp.Or(filepath.Ext(path), ".safetensors")))
	}
	dir := filepath.Dir(path)
	if _, err := os.Lstat(path); err == nil {
		// What is there must be what Write replaces: a regular file, or a
		// link to one, written in its own folder.
		target, err := atomicfile.Target(path)
		if err != nil {
			return fmt.Errorf("%s %w; name a file", path, err)
		}
		dir = filepath.Dir(target)
	}
	if err := checkDir(dir); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	probe, err := os.CreateTemp(dir, "."+filepath.Base(path)+".probe-*")
	if err != nil {
		return fmt.Errorf("%s: cannot create files in %s: %w", path, dir, unwrapPath(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("folder %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("folder %s: %w", dir, unwrapPath(err))
	case !st.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	}
	return nil
}

// writeAtomic writes a file at path with write, through a temporary file in
// the same folder that is synced and then renamed over path: rename is
// atomic within a file system, so a reader, or the next run after a crash,
// sees the old file or the new one, never a mixture. A failed write removes
// the temporary file and leaves the old file untouched.
func writeAtomic(path string, write func(io.Writer) error) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("save %s: is a folder", path)
	}
	if err := checkDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("save %s: %w", path, unwrapPath(err))
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Load reads a model file written by Save. A checkpoint loads as the
// model training would keep if it stopped there: the best epoch's weights
// so far (its "best." tensors), with the threshold and figures training
// wrote for that epoch; its training state is ignored.
func Load(path string) (*Model, error) {
	m, f, err := load(path, "model")
	if err != nil {
		return nil, err
	}
	if _, ok := f.meta["checkpoint"]; !ok {
		return m, nil
	}
	c, err := checkpointOf(m, f)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	if c.Best != nil {
		m.Net = c.Best
	}
	return m, nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	m, f, err := load(path, "checkpoint")
	if err != nil {
		return nil, err
	}
	c, err := checkpointOf(m, f)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}
	return c, nil
}

// checkpointOf adds the training state in f to the model read from it.
func checkpointOf(m *Model, f *rawFile) (*Checkpoint, error) {
	raw, ok := f.meta["checkpoint"]
	if !ok {
		return nil, errors.New("a finished model, not a checkpoint")
	}
	c := &Checkpoint{Model: *m, Optimizer: map[string][]float32{}}
	if err := json.Unmarshal([]byte(raw), &c.State); err != nil {
		return nil, fmt.Errorf("bad checkpoint metadata: %v", err)
	}
	if s := c.State; s.Epoch < 1 || s.BestEpoch < 0 || s.BestEpoch > s.Epoch || s.Pairs < 0 {
		return nil, fmt.Errorf("bad checkpoint metadata: epoch %d, best epoch %d, %d pairs", s.Epoch, s.BestEpoch, s.Pairs)
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
		var err error
		if c.Best, err = network.FromWeights(m.Meta.Spec, best, shapes); err != nil {
			return nil, fmt.Errorf("best weights: %v", err)
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

// load reads and checks a model or checkpoint file; what names it in
// errors. Every size it acts on is checked first: the file's against
// maxModelBytes, the header's and the tensors' against the file's (by the
// safetensors library), and the tower's against CheckSpec, so a crafted
// file cannot make it allocate more than the file holds.
func load(path, what string) (*Model, *rawFile, error) {
	wrap := func(err error) error { return fmt.Errorf("load %s %s: %w", what, path, err) }
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && what == "checkpoint":
		return nil, nil, wrap(missingFile("no such file, so there is nothing to resume"))
	case errors.Is(err, fs.ErrNotExist):
		// A training still running, or interrupted, has only its
		// checkpoint, which serves as a model meanwhile.
		if ckpt := CheckpointPath(path); ckpt != path {
			if st, err := os.Stat(ckpt); err == nil && st.Mode().IsRegular() {
				return nil, nil, wrap(missingFile("no such file, but the checkpoint of a training that has not finished is there: pass --model " + ckpt + " (its best epoch so far), or finish the training with --resume"))
			}
		}
		return nil, nil, wrap(missingFile("no such file (train one with `siamese train`, or pass --model)"))
	case err != nil:
		return nil, nil, wrap(unwrapPath(err))
	case st.IsDir():
		return nil, nil, wrap(fmt.Errorf("is a folder, not a %s file", what))
	case !st.Mode().IsRegular():
		return nil, nil, wrap(errors.New("not a regular file"))
	case st.Size() == 0:
		return nil, nil, wrap(errors.New("empty file"))
	case st.Size() > maxModelBytes:
		return nil, nil, wrap(fmt.Errorf("file is %d bytes, larger than any siamese %s", st.Size(), what))
	}
	buf, err := readFileAtMost(path, maxModelBytes)
	if err != nil {
		return nil, nil, wrap(unwrapPath(err))
	}
	m, f, err := decode(buf)
	if err != nil {
		return nil, nil, wrap(err)
	}
	return m, f, nil
}

// missingFile is a message about a file that does not exist; it matches
// fs.ErrNotExist for errors.Is.
type missingFile string

func (m missingFile) Error() string        { return string(m) }
func (m missingFile) Is(target error) bool { return target == fs.ErrNotExist }

// decode parses and checks the bytes of a model or checkpoint file.
func decode(buf []byte) (*Model, *rawFile, error) {
	sf, err := safetensors.Deserialize(buf)
	if err != nil {
		return nil, nil, errors.New(framingProblem(buf, err))
	}
	_, hdr, err := safetensors.ReadMetadata(buf)
	if err != nil {
		return nil, nil, errors.New(framingProblem(buf, err))
	}
	f := &rawFile{meta: hdr.Metadata(), tensors: map[string][]float32{}, shapes: map[string][]int{}}
	if f.meta["format"] != FormatVersion || f.meta["siamese"] == "" {
		if v := f.meta["format"]; strings.HasPrefix(v, "siamese/") && v != FormatVersion {
			return nil, nil, fmt.Errorf("format %s; this siamese reads %s", v, FormatVersion)
		}
		return nil, nil, fmt.Errorf("a safetensors file from another program: no %q format metadata, so not a siamese model", FormatVersion)
	}
	var meta Meta
	if err := json.Unmarshal([]byte(f.meta["siamese"]), &meta); err != nil {
		return nil, nil, fmt.Errorf("bad siamese metadata: %v", err)
	}
	if err := meta.check(); err != nil {
		return nil, nil, fmt.Errorf("bad siamese metadata: %v", err)
	}
	names := sf.Names()
	sort.Strings(names)
	weights := map[string][]float32{}
	for _, name := range names {
		tv, _ := sf.Tensor(name)
		if tv.DType() != safetensors.F32 {
			return nil, nil, fmt.Errorf("tensor %s is %s, want F32", name, tv.DType())
		}
		// The library checked that the shape's product, without overflow,
		// matches the data, which lies inside the file; so every dimension
		// fits an int.
		shape := make([]int, len(tv.Shape()))
		for i, d := range tv.Shape() {
			shape[i] = int(d)
		}
		raw := tv.Data()
		data := make([]float32, len(raw)/4)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			// A NaN or an infinity in a weight makes every distance NaN,
			// which a verdict would then read as "dissimilar".
			if v := float64(data[i]); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("tensor %s holds %v at index %d: the file is damaged, or the training that wrote it diverged", name, v, i)
			}
		}
		f.tensors[name], f.shapes[name] = data, shape
		if !strings.HasPrefix(name, optimPrefix) && !strings.HasPrefix(name, bestPrefix) {
			weights[name] = data
		}
	}
	net, err := network.FromWeights(meta.Spec, weights, f.shapes)
	if err != nil {
		return nil, nil, fmt.Errorf("tensors disagree with the metadata: %v", err)
	}
	return &Model{Meta: meta, Net: net}, f, nil
}

// readFileAtMost reads a whole file that is expected to be at most limit
// bytes, refusing one that has grown past it since it was measured.
func readFileAtMost(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(buf)) > limit {
		return nil, fmt.Errorf("file is larger than %d bytes", limit)
	}
	return buf, nil
}

// maxHeaderBytes is the safetensors library's bound on a header.
const maxHeaderBytes = 100_000_000

// framingProblem explains why buf is not a well-formed safetensors file,
// telling a truncated file from one that is something else entirely; err
// is what the safetensors library said.
func framingProblem(buf []byte, err error) string {
	if len(buf) < 8 {
		return fmt.Sprintf("not a safetensors file (only %d bytes)", len(buf))
	}
	n := binary.LittleEndian.Uint64(buf)
	looksLikeHeader := len(buf) > 8 && buf[8] == '{'
	if !looksLikeHeader {
		return "not a safetensors file (it does not start with a safetensors header)"
	}
	if n > maxHeaderBytes {
		return fmt.Sprintf("not a safetensors file (header length %d is implausible)", n)
	}
	if n > uint64(len(buf)-8) {
		return fmt.Sprintf("file is truncated: its header alone is %d bytes, the file has %d", n, len(buf))
	}
	// The header is complete: compare the data it describes with the data
	// present.
	var hdr map[string]json.RawMessage
	if json.Unmarshal(buf[8:8+n], &hdr) != nil {
		return fmt.Sprintf("not a safetensors file (%v)", err)
	}
	var end uint64
	for name, raw := range hdr {
		var t struct {
			Offsets []uint64 `json:"data_offsets"`
		}
		if name == "__metadata__" || json.Unmarshal(raw, &t) != nil || len(t.Offsets) != 2 {
			continue
		}
		end = max(end, t.Offsets[1])
	}
	if have := uint64(len(buf)) - 8 - n; end > have {
		return fmt.Sprintf("file is truncated: the tensors need %d bytes of data, the file has %d", end, have)
	}
	return fmt.Sprintf("damaged safetensors file (%v)", err)
}

// check validates what the metadata says before anything is built from it.
func (m *Meta) check() error {
	if err := CheckSpec(m.Spec, 1); err != nil {
		return fmt.Errorf("tower: %w", err)
	}
	if math.IsNaN(m.Threshold) || m.Threshold < 0 {
		return fmt.Errorf("threshold %g; a distance threshold is >= 0", m.Threshold)
	}
	if r := m.Spec.Resize; r != "" && !slices.Contains(dataset.ResizeModes(), r) {
		return fmt.Errorf("tower: unknown resize mode %q (valid: %s)", r, strings.Join(dataset.ResizeModes(), ", "))
	}
	return nil
}

// InferenceBatch is the largest batch of images siamese runs a tower on
// outside training, so every model must fit it (see CheckSpec).
const InferenceBatch = 256

// maxBatchValues is the most values one layer may hold for a whole batch:
// the network's max-pool refuses larger tensors (it tags window positions
// in the low bits of 32-bit keys), and a buffer that size is already 8 GiB.
const maxBatchValues = math.MaxInt32

// maxImageSize bounds the image side before any arithmetic on it, so that
// products of sizes cannot overflow.
const maxImageSize = 1 << 16

// CheckSpec reports whether a tower of spec fits the network's limits
// when run on batches of batch images, and on InferenceBatch images, as
// siamese does for validation, compare and eval: every layer's output, and
// every convolution's unfolded input, must hold at most 2^31-1 values per
// batch. It runs on sizes alone, so it costs nothing and allocates
// nothing, and it refuses up front what would otherwise fail only after
// minutes of loading, or exhaust memory.
func CheckSpec(s network.Spec, batch int) error {
	if s.Size < 1 || s.Size > maxImageSize {
		return fmt.Errorf("image size %d is outside 1 to %d", s.Size, maxImageSize)
	}
	shapes, params, err := s.Plan()
	if err != nil {
		return err
	}
	batch = max(batch, InferenceBatch)
	kernels := map[string][]int{}
	for _, p := range params {
		kernels[p.Name] = p.Shape
	}
	if err := checkValues("the input", values(s.Channels, s.Size, s.Size), batch); err != nil {
		return err
	}
	for i, out := range shapes {
		where := fmt.Sprintf("layer %d (%s)", i+1, s.Layers[i].Kind)
		if err := checkValues(where, values(out.C, out.H, out.W), batch); err != nil {
			return err
		}
		// A convolution unfolds its input into C·K·K values for each
		// output position (im2col).
		if w := kernels[fmt.Sprintf("layer%d.conv.weight", i)]; len(w) == 4 {
			if err := checkValues(where+" unfolded", values(w[1], w[2], w[3])*values(out.H, out.W, 1), batch); err != nil {
				return err
			}
		}
	}
	return nil
}

// values is the product a·b·c, in floating point so that it cannot
// overflow.
func values(a, b, c int) float64 { return float64(a) * float64(b) * float64(c) }

// checkValues checks that a batch of images of per values each fits
// maxBatchValues.
func checkValues(where string, per float64, batch int) error {
	if per*float64(batch) > maxBatchValues {
		return fmt.Errorf("%s holds %.4g values per image; a batch of %d would need %.4g, over the %d the network supports (use smaller images, fewer filters or a smaller batch)",
			where, per, batch, per*float64(batch), maxBatchValues)
	}
	return nil
}
