package main

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGEMMFrames says which stack frames make a sample a matrix
// product's.
func TestGEMMFrames(t *testing.T) {
	const l = "github.com/siamese-dev/siamese/internal/linalg."
	for _, tc := range []struct {
		fn   string
		want bool
	}{
		{l + "Gemm", true},
		{l + "gemm", true},
		{l + "ProductsReLUPool2x2Arg", true},
		{l + "productsReLUPool2x2ArgAVX512", false}, // a leaf: its caller marks it
		{l + "PooledGradProducts", true},
		{l + "ReLUMaxPool2x2RowsArg", false},
		{l + "GemmCold", false},
	} {
		if got := gemm.MatchString(tc.fn); got != tc.want {
			t.Errorf("%s: GEMM %v, want %v", tc.fn, got, tc.want)
		}
	}
}

// TestKindOf puts the leaf functions of the network's profiles in their
// kinds, the rules' order deciding where two match (a pooling kernel that
// applies a ReLU is pooling).
func TestKindOf(t *testing.T) {
	const l = "github.com/siamese-dev/siamese/internal/linalg."
	for _, tc := range []struct{ fn, want string }{
		{l + "winograd4InputAVX2", "Winograd transforms"},
		{l + "winogradS2OutputGradAVX2", "Winograd transforms"},
		{l + "Winograd4KernelGrad", "Winograd transforms"},
		{l + "toPlanes", "Winograd transforms"},
		{l + "copyRunsAVX2", "padded and unfolded copies"},
		{"github.com/siamese-dev/siamese/internal/network.im2rowCL", "padded and unfolded copies"},
		{l + "evensRowsAVX2", "padded and unfolded copies"},
		{l + "reluMaxPool2x2RowsArgGradAVX2", "pooling"},
		{l + "combineCentredRowsAVX2", "batch norm"},
		{l + "combineCentredReLURowsAVX2", "batch norm"}, // its ReLU is the batch norm's
		{l + "sumSquaresRowsAVX2", "batch norm"},
		{l + "passPositiveAVX2", "ReLU"},
		{l + "addReLUAVX2", "ReLU"},
		{l + "transposeAVX", "transposes"},
		{l + "addIntoAVX2", "sums of gradients"},
		{l + "adamStepAVX2", "optimizer"},
		{"runtime.memmove", "memmove and memclr"},
		{"runtime.futex", "Go runtime"},
		{"gorgonia.org/gorgonia.(*execOp).exec", "other"},
	} {
		if got := kindOf(tc.fn); got != tc.want {
			t.Errorf("kindOf(%s) = %q, want %q", tc.fn, got, tc.want)
		}
	}
}

// TestParseTraces splits a hand-made profile of eight samples, 1 s in
// all: 0.6 s under linalg.Gemm (one sample in the driver's kernels, one in
// Gemm's own checks), the rest by leaf.
func TestParseTraces(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "traces.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := parseTraces("traces.txt", f)
	if err != nil {
		t.Fatal(err)
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v s, want %v", what, got, want)
		}
	}
	near("all", s.Seconds, 1.0)
	near("GEMM", s.GEMM, 0.6)
	want := map[string]float64{
		"Winograd transforms":        0.15,
		"padded and unfolded copies": 0.15,
		"memmove and memclr":         0.04,
		"Go runtime":                 0.03,
		"other":                      0.03,
	}
	if len(s.Kinds) != len(want) {
		t.Errorf("kinds %v, want %v", s.Kinds, want)
	}
	for k, v := range want {
		near(k, s.Kinds[k], v)
	}
	near("copyRunsAVX2", s.Leaves["github.com/siamese-dev/siamese/internal/linalg.copyRunsAVX2"], 0.15)

	var out bytes.Buffer
	write(&out, []split{s}, 3)
	golden := filepath.Join("testdata", "split.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantOut, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(wantOut) {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), wantOut)
	}
}

// TestParseTracesRejects wants an error naming the profile for input that
// is not pprof's traces.
func TestParseTracesRejects(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "no samples"},
		{"header only", "File: x\nType: cpu\n", "no samples"},
		{"bad value", "-----------+---\n     tenms   runtime.futex\n", `"tenms" is not a duration`},
		{"no stack", "-----------+---\n     10ms\n", "a sample without a stack"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTraces("p.pprof", strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "p.pprof: ") {
				t.Fatalf("error %v, want one naming p.pprof and saying %q", err, tc.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"10ms", 0.01}, {"1.20s", 1.2}, {"500us", 5e-4}, {"500µs", 5e-4}, {"30ns", 3e-8},
	} {
		got, err := parseDuration(tc.in)
		if err != nil || math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "ms", "10", "10h", "x1s"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("parseDuration(%q) gave no error", bad)
		}
	}
}
