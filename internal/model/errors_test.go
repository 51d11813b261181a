package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siamese-dev/siamese/internal/network"
)

// tinySpec is a tower small enough to write by hand: 4×4 gray images, one
// dense layer of 2 units, so weights [16 2] and bias [2].
func tinySpec() network.Spec {
	return network.Spec{Size: 4, Channels: 1, Layers: []network.Layer{{Kind: network.KindDense, Units: 2}}}
}

func tinyMeta(t testing.TB) string {
	t.Helper()
	b, err := json.Marshal(Meta{Spec: tinySpec(), Loss: LossInfo{Name: "contrastive", Margin: 1}, Threshold: 0.5,
		Classes: []string{"a", "b"}, Split: SplitInfo{Data: "d", Seed: 1, Val: 0.1, Test: 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tensor is one entry of a hand-made safetensors header.
type tensor struct {
	name  string
	dtype string
	shape []uint64
	bytes int
}

// rawSafetensors lays out a safetensors file by hand, so tests can write
// files that Save never would; data is filled with zeros.
func rawSafetensors(t testing.TB, meta map[string]string, tensors ...tensor) []byte {
	t.Helper()
	hdr := map[string]any{}
	if meta != nil {
		hdr["__metadata__"] = meta
	}
	off := 0
	for _, x := range tensors {
		hdr[x.name] = map[string]any{"dtype": x.dtype, "shape": x.shape, "data_offsets": []int{off, off + x.bytes}}
		off += x.bytes
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(h)))
	b.Write(h)
	b.Write(make([]byte, off))
	return b.Bytes()
}

// Tensors are laid out in the order given; the library wants them sorted
// by offset, which rawSafetensors gives, and by name for the same offset.
func tinyTensors() []tensor {
	return []tensor{
		{"layer0.dense.weight", "F32", []uint64{16, 2}, 128},
		{"layer0.dense.bias", "F32", []uint64{2}, 8},
	}
}

// withFloat returns a copy of the safetensors file b with the i-th float
// of its data (the tensors laid end to end) set to v.
func withFloat(b []byte, i int, v float32) []byte {
	b = append([]byte(nil), b...)
	data := 8 + int(binary.LittleEndian.Uint64(b))
	binary.LittleEndian.PutUint32(b[data+4*i:], math.Float32bits(v))
	return b
}

func ours(t testing.TB, meta string) map[string]string {
	return map[string]string{"format": FormatVersion, "siamese": meta}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := rawSafetensors(t, ours(t, tinyMeta(t)), tinyTensors()...)
	withMeta := func(edit func(m *Meta)) []byte {
		var m Meta
		json.Unmarshal([]byte(tinyMeta(t)), &m)
		edit(&m)
		b, _ := json.Marshal(m)
		return rawSafetensors(t, ours(t, string(b)), tinyTensors()...)
	}
	huge := tinySpec()
	huge.Size = 1 << 20 // an int on 32-bit targets too
	wide := network.Spec{Size: 3000, Channels: 1, Layers: []network.Layer{{Kind: network.KindMaxPool, Size: 3000}, {Kind: network.KindDense, Units: 2}}}
	pngMagic := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

	tests := []struct {
		name string
		data []byte // nil: no file
		want string
	}{
		{"missing", nil, "no such file (train one with `siamese train`, or pass --model)"},
		{"empty", []byte{}, "empty file"},
		{"five bytes", []byte("hello"), "not a safetensors file (only 5 bytes)"},
		{"png", pngMagic, "not a safetensors file (it does not start with a safetensors header)"},
		{"absurd header length", append(binary.LittleEndian.AppendUint64(nil, 1<<62), '{', '}'), "not a safetensors file (header length 4611686018427387904 is implausible)"},
		{"truncated header", good[:40], fmt.Sprintf("file is truncated: its header alone is %d bytes, the file has 40", binary.LittleEndian.Uint64(good))},
		{"truncated data", good[:len(good)-10], "file is truncated: the tensors need 136 bytes of data, the file has 126"},
		{"trailing bytes", append(append([]byte(nil), good...), 0, 0, 0, 0), "damaged safetensors file (metadata incomplete buffer)"},
		{"other program", rawSafetensors(t, map[string]string{"format": "pt"}, tinyTensors()...), `a safetensors file from another program: no "siamese/1" format metadata`},
		{"no metadata", rawSafetensors(t, nil, tinyTensors()...), `a safetensors file from another program`},
		{"future format", rawSafetensors(t, map[string]string{"format": "siamese/9", "siamese": "{}"}, tinyTensors()...), "format siamese/9; this siamese reads siamese/1"},
		{"bad json", rawSafetensors(t, ours(t, "{not json"), tinyTensors()...), "bad siamese metadata: invalid character"},
		{"negative threshold", withMeta(func(m *Meta) { m.Threshold = -1 }), "bad siamese metadata: threshold -1; a distance threshold is >= 0"},
		{"unknown resize", withMeta(func(m *Meta) { m.Spec.Resize = "zoom" }), `bad siamese metadata: tower: unknown resize mode "zoom" (valid: squash, crop, pad)`},
		{"huge image size", withMeta(func(m *Meta) { m.Spec = huge }), "bad siamese metadata: tower: image size 1048576 is outside 1 to 65536"},
		{"huge activations", withMeta(func(m *Meta) { m.Spec = wide }), "bad siamese metadata: tower: the input holds 9e+06 values per image; a batch of 256 would need 2.304e+09"},
		{"unknown layer", withMeta(func(m *Meta) { m.Spec.Layers[0].Kind = "attention" }), `bad siamese metadata: tower: layer 1 (attention): unknown layer kind "attention"`},
		{"f16 tensor", rawSafetensors(t, ours(t, tinyMeta(t)), tensor{"layer0.dense.weight", "F16", []uint64{16, 2}, 64}, tinyTensors()[1]),
			"tensor layer0.dense.weight is F16, want F32"},
		{"shape disagrees", rawSafetensors(t, ours(t, tinyMeta(t)), tensor{"layer0.dense.weight", "F32", []uint64{8, 4}, 128}, tinyTensors()[1]),
			"tensors disagree with the metadata: weight tensor layer0.dense.weight has shape [8 4], the layers need [16 2]"},
		{"tensor missing", rawSafetensors(t, ours(t, tinyMeta(t)), tinyTensors()[0]), "tensors disagree with the metadata: have 1 weight tensors, the layers need 2"},
		{"tensor renamed", rawSafetensors(t, ours(t, tinyMeta(t)), tinyTensors()[0], tensor{"layer0.dense.b", "F32", []uint64{2}, 8}),
			"tensors disagree with the metadata: weight tensor layer0.dense.bias is missing"},
		{"NaN weight", withFloat(good, 3, float32(math.NaN())), "tensor layer0.dense.weight holds NaN at index 3: the file is damaged, or the training that wrote it diverged"},
		{"infinite bias", withFloat(good, 32+1, float32(math.Inf(-1))), "tensor layer0.dense.bias holds -Inf at index 1"},
		{"shape overflows", rawSafetensors(t, ours(t, tinyMeta(t)), tensor{"layer0.dense.weight", "F32", []uint64{1 << 62, 8}, 128}, tinyTensors()[1]),
			"damaged safetensors file (metadata validation error: failed to compute num elements from shape: multiplication overflow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".safetensors")
			if tt.data != nil {
				if err := os.WriteFile(path, tt.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(path)
			want := "load model " + path + ": " + tt.want
			if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Load error = %v\nwant one line starting %q", err, want)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing.safetensors")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not match fs.ErrNotExist", err)
	}
	if _, err := Load(dir); err == nil || !strings.HasSuffix(err.Error(), "is a folder, not a model file") {
		t.Errorf("Load(folder) error = %v", err)
	}
	// The hand-made file itself is fine, so the cases above fail for the
	// reason they name.
	path := filepath.Join(dir, "good.safetensors")
	os.WriteFile(path, good, 0o644)
	if m, err := Load(path); err != nil || len(m.Net.Params) != 2 {
		t.Fatalf("Load(good) = %v, %v", m, err)
	}
}

func TestLoadCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	good := rawSafetensors(t, ours(t, tinyMeta(t)), tinyTensors()...)
	withState := func(state string) []byte {
		m := ours(t, tinyMeta(t))
		m["checkpoint"] = state
		return rawSafetensors(t, m, tinyTensors()...)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"missing", nil, "no such file, so there is nothing to resume"},
		{"finished model", good, "a finished model, not a checkpoint"},
		{"bad state", withState("[1,2]"), "bad checkpoint metadata: json: cannot unmarshal array"},
		{"epoch 0", withState(`{"epoch":0}`), "bad checkpoint metadata: epoch 0, best epoch 0, 0 pairs"},
		{"best after last", withState(`{"epoch":2,"best_epoch":3}`), "bad checkpoint metadata: epoch 2, best epoch 3, 0 pairs"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".safetensors")
		if tt.data != nil {
			os.WriteFile(path, tt.data, 0o644)
		}
		_, err := LoadCheckpoint(path)
		want := "load checkpoint " + path + ": " + tt.want
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error = %v\nwant %q", tt.name, err, want)
		}
	}
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	net, err := network.New(tinySpec(), 1)
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Net: net, Meta: Meta{Spec: tinySpec(), Threshold: 0.5, Loss: LossInfo{Name: "contrastive", Margin: 1}}}
	if err := Save(path, m); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)

	// The disk fills up half-way through the new file.
	full := errors.New("no space left on device")
	err = writeAtomic(path, func(w io.Writer) error {
		w.Write(old[:len(old)/2])
		return full
	})
	if !errors.Is(err, full) || err.Error() != "save "+path+": no space left on device" {
		t.Errorf("failed write: error %v", err)
	}
	now, _ := os.ReadFile(path)
	if !bytes.Equal(now, old) {
		t.Error("a failed write changed the existing model")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed write left %d files in the folder, want only the model", len(entries))
	}
	if _, err := Load(path); err != nil {
		t.Errorf("old model no longer loads: %v", err)
	}

	// A complete write replaces the file.
	m.Meta.Threshold = 0.25
	if err := Save(path, m); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(path); err != nil || got.Meta.Threshold != 0.25 {
		t.Errorf("after a good save: threshold %v, %v", got.Meta.Threshold, err)
	}

	for _, tt := range []struct{ path, want string }{
		{filepath.Join(dir, "no", "m.safetensors"), "folder " + filepath.Join(dir, "no") + " does not exist"},
		{dir, "is a folder"},
		{filepath.Join(path, "m.safetensors"), path + " is not a folder"},
	} {
		err := Save(tt.path, m)
		if want := "save " + tt.path + ": " + tt.want; err == nil || err.Error() != want {
			t.Errorf("Save(%s) error = %v, want %q", tt.path, err, want)
		}
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	tests := []struct {
		path string
		want string // "" for no error
	}{
		{filepath.Join(dir, "m.safetensors"), ""},
		{file, ""}, // an existing file is replaced
		{"", `"": empty file name`},
		{dir, dir + " is a folder; name a file such as " + filepath.Join(dir, "siamese.safetensors")},
		{filepath.Join(dir, "x", "m.safetensors"), filepath.Join(dir, "x", "m.safetensors") + ": folder " + filepath.Join(dir, "x") + " does not exist"},
		{filepath.Join(file, "m.safetensors"), filepath.Join(file, "m.safetensors") + ": " + file + " is not a folder"},
	}
	for _, tt := range tests {
		err := CheckWritable(tt.path)
		if (tt.want == "" && err != nil) || (tt.want != "" && (err == nil || err.Error() != tt.want)) {
			t.Errorf("CheckWritable(%q) = %v, want %q", tt.path, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("CheckWritable left %d entries, want only f", len(entries))
	}
}

func TestCheckSpec(t *testing.T) {
	// A tower whose activations are the input's size: the input is the
	// largest tensor. (It needs a layer with weights to be a tower.)
	relu := []network.Layer{{Kind: network.KindReLU}, {Kind: network.KindBatchNorm}}
	conv := func(filters, kernel int) []network.Layer {
		return []network.Layer{{Kind: network.KindConv, Filters: filters, Kernel: kernel}}
	}
	// The limit is 2^31-1 values per layer per batch, and every tower must
	// take a batch of 256: 2147483647/256 = 8388607.99, so one gray image
	// may have up to 8388607 values. 2896² = 8386816 fits, 2897² = 8392609
	// does not.
	tests := []struct {
		name  string
		spec  network.Spec
		batch int
		want  string // "" for no error
	}{
		{"default tower", network.Spec{Size: 28, Channels: 1, Layers: network.DefaultLayers()}, 64, ""},
		{"largest input", network.Spec{Size: 2896, Channels: 1, Layers: relu}, 1, ""},
		{"input one row too big", network.Spec{Size: 2897, Channels: 1, Layers: relu}, 1,
			"the input holds 8.393e+06 values per image; a batch of 256 would need 2.149e+09, over the 2147483647"},
		// With a training batch of 1000 the limit is 2147483 values per
		// image: 1465² = 2146225 fits, 1466² = 2149156 does not.
		{"batch 1000 fits", network.Spec{Size: 1465, Channels: 1, Layers: relu}, 1000, ""},
		{"batch 1000 too big", network.Spec{Size: 1466, Channels: 1, Layers: relu}, 1000,
			"the input holds 2.149e+06 values per image; a batch of 1000 would need 2.149e+09"},
		// 1×1 kernels unfold to no more than their input; 4 filters keep
		// 4·1400² = 7840000 values, under 8388607, and 5 give
		// 9800000.
		{"layer output fits", network.Spec{Size: 1400, Channels: 1, Layers: conv(4, 1)}, 1, ""},
		{"layer output too big", network.Spec{Size: 1400, Channels: 1, Layers: conv(5, 1)}, 1,
			"layer 1 (conv) holds 9.8e+06 values per image"},
		// One filter but a 29×29 kernel over 100×100: the unfolded input
		// is 29·29·100·100 = 8410000 values per image, over 8388607; a
		// 27×27 kernel unfolds to 7290000.
		{"unfolded fits", network.Spec{Size: 100, Channels: 1, Layers: conv(1, 27)}, 1, ""},
		{"unfolded too big", network.Spec{Size: 100, Channels: 1, Layers: conv(1, 29)}, 1,
			"layer 1 (conv) unfolded holds 8.41e+06 values per image"},
		// The default tower's tightest layer is its second convolution,
		// which unfolds 32 channels of ⌊W/2⌋² positions with a 3×3 kernel:
		// 288·170² = 8323200 fits, 288·171² = 8421408 does not.
		{"default tower at 341", network.Spec{Size: 341, Channels: 1, Layers: network.DefaultLayers()}, 1, ""},
		{"default tower at 342", network.Spec{Size: 342, Channels: 1, Layers: network.DefaultLayers()}, 1,
			"layer 4 (conv) unfolded holds 8.421e+06 values per image"},
		{"size zero", network.Spec{Size: 0, Channels: 1, Layers: relu}, 1, "image size 0 is outside 1 to 65536"},
		{"size overflows", network.Spec{Size: math.MaxInt, Channels: 1, Layers: relu}, 1, fmt.Sprintf("image size %d is outside 1 to 65536", math.MaxInt)},
		{"bad channels", network.Spec{Size: 8, Channels: 2, Layers: relu}, 1, "channels must be 1 or 3, got 2"},
	}
	for _, tt := range tests {
		err := CheckSpec(tt.spec, tt.batch)
		if (tt.want == "" && err != nil) || (tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want))) {
			t.Errorf("%s: CheckSpec = %v, want %q", tt.name, err, tt.want)
		}
	}
}
