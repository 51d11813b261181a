package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/network"
)

// maxConfigBytes bounds what --config reads: a run configuration is a few
// lines, so anything this large is the wrong file.
const maxConfigBytes = 1 << 20

// applyConfig reads a YAML run configuration whose keys are the command's
// long flag names (plus "layers") and sets every flag that was not given on
// the command line, so flags win over the file. Every value is checked,
// including those the command line overrides, so a mistake in the file is
// found the first time it is used. Errors name the file and the line. It
// returns the layers, nil if the file has none.
func applyConfig(cmd *cobra.Command, path string) ([]network.Layer, error) {
	top, err := readConfig(path)
	if err != nil || top == nil {
		return nil, err
	}
	var layers []network.Layer
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		at := fmt.Sprintf("config %s line %d", path, k.Line)
		if first, dup := seen[k.Value]; dup {
			return nil, fmt.Errorf("%s: %s is set twice (first on line %d)", at, k.Value, first)
		}
		seen[k.Value] = k.Line
		if k.Value == "layers" {
			if layers, err = decodeLayers(path, v); err != nil {
				return nil, err
			}
			continue
		}
		f := cmd.Flags().Lookup(k.Value)
		if f == nil || k.Value == "config" || k.Value == "help" {
			return nil, fmt.Errorf("%s: unknown key %q (keys are the long flag names of `siamese %s`, and layers)", at, k.Value, cmd.Name())
		}
		if err := setFlag(cmd.Flags(), f, v); err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
	}
	if layers != nil {
		if err := planLayers(cmd, path, top, layers); err != nil {
			return nil, err
		}
	}
	return layers, nil
}

// readConfig parses the file and returns its top-level mapping, nil for an
// empty file.
func readConfig(path string) (*yaml.Node, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, unwrapPathErr(err))
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, unwrapPathErr(err))
	}
	if len(raw) > maxConfigBytes {
		return nil, fmt.Errorf("config %s: larger than %d bytes; a run configuration is a few lines", path, maxConfigBytes)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // empty file
		}
		return nil, yamlError(path, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil && len(next.Content) > 0 {
			line = next.Content[0].Line
		}
		return nil, fmt.Errorf("config %s line %d: a second YAML document ('---'); put every setting in one", path, line)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config %s line %d: want a mapping of flag names to values", path, top.Line)
	}
	return top, nil
}

// yamlLine matches the "line N: " that yaml puts before a problem.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?(?:unmarshal errors:\s*)?line (\d+): `)

// yamlError makes a one-line message from a yaml error, which may list
// several problems on several lines: the first is enough to fix.
func yamlError(path string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg, _, _ = strings.Cut(strings.TrimSpace(msg), "\n")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("config %s line %s: %s", path, m[1], msg[len(m[0]):])
	}
	return fmt.Errorf("config %s: %s", path, strings.TrimPrefix(msg, "yaml: "))
}

// setFlag sets flag f of fs from the YAML value v, or, when the command
// line has set it already, only checks that v would be a valid value.
//
// A value from the file counts as given: it goes through fs.Set, which marks
// the flag Changed, because commands derive defaults from flags that were
// not given (train's --augment sets --augment-shift to 2 unless it was
// given), and a value from the file must not be replaced by such a default.
func setFlag(fs *pflag.FlagSet, f *pflag.Flag, v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s wants a single value", f.Name)
	}
	if v.Tag == "!!null" {
		return fmt.Errorf("%s has no value", f.Name)
	}
	invalid := func() error {
		return fmt.Errorf("%s: invalid value %q (want %s)", f.Name, v.Value, typeName(f.Value.Type()))
	}
	if !f.Changed {
		if err := fs.Set(f.Name, v.Value); err != nil {
			return invalid()
		}
		return nil
	}
	// The command line wins. Every scalar flag prints its value in a form
	// it parses back exactly, so this restores it after the check.
	old := f.Value.String()
	if err := f.Value.Set(v.Value); err != nil {
		return invalid()
	}
	if err := f.Value.Set(old); err != nil {
		return fmt.Errorf("%s: restore command-line value %q: %w", f.Name, old, err)
	}
	return nil
}

