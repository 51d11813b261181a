package main

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/spf13/pflag"

	"github.com/siamese-dev/siamese/internal/train"
)

type derivedDefault struct {
	flag    string
	setup   string                      // YAML lines that make train derive the flag's default
	value   string                      // in the file; differs from the derived default
	derived float64                     // what train would put in its place
	cli     string                      // a value on the command line, which must win over the file
	used    func(train.Summary) float64 // the value the loop trained with
}

// derivedDefaults lists every train flag whose default train derives from
// other flags when it was not given (a `Changed("name")` check in the
// command). Each row sets the flag in a --config file to a value unlike the
// derived default and reads back what the training loop used. A new
// Changed check fails TestDerivedDefaultsListed until it has a row here.
var derivedDefaults = []derivedDefault{
	{"augment-shift", "augment: true", "3", 2, "0", func(s train.Summary) float64 { return s.Augment.Shift }},
	{"augment-rotate", "augment: true", "7", 10, "0", func(s train.Summary) float64 { return s.Augment.Rotate }},
	{"augment-brightness", "augment: true", "0.25", 0.1, "0", func(s train.Summary) float64 { return s.Augment.Brightness }},
	// With a time budget and no --epochs, the budget alone decides when
	// to stop; patience 1 keeps a failure of this row short.
	{"epochs", "time-budget: 1h\npatience: 1", "2", train.MaxBudgetEpochs, "1", func(s train.Summary) float64 { return float64(s.Epochs) }},
}

// notDerived lists the flags train checks with Changed for another reason
// than deriving a default, each with that reason and the test that covers it.
var notDerived = map[string]string{
	"augment":     "an explicit --augment=false clears every variation, also those a config sets (TestAugmentOffOverridesConfig)",
	"temperature": "an explicit --temperature 0 is refused (TestHostileFlags), where the Go API's 0 means the default",
}

// trainInProcess runs `siamese train` on testdata/digits for tiny epochs
// with the given extra arguments and returns its JSON summary.
func trainInProcess(t *testing.T, extra ...string) train.Summary {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"train", "--data", abs(t, digits), "--out", filepath.Join(dir, "m.safetensors"), "--json",
		"--pairs-per-epoch", "32", "--batch-size", "32", "--val-split", "0.25", "--test-split", "0.25", "--val-pairs", "16"}, extra...)
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("train %v: %v\n%s", extra, err, errb.String())
	}
	var s train.Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("train --json printed %q: %v", out.String(), err)
	}
	return s
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A value in the config file is the value trained with, not replaced by a
// default derived for flags that were not given; a flag on the command line
// still wins over the file.
func TestConfigKeepsDerivedDefaultFlags(t *testing.T) {
	for _, c := range derivedDefaults {
		t.Run(c.flag, func(t *testing.T) {
			yaml := c.setup + "\n" + c.flag + ": " + c.value + "\n"
			if c.flag != "epochs" {
				yaml += "epochs: 1\n"
			}
			cfg := writeConfig(t, yaml)
			want, err1 := strconv.ParseFloat(c.value, 64)
			cli, err2 := strconv.ParseFloat(c.cli, 64)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if got := c.used(trainInProcess(t, "--config", cfg)); got != want {
				t.Errorf("--config with %s: %s trained with %g, want %g from the file (%g is the derived default)", c.flag, c.value, got, want, c.derived)
			}
			if got := c.used(trainInProcess(t, "--config", cfg, "--"+c.flag, c.cli)); got != cli {
				t.Errorf("--%s %s on the command line: trained with %g, want %g (the command line wins over the file)", c.flag, c.cli, got, cli)
			}
		})
	}
}

// The rows of derivedDefaults are every flag train checks with Changed, read
// from the source so that a new check cannot be added without a test.
func TestDerivedDefaultsListed(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "train.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var checked []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		lit, isLit := call.Args[0].(*ast.BasicLit)
		if ok && isLit && sel.Sel.Name == "Changed" && lit.Kind == token.STRING {
			name, _ := strconv.Unquote(lit.Value)
			checked = append(checked, name)
		}
		return true
	})
	if len(checked) == 0 {
		t.Fatal("found no Changed(\"...\") check in train.go; has the derived-default code moved? update this test")
	}
	for _, name := range checked {
		if why, ok := notDerived[name]; ok {
			t.Logf("--%s is checked with Changed but derives no default: %s", name, why)
			continue
		}
		if !slices.ContainsFunc(derivedDefaults, func(r derivedDefault) bool { return r.flag == name }) {
			t.Errorf("train.go derives a default for --%s when it is not Changed: add a row for it to derivedDefaults", name)
		}
	}
}

// Every flag set from the file counts as given (pflag's Changed), whatever
// its type, so no command can mistake it for a default.
func TestConfigMarksEveryFlagChanged(t *testing.T) {
	cmd := newTrainCmd()
	var yaml bytes.Buffer
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "config" || f.Name == "help" {
			return
		}
		names = append(names, f.Name)
		yaml.WriteString(f.Name + ": " + strconv.Quote(f.DefValue) + "\n")
	})
	if _, err := applyConfig(cmd, writeConfig(t, yaml.String())); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			t.Errorf("--%s set from the config file but not marked as given", n)
		}
	}
}

// A config file's epochs (every preset has them) do not cut a
// command-line --time-budget short; --epochs on the command line, or in
// the same file as the budget, still caps it.
func TestTimeBudgetOverConfigEpochs(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		flags        []string
		capped       bool
	}{
		{"budget on the command line, epochs in the file", "epochs: 1\n", []string{"--time-budget", "1500ms"}, false},
		{"both on the command line", "", []string{"--time-budget", "1500ms", "--epochs", "1"}, true},
		{"both in the file", "epochs: 1\ntime-budget: 1500ms\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.flags
			if tc.config != "" {
				args = append(args, "--config", writeConfig(t, tc.config))
			}
			s := trainInProcess(t, args...)
			if capped := s.Epochs == 1; capped != tc.capped {
				t.Errorf("%d epochs; want the budget %s", s.Epochs, map[bool]string{true: "capped at 1 epoch", false: "to decide (more than 1)"}[tc.capped])
			}
		})
	}
}
