package ann

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestIndexFileRoundTrip(t *testing.T) {
	vecs := clustered(2000, 12, 40, 0.5, 10)
	tests := []struct {
		name  string
		vecs  [][]float32
		names []string
	}{
		{"with names", vecs, names(len(vecs))},
		{"without names", vecs, nil},
		{"empty index", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := NewIndex(12, Params{M: 8, EfConstruction: 50, EfSearch: 40, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Add(tc.vecs, 2); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), IndexName("abc"))
			if err := WriteFile(path, ix, tc.names); err != nil {
				t.Fatal(err)
			}
			got, gotNames, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gotNames, tc.names) {
				t.Fatal("names differ after the round trip")
			}
			if got.Params() != ix.Params() || got.Len() != ix.Len() || got.entry != ix.entry || got.top != ix.top {
				t.Fatalf("header differs: %+v %d %d %d, want %+v %d %d %d",
					got.Params(), got.Len(), got.entry, got.top, ix.Params(), ix.Len(), ix.entry, ix.top)
			}
			if !bytes.Equal(encoded(t, got, gotNames), encoded(t, ix, tc.names)) {
				t.Fatal("graph differs after the round trip")
			}
			// The loaded graph answers as the saved one did, and takes new
			// vectors exactly as the original would.
			more := clustered(2100, 12, 40, 0.5, 10)[2000:]
			for _, x := range []*Index{ix, got} {
				if err := x.Add(more, 2); err != nil {
					t.Fatal(err)
				}
			}
			for _, q := range more[:20] {
				a, _ := ix.Search(q, 10)
				b, _ := got.Search(q, 10)
				if !slices.Equal(a, b) {
					t.Fatalf("search differs after the round trip: %v, want %v", b, a)
				}
			}
		})
	}
}

func TestIndexFileRefusesDamage(t *testing.T) {
	vecs := clustered(500, 8, 10, 0.5, 11)
	ix := buildIndex(t, vecs, DefaultParams(), 2)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bin")
	if err := WriteFile(good, ix, names(len(vecs))); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	with := func(at int, b byte) []byte {
		c := slices.Clone(raw)
		c[at] ^= b
		return c
	}
	vecAt := headerSize + len(vecs)*(2+len("c/00000.png")) + 40 // inside the vectors
	linksAt := len(raw) - 4 - 40                                // inside the last lists
	otherVersion := slices.Clone(raw)
	binary.LittleEndian.PutUint32(otherVersion[8:], 2)
	hugeCount := slices.Clone(raw)
	binary.LittleEndian.PutUint64(hugeCount[36:], 1<<40)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "not an index file"},
		{"another file", []byte("SIAMGAL1 is the gallery cache, not the index"), "not an index file"},
		{"other version", otherVersion, "format version 2"},
		{"header cut short", raw[:20], "truncated"},
		{"half the file", raw[:len(raw)/2], "truncated"},
		{"checksum missing", raw[:len(raw)-4], "truncated"},
		{"flipped bit in a vector", with(vecAt, 0x10), "checksum mismatch"},
		{"flipped byte in the lists", with(linksAt, 0xff), "damaged"},
		{"flipped bit in the checksum", with(len(raw)-1, 1), "checksum mismatch"},
		{"vector count beyond the file", hugeCount, "truncated or damaged"},
		{"data after the checksum", append(slices.Clone(raw), 0), "data after the checksum"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "ix.bin")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := ReadFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("ReadFile error %v, want one naming the file and containing %q", err, tc.want)
			}
		})
	}
	if _, _, err := ReadFile(good); err != nil {
		t.Errorf("the intact file is refused: %v", err)
	}
}
