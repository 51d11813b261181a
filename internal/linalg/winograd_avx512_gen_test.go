//go:build amd64 && !purego

package linalg

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
)

var updateAVX512 = flag.Bool("update-avx512", false, "rewrite the generated AVX-512 Winograd kernels from the AVX2 ones")

// winogradAVX512Files maps each AVX2 source of the Winograd tile kernels
// to its generated AVX-512 twin.
var winogradAVX512Files = [][2]string{
	{"winograd_amd64.h", "winograd_avx512_amd64.h"},
	{"winograd_amd64.s", "winograd_avx512_amd64.s"},
	{"winograd4_amd64.h", "winograd4_avx512_amd64.h"},
	{"winograd4_amd64.s", "winograd4_avx512_amd64.s"},
	{"winograd_s2_amd64.s", "winograd_s2_avx512_amd64.s"},
}

// widenWinograd turns an AVX2 Winograd source into its AVX-512 twin: the
// same instructions on ZMM registers, 16 channels a block instead of 8,
// the stack tile's entries 64 bytes apart, and the two instructions that
// have no ZMM form with a vector destination replaced (VXORPS needs
// AVX512DQ, VPXORD does the same on AVX512F; VPCMPEQD writes a mask
// register, VPTERNLOGD $0xff sets all ones). The arithmetic is unchanged,
// lane by lane, so the twins agree with the Go forms to the bit, as the
// AVX2 kernels do.
func widenWinograd(src []byte, from string) []byte {
	rules := []struct {
		re   *regexp.Regexp
		repl string
	}{
		{regexp.MustCompile(`VPCMPEQD (Y\d+), Y\d+, Y\d+`), `VPTERNLOGD $$0xff, $1, $1, $1`},
		{regexp.MustCompile(`\bY(\d+)\b`), `Z$1`},
		{regexp.MustCompile(`\bVXORPS `), `VPXORD `},
		{regexp.MustCompile(`(\w+)AVX2\(SB\)`), `${1}AVX512(SB)`},
		{regexp.MustCompile(`(func \w+)AVX2\(`), `${1}AVX512(`},
		{regexp.MustCompile(`#include "(winograd4?)_amd64.h"`), `#include "${1}_avx512_amd64.h"`},
		{regexp.MustCompile(`ADDQ \$32, (SI|DI)\b`), `ADDQ $$64, $1`},
		{regexp.MustCompile(`\(32\*\(e\)\)\(SP\)`), `(64*(e))(SP)`},
		{regexp.MustCompile(`32-byte vectors`), `64-byte vectors`},
	}
	out := src
	for _, r := range rules {
		out = r.re.ReplaceAll(out, []byte(r.repl))
	}
	// Frames hold the stack tile: twice the bytes.
	frame := regexp.MustCompile(`\$(\d+)-48`)
	out = frame.ReplaceAllFunc(out, func(m []byte) []byte {
		n, _ := strconv.Atoi(string(frame.FindSubmatch(m)[1]))
		return []byte(fmt.Sprintf("$%d-48", 2*n))
	})
	head := fmt.Sprintf("// Code generated from %s by widenWinograd (winograd_avx512_gen_test.go,\n"+
		"// go test -run TestWinogradAVX512Generated -update-avx512); DO NOT EDIT.\n"+
		"// The AVX2 kernels on ZMM registers: 16 channels a block, c a multiple of 16.\n\n", from)
	return append([]byte(head), out...)
}

// TestWinogradAVX512Generated checks that the AVX-512 Winograd kernels are
// what widenWinograd makes of the AVX2 ones, so that a change to one
// reaches the other.
func TestWinogradAVX512Generated(t *testing.T) {
	for _, f := range winogradAVX512Files {
		src, err := os.ReadFile(f[0])
		if err != nil {
			t.Fatal(err)
		}
		want := widenWinograd(src, f[0])
		if *updateAVX512 {
			if err := os.WriteFile(f[1], want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(f[1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not widenWinograd of %s: go test -run TestWinogradAVX512Generated -update-avx512 ./internal/linalg", f[1], f[0])
		}
	}
}
