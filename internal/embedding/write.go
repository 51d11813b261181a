package embedding

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// NPYHeader returns the .npy version 1.0 header of a rows×cols float32
// matrix, padded to a multiple of 64 bytes.
func NPYHeader(rows, cols int) []byte {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	const prefix = 10 // magic (6), version (2), header length (2)
	pad := (64 - (prefix+len(dict)+1)%64) % 64
	h := make([]byte, 0, prefix+len(dict)+pad+1)
	h = append(h, "\x93NUMPY\x01\x00"...)
	h = binary.LittleEndian.AppendUint16(h, uint16(len(dict)+pad+1))
	h = append(h, dict...)
	h = append(h, strings.Repeat(" ", pad)...)
	return append(h, '\n')
}

// WriteNPY writes the rows×cols float32 matrix data (row-major) as a .npy
// file.
func WriteNPY(w io.Writer, data []float32, rows, cols int) error {
	if len(data) != rows*cols {
		return fmt.Errorf("npy: %d values for a %d×%d matrix", len(data), rows, cols)
	}
	bw := bufio.NewWriter(w)
	bw.Write(NPYHeader(rows, cols))
	var b [4]byte
	for _, v := range data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		bw.Write(b[:])
	}
	return bw.Flush()
}

// WritePaths writes "path<TAB>class" for each file, the row labels of an
// .npy file. A path or class holding a tab or a line break could not be
// read back, so it is an error.
func WritePaths(w io.Writer, files []File) error {
	bw := bufio.NewWriter(w)
	for _, f := range files {
		if strings.ContainsAny(f.Path+f.Class, "\t\r\n") {
			return fmt.Errorf("%q has a tab or line break, which a paths file cannot hold; write CSV instead", f.Path)
		}
		bw.WriteString(f.Path + "\t" + f.Class + "\n")
	}
	return bw.Flush()
}

// WriteCSV writes the header path,class,e0..e(dim-1) and one row per file,
// vectors being len(files)×dim values, row-major.
func WriteCSV(w io.Writer, files []File, vectors []float32, dim int) error {
	if len(vectors) != len(files)*dim {
		return fmt.Errorf("csv: %d values for %d embeddings of %d", len(vectors), len(files), dim)
	}
	cw := csv.NewWriter(w)
	row := make([]string, 2+dim)
	row[0], row[1] = "path", "class"
	for j := range dim {
		row[2+j] = "e" + strconv.Itoa(j)
	}
	cw.Write(row)
	for i, f := range files {
		row[0], row[1] = f.Path, f.Class
		for j, v := range vectors[i*dim : (i+1)*dim] {
			row[2+j] = strconv.FormatFloat(float64(v), 'g', -1, 32)
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
