package ann

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/siamese-dev/siamese/internal/atomicfile"
)

const (
	fileMagic   = "SIAMHNSW"
	fileVersion = 1
	headerSize  = 8 + 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// IndexName is the file name of the search index of a gallery for the
// model whose file hash is modelHash, next to the gallery cache; the
// leading dot hides it from gallery scans.
func IndexName(modelHash string) string { return ".siamese-index-" + modelHash + ".bin" }

// WriteFile saves ix, and the names of its vectors by id (none, or one
// per vector), at path through package atomicfile (a temporary file in
// the same folder, synced and renamed over path), so a reader sees the old
// file or the new one whole. The layout is in doc.go.
func WriteFile(path string, ix *Index, names []string) error {
	if len(names) != 0 && len(names) != ix.Len() {
		return fmt.Errorf("ann index %s: %d names for %d vectors", path, len(names), ix.Len())
	}
	err := atomicfile.Write(path, func(out io.Writer) error {
		sum := crc32.New(castagnoli)
		w := bufio.NewWriterSize(io.MultiWriter(out, sum), 1<<20)
		if err := ix.encode(w, names); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		_, err := out.Write(binary.LittleEndian.AppendUint32(nil, sum.Sum32()))
		return err
	})
	if err != nil {
		return fmt.Errorf("ann index %s: %w", path, err)
	}
	return nil
}

func (ix *Index) encode(w *bufio.Writer, names []string) error {
	le := binary.LittleEndian
	h := []byte(fileMagic)
	h = le.AppendUint32(h, fileVersion)
	h = le.AppendUint32(h, uint32(ix.dim))
	h = le.AppendUint32(h, uint32(ix.p.M))
	h = le.AppendUint32(h, uint32(ix.p.EfConstruction))
	h = le.AppendUint32(h, uint32(ix.p.EfSearch))
	h = le.AppendUint64(h, ix.p.Seed)
	h = le.AppendUint64(h, uint64(ix.Len()))
	h = le.AppendUint32(h, ix.entry)
	h = le.AppendUint32(h, uint32(ix.top))
	h = le.AppendUint32(h, uint32(len(names)))
	w.Write(h)
	for _, name := range names {
		if len(name) > math.MaxUint16 {
			return fmt.Errorf("path %.40s... is too long", name)
		}
		w.Write(le.AppendUint16(nil, uint16(len(name))))
		w.WriteString(name)
	}
	var b [4]byte
	for _, v := range ix.vecs {
		le.PutUint32(b[:], math.Float32bits(v))
		w.Write(b[:])
	}
	w.Write(ix.levels)
	// Lists are written as a one-byte count and the ids: a node keeps
	// fewer than its capacity on average, and the count fits in a byte
	// because M is at most 100.
	for id := range ix.Len() {
		for l := 0; l <= int(ix.levels[id]); l++ {
			ns := ix.neighbours(uint32(id), l)
			w.WriteByte(byte(len(ns)))
			for _, n := range ns {
				le.PutUint32(b[:], n)
				w.Write(b[:])
			}
		}
	}
	// bufio.Writer keeps its first error and returns it from Flush.
	return nil
}

// ReadFile reads an index written by WriteFile, with its names (nil when
// it was saved without). A file that is not an index, of another version,
// truncated or damaged is refused with an error saying which.
func ReadFile(path string) (*Index, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("ann index %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("ann index %s: %w", path, err)
	}
	d := &decoder{r: bufio.NewReaderSize(f, 1<<20), size: st.Size(), sum: crc32.New(castagnoli)}
	ix, names, err := d.decode()
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = errTruncated
		}
		return nil, nil, fmt.Errorf("ann index %s: %w", path, err)
	}
	return ix, names, nil
}

var errTruncated = errors.New("truncated (the file ends early)")

type decoder struct {
	r    *bufio.Reader
	size int64
	sum  hash.Hash32
	buf  []byte
}

// bytes reads the next n bytes into a buffer reused by the next call,
// adding them to the checksum.
func (d *decoder) bytes(n int) ([]byte, error) {
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	d.buf = d.buf[:n]
	k, err := io.ReadFull(d.r, d.buf)
	d.sum.Write(d.buf[:k])
	return d.buf[:k], err
}

func (d *decoder) byte() (byte, error) {
	c, err := d.r.ReadByte()
	if err == nil {
		d.sum.Write([]byte{c})
	}
	return c, err
}

// damaged is a file that reads to the end but does not hold a valid
// graph; structure is checked as it is read, before the checksum at the
// end can be, so that nothing is allocated or indexed from bad counts.
func damaged(format string, args ...any) error {
	return fmt.Errorf("damaged: "+format, args...)
}

