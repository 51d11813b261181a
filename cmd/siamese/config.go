package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/siamese-dev/siamese/internal/network"
)

// layerKeys are the keys a layer entry of a config file may have.
var layerKeys = map[string]bool{"kind": true, "filters": true, "kernel": true, "pad": true, "size": true, "units": true}

// applyConfig reads a YAML run configuration whose keys are the command's
// long flag names (plus "layers") and sets every flag that was not given on
// the command line, so flags win over the file. It returns the layers, nil
// if the file has none.
func applyConfig(cmd *cobra.Command, path string) ([]network.Layer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, unwrapPathErr(err))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, nil // empty file
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config %s line %d: want a mapping of flag names to values", path, top.Line)
	}
	var layers []network.Layer
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		at := fmt.Sprintf("config %s line %d", path, k.Line)
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
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: %s wants a single value", at, k.Value)
		}
		if f.Changed {
			continue
		}
		if err := f.Value.Set(v.Value); err != nil {
			return nil, fmt.Errorf("%s: %s: invalid value %q (want %s)", at, k.Value, v.Value, f.Value.Type())
		}
	}
	return layers, nil
}

func decodeLayers(path string, v *yaml.Node) ([]network.Layer, error) {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return nil, fmt.Errorf("config %s line %d: layers wants a non-empty list of {kind: ...} entries", path, v.Line)
	}
	for _, l := range v.Content {
		if l.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("config %s line %d: a layer is a mapping like {kind: conv, filters: 32}", path, l.Line)
		}
		for j := 0; j+1 < len(l.Content); j += 2 {
			if key := l.Content[j]; !layerKeys[key.Value] {
				valid := make([]string, 0, len(layerKeys))
				for k := range layerKeys {
					valid = append(valid, k)
				}
				sort.Strings(valid)
				return nil, fmt.Errorf("config %s line %d: unknown layer key %q (valid: %s)", path, key.Line, key.Value, strings.Join(valid, ", "))
			}
		}
	}
	var layers []network.Layer
	if err := v.Decode(&layers); err != nil {
		return nil, fmt.Errorf("config %s: layers: %v", path, strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "))
	}
	return layers, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
