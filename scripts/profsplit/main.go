// Command profsplit splits CPU profiles of training steps into the time
// spent in matrix products and the work outside them, by kind: the split
// that issue 11's goal "work outside GEMM under 25% of a step" counts.
//
//	go run ./scripts/profsplit mnist.pprof photos.pprof
//	go run ./scripts/profsplit -json mnist.pprof
//
// The profiles are those of one-core step benchmarks, as
// scripts/bench-machine.sh records them, or as made by hand:
//
//	cd internal/network && go test -run '^$' -bench 'TrainStep$' -benchtime 300x -cpu 1 -cpuprofile mnist.pprof
//
// A sample counts as GEMM when linalg.Gemm or its driver linalg.gemm is
// anywhere on its stack, so the packing of operands and the driver count
// with the tile kernels.
// Every other sample is put in a kind by the function it was in (the leaf
// of its stack), by the rules of kinds below. It reads the profile through
// `go tool pprof -traces`, so it needs the Go toolchain that reads any
// profile, not the binary that wrote it.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// gemm marks a sample in a matrix product: linalg.Gemm, whose checks and
// choice of kernels count with it, and the driver, whose callees (packing,
// tile kernels) do; and the input layer's products that do the pooling
// on their accumulators (linalg.ProductsReLUPool2x2Arg) or route the
// pooled gradient in registers (linalg.PooledGradProducts): their
// multiply-adds are the GEMM's they replace, and the pooling or routing,
// about a fifth and a quarter of their instructions, counts with them.
var gemm = regexp.MustCompile(`/internal/linalg\.(gemm|Gemm|ProductsReLUPool2x2Arg|PooledGradProducts)$`)

// kinds are the kinds of work outside GEMM, each with the leaf functions it
// takes, tried in order; what none takes is "other".
var kinds = []struct {
	name string
	leaf *regexp.Regexp
}{
	{"Winograd transforms", regexp.MustCompile(`linalg\.(?i:winograd)\w*(Input|Output|Kernel)|linalg\.(toPlanes|fromPlanes)`)},
	{"padded and unfolded copies", regexp.MustCompile(`(?i)copyRuns|addRuns|im2col|col2im|im2row|row2im|evensRows`)},
	{"pooling", regexp.MustCompile(`(?i)pool|maxRuns|routeRuns`)},
	{"batch norm", regexp.MustCompile(`(?i)centred\w*Rows|sumRows|sumSquaresRows|batchNorm|bnGeometry`)},
	{"ReLU", regexp.MustCompile(`(?i)relu|passPositive`)},
	{"transposes", regexp.MustCompile(`(?i)transpose`)},
	{"sums of gradients", regexp.MustCompile(`linalg\.(add|Add)\w*$`)},
	{"optimizer", regexp.MustCompile(`(?i)adam`)},
	{"memmove and memclr", regexp.MustCompile(`^runtime\.mem(move|clr)`)},
	{"Go runtime", regexp.MustCompile(`^runtime\.`)},
}

// split is one profile's samples: seconds in all, in GEMM, and outside
// GEMM by kind.
type split struct {
	Profile string             `json:"profile"`
	Seconds float64            `json:"seconds"`
	GEMM    float64            `json:"gemm_seconds"`
	Kinds   map[string]float64 `json:"outside_seconds"`
	Leaves  map[string]float64 `json:"-"` // outside GEMM, by leaf function
}

// kindOf is the kind of work of a sample outside GEMM whose leaf function
// is fn.
func kindOf(fn string) string {
	for _, k := range kinds {
		if k.leaf.MatchString(fn) {
			return k.name
		}
	}
	return "other"
}