func (d *decoder) decode() (*Index, []string, error) {
	le := binary.LittleEndian
	h, err := d.bytes(headerSize)
	if err != nil {
		if len(h) < len(fileMagic) || string(h[:len(fileMagic)]) != fileMagic {
			return nil, nil, errors.New("not an index file")
		}
		return nil, nil, err
	}
	if string(h[:8]) != fileMagic {
		return nil, nil, errors.New("not an index file")
	}
	if v := le.Uint32(h[8:]); v != fileVersion {
		return nil, nil, fmt.Errorf("format version %d, this build reads version %d", v, fileVersion)
	}
	dim := int(le.Uint32(h[12:]))
	p := Params{M: int(le.Uint32(h[16:])), EfConstruction: int(le.Uint32(h[20:])), EfSearch: int(le.Uint32(h[24:])), Seed: le.Uint64(h[28:])}
	n64 := le.Uint64(h[36:])
	entry, top := le.Uint32(h[44:]), le.Uint32(h[48:])
	nNames := le.Uint32(h[52:])
	ix, err := NewIndex(dim, p)
	if err != nil {
		return nil, nil, damaged("bad header: %w", err)
	}
	// The counts decide what gets allocated: check them against the file
	// size first, so a damaged header cannot ask for terabytes.
	if n64 > uint64(d.size)/uint64(4*dim+2) {
		return nil, nil, fmt.Errorf("truncated or damaged: the header counts %d vectors of %d values, more than the file's %d bytes hold", n64, dim, d.size)
	}
	n := int(n64)
	if nNames != 0 && int(nNames) != n {
		return nil, nil, damaged("bad header: %d names for %d vectors", nNames, n)
	}
	if n > 0 && (entry >= uint32(n) || top > maxLevel) || n == 0 && (entry != 0 || top != 0) {
		return nil, nil, damaged("bad header: entry point %d at level %d", entry, top)
	}
	var names []string
	if nNames > 0 {
		names = make([]string, n)
		for i := range names {
			b, err := d.bytes(2)
			if err != nil {
				return nil, nil, err
			}
			if b, err = d.bytes(int(le.Uint16(b))); err != nil {
				return nil, nil, err
			}
			names[i] = string(b)
		}
	}
	ix.vecs = make([]float32, n*dim)
	const chunk = 1 << 14
	for i := 0; i < len(ix.vecs); i += chunk {
		part := ix.vecs[i:min(i+chunk, len(ix.vecs))]
		b, err := d.bytes(4 * len(part))
		if err != nil {
			return nil, nil, err
		}
		for j := range part {
			part[j] = math.Float32frombits(le.Uint32(b[4*j:]))
		}
	}
	ix.levels = make([]uint8, n)
	for i := 0; i < n; i += chunk {
		b, err := d.bytes(min(chunk, n-i))
		if err != nil {
			return nil, nil, err
		}
		copy(ix.levels[i:], b)
	}
	ix.links0 = make([]uint32, n*(ix.m0()+1))
	ix.upper = make([][]uint32, n)
	highest := 0
	for id := range n {
		lv := int(ix.levels[id])
		if lv > maxLevel {
			return nil, nil, damaged("node %d at level %d", id, lv)
		}
		highest = max(highest, lv)
		if lv > 0 {
			ix.upper[id] = make([]uint32, lv*(p.M+1))
		}
		for l := 0; l <= lv; l++ {
			c, err := d.byte()
			if err != nil {
				return nil, nil, err
			}
			capacity := p.M
			if l == 0 {
				capacity = ix.m0()
			}
			if int(c) > capacity {
				return nil, nil, damaged("node %d: %d neighbours on layer %d, at most %d", id, c, l, capacity)
			}
			b, err := d.bytes(4 * int(c))
			if err != nil {
				return nil, nil, err
			}
			s := ix.list(uint32(id), l)
			s[0] = uint32(c)
			for j := range int(c) {
				nb := le.Uint32(b[4*j:])
				if nb >= uint32(n) || nb == uint32(id) || int(ix.levels[nb]) < l {
					return nil, nil, damaged("node %d: bad neighbour %d on layer %d", id, nb, l)
				}
				s[1+j] = nb
			}
		}
	}
	if n > 0 && (int(top) != highest || int(ix.levels[entry]) != highest) {
		return nil, nil, damaged("entry point %d at level %d, the highest level is %d", entry, top, highest)
	}
	ix.entry, ix.top = entry, int(top)
	want := d.sum.Sum32() // of everything read so far: all but the trailer
	var b [4]byte
	if _, err := io.ReadFull(d.r, b[:]); err != nil {
		return nil, nil, err
	}
	if got := le.Uint32(b[:]); got != want {
		return nil, nil, damaged("checksum mismatch (stored %08x, computed %08x)", got, want)
	}
	if _, err := d.r.ReadByte(); err != io.EOF {
		return nil, nil, damaged("data after the checksum")
	}
	return ix, names, nil
}