// typeName says in words what a flag of pflag type t accepts.
func typeName(t string) string {
	switch t {
	case "int", "int64", "int32":
		return "an integer"
	case "uint", "uint64", "uint32":
		return "an integer >= 0"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "true or false"
	case "duration":
		return "a duration such as 30s"
	}
	return t
}

// layerFields maps the YAML keys of a layer to the fields of
// network.Layer, read from its struct tags so that a new layer setting is
// accepted without touching this file.
func layerFields() map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	t := reflect.TypeFor[network.Layer]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = f
		}
	}
	return fields
}

// decodeLayers reads the layers list, checking every key and the type of
// every value so that a mistake is reported at its line.
func decodeLayers(path string, v *yaml.Node) ([]network.Layer, error) {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return nil, fmt.Errorf("config %s line %d: layers wants a non-empty list of {kind: ...} entries", path, v.Line)
	}
	fields := layerFields()
	valid := make([]string, 0, len(fields))
	for k := range fields {
		valid = append(valid, k)
	}
	slices.Sort(valid)
	layers := make([]network.Layer, len(v.Content))
	for i, l := range v.Content {
		if l.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("config %s line %d: layer %d: a layer is a mapping like {kind: conv, filters: 32}", path, l.Line, i+1)
		}
		dst := reflect.ValueOf(&layers[i]).Elem()
		for j := 0; j+1 < len(l.Content); j += 2 {
			key, val := l.Content[j], l.Content[j+1]
			at := fmt.Sprintf("config %s line %d: layer %d", path, key.Line, i+1)
			f, ok := fields[key.Value]
			if !ok {
				return nil, fmt.Errorf("%s: unknown layer key %q (valid: %s)", at, key.Value, strings.Join(valid, ", "))
			}
			if val.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s: %s wants a single value", at, key.Value)
			}
			if val.Tag == "!!null" {
				return nil, fmt.Errorf("%s: %s has no value", at, key.Value)
			}
			ptr := reflect.New(f.Type)
			if err := val.Decode(ptr.Interface()); err != nil {
				want := f.Type
				if want.Kind() == reflect.Pointer {
					want = want.Elem()
				}
				return nil, fmt.Errorf("%s: %s: invalid value %q (want %s)", at, key.Value, val.Value, typeName(want.String()))
			}
			dst.FieldByIndex(f.Index).Set(ptr.Elem())
		}
	}
	return layers, nil
}

// layerIndex finds the 1-based layer number that network.Spec.Plan puts
// at the start of its errors.
var layerIndex = regexp.MustCompile(`^layer (\d+) \(`)

// planLayers checks the layers against the image size and channels the
// flags now hold, so that a bad layer is reported at its line in the file.
// A problem with the size or channels themselves is left to the trainer,
// which reports it by flag name.
//
// With --size auto the size comes from the data later, within
// dataset.MaxAutoSize; a layer that cannot work at that largest size cannot
// work at any, so the layers are checked at it. With --channels auto, at 1:
// no layer's validity depends on the channels.
func planLayers(cmd *cobra.Command, path string, top *yaml.Node, layers []network.Layer) error {
	sizeFlag, channelsFlag := flagValue(cmd, "size"), flagValue(cmd, "channels")
	if sizeFlag == "auto" {
		sizeFlag = strconv.Itoa(dataset.MaxAutoSize)
	}
	if channelsFlag == "auto" {
		channelsFlag = "1"
	}
	size, err1 := strconv.Atoi(sizeFlag)
	channels, err2 := strconv.Atoi(channelsFlag)
	if err1 != nil || err2 != nil {
		return nil
	}
	_, _, err := network.Spec{Size: size, Channels: channels, Layers: layers}.Plan()
	if err == nil {
		return nil
	}
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "layers" {
			list = top.Content[i+1]
		}
	}
	if errors.Is(err, network.ErrNoWeights) && list != nil {
		return fmt.Errorf("config %s line %d: layers: %w", path, list.Line, err)
	}
	m := layerIndex.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	n, _ := strconv.Atoi(m[1])
	if list == nil || n < 1 || n > len(list.Content) {
		return fmt.Errorf("config %s: layers: %w", path, err)
	}
	return fmt.Errorf("config %s line %d: %w", path, list.Content[n-1].Line, err)
}

func flagValue(cmd *cobra.Command, name string) string {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