// parseTraces reads the output of `go tool pprof -traces`: blocks between
// dashed lines, each a sample's time and its stack from the leaf down.
func parseTraces(name string, r io.Reader) (split, error) {
	s := split{Profile: name, Kinds: map[string]float64{}, Leaves: map[string]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var value float64
	var stack []string
	flush := func() {
		if stack == nil {
			return
		}
		s.Seconds += value
		inGEMM := false
		for _, f := range stack {
			inGEMM = inGEMM || gemm.MatchString(f)
		}
		if inGEMM {
			s.GEMM += value
		} else {
			s.Kinds[kindOf(stack[0])] += value
			s.Leaves[stack[0]] += value
		}
		stack = nil
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || (stack == nil && !strings.HasPrefix(line, " ")) {
			continue // the header: File, Type, Duration...
		}
		if stack == nil {
			if len(fields) < 2 {
				return s, fmt.Errorf("%s: a sample without a stack: %q", name, line)
			}
			v, err := parseDuration(fields[0])
			if err != nil {
				return s, fmt.Errorf("%s: %w", name, err)
			}
			value, fields = v, fields[1:]
		}
		stack = append(stack, fields[0]) // drop " (inline)"
	}
	flush()
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("%s: %w", name, err)
	}
	if s.Seconds == 0 {
		return s, fmt.Errorf("%s: no samples", name)
	}
	return s, nil
}

// parseDuration reads pprof's sample values: 10ms, 1.20s, 500us.
func parseDuration(v string) (float64, error) {
	for _, u := range []struct {
		suffix string
		scale  float64
	}{{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}} {
		if num, ok := strings.CutSuffix(v, u.suffix); ok {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				break
			}
			return f * u.scale, nil
		}
	}
	return 0, fmt.Errorf("sample value %q is not a duration", v)
}

// write prints the splits as a table of shares, and under each the
// leaf functions outside GEMM that took the most samples.
func write(w io.Writer, splits []split, leaves int) {
	for _, s := range splits {
		fmt.Fprintf(w, "%s: %.2f s sampled, GEMM %.1f%%, outside GEMM %.1f%%\n",
			s.Profile, s.Seconds, 100*s.GEMM/s.Seconds, 100*(s.Seconds-s.GEMM)/s.Seconds)
		names := make([]string, 0, len(kinds)+1)
		for _, k := range kinds {
			names = append(names, k.name)
		}
		for _, n := range append(names, "other") {
			if v := s.Kinds[n]; v > 0 {
				fmt.Fprintf(w, "  %-28s %5.1f%%\n", n, 100*v/s.Seconds)
			}
		}
		fns := slices.Collect(maps.Keys(s.Leaves))
		slices.SortFunc(fns, func(a, b string) int {
			return cmp.Or(cmp.Compare(s.Leaves[b], s.Leaves[a]), strings.Compare(a, b))
		})
		for _, fn := range fns[:min(leaves, len(fns))] {
			fmt.Fprintf(w, "    %5.1f%%  %s (%s)\n", 100*s.Leaves[fn]/s.Seconds, fn, kindOf(fn))
		}
	}
}

func main() {
	asJSON := flag.Bool("json", false, "print the splits as JSON, in seconds")
	leaves := flag.Int("leaves", 0, "list this many of the leaf functions outside GEMM that took the most samples")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/profsplit [-json] [-leaves N] PROFILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var splits []split
	for _, p := range flag.Args() {
		out, err := exec.Command("go", "tool", "pprof", "-traces", p).Output()
		if err != nil {
			msg := err.Error()
			if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
				msg = strings.TrimSpace(strings.SplitN(string(ee.Stderr), "\n", 2)[0])
				msg = strings.TrimPrefix(msg, p+": ") // pprof names the file too
			}
			fmt.Fprintf(os.Stderr, "profsplit: %s: %s\n", p, msg)
			os.Exit(1)
		}
		s, err := parseTraces(p, bytes.NewReader(out))
		if err != nil {
			fmt.Fprintf(os.Stderr, "profsplit: %v\n", err)
			os.Exit(1)
		}
		splits = append(splits, s)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(splits); err != nil {
			fmt.Fprintf(os.Stderr, "profsplit: %v\n", err)
			os.Exit(1)
		}
		return
	}
	write(os.Stdout, splits, *leaves)
}
