package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned
// byte) and the number of dimensions.
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
)

// Limits on IDX headers, far above MNIST's 60000×28×28, so that a corrupt
// header is reported instead of trusted.
const (
	maxIDXSide  = 4096    // rows and columns
	maxIDXBytes = 1 << 31 // payload bytes
)

// ReadIDXImages reads an IDX image file (gzip-compressed or not) and returns
// the number of images, their height and width and the pixels, image after
// image, row after row, one byte each.
func ReadIDXImages(path string) (n, rows, cols int, pix []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, nil, openError("idx file "+path, err)
	}
	defer f.Close()
	return decodeIDXImages(f, path)
}

// decodeIDXImages reads IDX images from r; path names the file in errors.
func decodeIDXImages(r io.Reader, path string) (n, rows, cols int, pix []byte, err error) {
	r, err = idxReader(r, path)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	dims, err := readIDXHeader(r, path, idxImagesMagic)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	n, rows, cols = int(dims[0]), int(dims[1]), int(dims[2])
	if rows == 0 || cols == 0 || rows > maxIDXSide || cols > maxIDXSide {
		return 0, 0, 0, nil, fmt.Errorf("idx file %s: images are %dx%d; each side must be 1 to %d", path, rows, cols, maxIDXSide)
	}
	size := int64(n) * int64(rows) * int64(cols)
	if size > maxIDXBytes {
		return 0, 0, 0, nil, fmt.Errorf("idx file %s: header says %d images of %dx%d, over the %d-byte limit", path, n, rows, cols, int64(maxIDXBytes))
	}
	pix, err = readIDXPayload(r, size)
	if err != nil {
		return 0, 0, 0, nil, fmt.Errorf("idx file %s: header says %d images of %dx%d (%d bytes): %w", path, n, rows, cols, size, err)
	}
	return n, rows, cols, pix, nil
}

// ReadIDXLabels reads an IDX label file (gzip-compressed or not) and returns
// one label byte per image.
func ReadIDXLabels(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError("idx file "+path, err)
	}
	defer f.Close()
	return decodeIDXLabels(f, path)
}

// decodeIDXLabels reads IDX labels from r; path names the file in errors.
func decodeIDXLabels(r io.Reader, path string) ([]byte, error) {
	r, err := idxReader(r, path)
	if err != nil {
		return nil, err
	}
	dims, err := readIDXHeader(r, path, idxLabelsMagic)
	if err != nil {
		return nil, err
	}
	n := int64(dims[0])
	if n > maxIDXBytes {
		return nil, fmt.Errorf("idx file %s: header says %d labels, over the %d limit", path, n, int64(maxIDXBytes))
	}
	labels, err := readIDXPayload(r, n)
	if err != nil {
		return nil, fmt.Errorf("idx file %s: header says %d labels: %w", path, n, err)
	}
	return labels, nil
}

// idxReader returns r, decompressed if it starts with the gzip magic.
func idxReader(r io.Reader, path string) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("idx file %s: %w", path, err)
	}
	if len(magic) == 0 {
		return nil, fmt.Errorf("idx file %s: empty file", path)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx file %s: bad gzip stream: %w", path, shortRead(err))
		}
		return zr, nil
	}
	return br, nil
}

// readIDXHeader reads the magic and dimensions, checking the magic is want.
func readIDXHeader(r io.Reader, path string, want uint32) ([]uint32, error) {
	var magic uint32
	if err := binary.Read(r, binary.BigEndian, &magic); err != nil {
		return nil, fmt.Errorf("idx file %s: reading header: %w", path, shortRead(err))
	}
	if magic != want {
		return nil, fmt.Errorf("idx file %s: magic number 0x%08x (%s); expected 0x%08x (%s)", path, magic, idxKind(magic), want, idxKind(want))
	}
	dims := make([]uint32, magic&0xff)
	if err := binary.Read(r, binary.BigEndian, dims); err != nil {
		return nil, fmt.Errorf("idx file %s: reading header: %w", path, shortRead(err))
	}
	return dims, nil
}

func idxKind(magic uint32) string {
	switch magic {
	case idxImagesMagic:
		return "byte images"
	case idxLabelsMagic:
		return "byte labels"
	}
	return "not an IDX file of images or labels"
}

// errTruncated reports a file that ends before its header says it should.
var errTruncated = errors.New("file is truncated")

func shortRead(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errTruncated
	}
	return err
}

// readIDXPayload reads exactly size bytes. The buffer doubles only as data
// arrives, so a header that lies about the size costs no more memory than
// the file really holds.
func readIDXPayload(r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, min(size, 1<<20))
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(size, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w after %d bytes", errTruncated, len(buf))
			}
			return nil, err
		}
	}
	return buf, nil
}
