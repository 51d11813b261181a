package embedding

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// The header of a 2×3 matrix, spelled out from the format specification:
// magic, version 1.0, header length 118 (0x76) little-endian, the dict
// (59 bytes), 58 spaces and '\n', so that 10 + 118 = 128 bytes.
func TestNPYBytes(t *testing.T) {
	want := []byte("\x93NUMPY\x01\x00\x76\x00" +
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
		strings.Repeat(" ", 58) + "\n")
	// 1, -2, 0.5, 0, 2, -0.25 as IEEE 754 single, little-endian.
	want = append(want,
		0x00, 0x00, 0x80, 0x3f,
		0x00, 0x00, 0x00, 0xc0,
		0x00, 0x00, 0x00, 0x3f,
		0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x40,
		0x00, 0x00, 0x80, 0xbe,
	)
	var buf bytes.Buffer
	if err := WriteNPY(&buf, []float32{1, -2, 0.5, 0, 2, -0.25}, 2, 3); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("npy bytes:\n got  %q\n want %q", buf.Bytes(), want)
	}
}

func TestNPYHeaderPadding(t *testing.T) {
	for _, shape := range [][2]int{{0, 64}, {1, 1}, {9, 128}, {60000, 64}, {1234567, 1000}} {
		h := NPYHeader(shape[0], shape[1])
		n := int(binary.LittleEndian.Uint16(h[8:10]))
		switch {
		case len(h)%64 != 0:
			t.Errorf("shape %v: header is %d bytes, not a multiple of 64", shape, len(h))
		case n != len(h)-10:
			t.Errorf("shape %v: header length field %d, header is %d bytes after the prefix", shape, n, len(h)-10)
		case h[len(h)-1] != '\n':
			t.Errorf("shape %v: header does not end in a newline", shape)
		}
	}
}

func TestWriteNPYSizeMismatch(t *testing.T) {
	if err := WriteNPY(&bytes.Buffer{}, []float32{1, 2, 3}, 2, 2); err == nil {
		t.Error("3 values for a 2×2 matrix: no error")
	}
}

func TestWriteCSV(t *testing.T) {
	files := []File{{Path: "a/cat/1.png", Class: "cat"}, {Path: "b, c.png", Class: ""}}
	var buf bytes.Buffer
	// 0.1 as float32 is 0.100000001490116..., written as the shortest
	// decimal that reads back to the same float32.
	if err := WriteCSV(&buf, files, []float32{0.1, -2, 1e-8, 3}, 2); err != nil {
		t.Fatal(err)
	}
	want := "path,class,e0,e1\na/cat/1.png,cat,0.1,-2\n\"b, c.png\",,1e-08,3\n"
	if buf.String() != want {
		t.Errorf("CSV:\n%q\nwant\n%q", buf.String(), want)
	}
	if err := WriteCSV(&buf, files, []float32{1}, 2); err == nil {
		t.Error("1 value for 2 embeddings of 2: no error")
	}
}

func TestWritePaths(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePaths(&buf, []File{{"x/cat/1.png", "cat"}, {"loose.png", ""}}); err != nil {
		t.Fatal(err)
	}
	if want := "x/cat/1.png\tcat\nloose.png\t\n"; buf.String() != want {
		t.Errorf("paths file %q, want %q", buf.String(), want)
	}
	if err := WritePaths(&buf, []File{{"tab\there.png", ""}}); err == nil {
		t.Error("a path with a tab: no error")
	}
}
