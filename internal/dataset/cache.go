package dataset

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/siamese-dev/siamese/internal/atomicfile"
)

// Cache keeps decoded images on disk between runs, one byte a value, so a
// second run over the same folder maps them instead of decoding again.
//
// A data set folder and one preprocessing (size, channels, resize mode) own
// a pack of two files named by a hash of them: NAME.pix, the image blocks
// back to back, and NAME.idx, which says for each image file (absolute path,
// size, modification time) which block holds it. An image whose file
// changed size or time, or that is new, is decoded and its block appended;
// the index is then replaced whole (temp file + rename), so a crash leaves
// the old index, which names only blocks that were complete. Blocks of
// changed files become garbage until `siamese cache clear`.
//
// The index keeps a CRC-32C of every block, checked when a run finds the
// block: a block that no longer matches (a damaged disk, an edited file)
// is decoded again like a changed image, and Warn says so, as it says
// when an index or blocks file is unreadable and the pack starts over.
type Cache struct {
	Dir  string
	Warn func(msg string) // nil: silent
	// off is set when the cache failed for a reason of its own (a folder
	// that cannot be written, a lock that cannot be taken): later loads
	// then go without it, rather than fail and warn again for each part
	// of the split.
	off atomic.Bool
}

func (c *Cache) warn(format string, args ...any) {
	if c.Warn != nil {
		c.Warn(fmt.Sprintf(format, args...))
	}
}

// blockSum is a block's checksum in the index.
func blockSum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// OpenCache returns the cache in dir, creating the folder.
func OpenCache(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache %s: %w", dir, err)
	}
	return &Cache{Dir: dir}, nil
}

// DefaultCacheDir is the user's cache folder for siamese
// (os.UserCacheDir()/siamese, ~/.cache/siamese on Linux).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache folder (set --cache-dir): %w", err)
	}
	return filepath.Join(d, "siamese"), nil
}

// cacheKey is what a cached image is valid for: the file as it was.
type cacheKey struct {
	path        string
	size, mtime int64
}

type cacheEntry struct {
	size, mtime int64
	block       int
	sum         uint32 // blockSum of the block
}

// cacheKeys stats every item of ix; ok is false for data sets that are not
// plain files with modification times (the built-in sample, images held in
// memory), which are cheap to decode and have no stable key.
func cacheKeys(ix *Index) ([]cacheKey, bool) {
	keys := make([]cacheKey, len(ix.Items))
	for i, it := range ix.Items {
		full, err := filepath.Abs(ix.FullPath(it.Path))
		if err != nil {
			return nil, false
		}
		keys[i].path = full
		st, err := fs.Stat(ix.FS, it.Path)
		if err != nil {
			keys[i].size = -1 // never a hit; loading reports the error
			continue
		}
		stamp := Stamp(st)
		if stamp == 0 {
			return nil, false
		}
		keys[i].size, keys[i].mtime = st.Size(), stamp
	}
	return keys, true
}

// packName names the pack of a folder and preprocessing.
func packName(root string, l Loader) (name, desc string) {
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	mode := l.Resize
	if mode == "" {
		mode = ResizeSquash
	}
	desc = fmt.Sprintf("%d×%d×%d %s", l.Channels, l.Size, l.Size, mode)
	// A pixel limit other than the default gets a pack of its own: the
	// images in a pack passed the limit they were decoded under, and one
	// cached under the default would skip a lower limit's check (the
	// pack keeps no image's size).
	if l.MaxPixels > 0 && l.MaxPixels != DefaultMaxPixels {
		desc += fmt.Sprintf(" max %d px", l.MaxPixels)
	}
	desc = abs + " " + desc
	return packNameOf(desc), desc
}

// packNameOf is the name of the pack that desc describes. The version in
// it changes whenever decoding does, so packs of older versions are never
// read: they hold other pixels. v2: alpha dropped before resizing.
func packNameOf(desc string) string {
	h := sha256.Sum256([]byte("siamese-cache-v2\x00" + desc))
	return hex.EncodeToString(h[:8])
}

// idxMagic starts an index; SIAMIDX1, before blocks had checksums, is
// read as errOldIndex, and its pack is started over.
const idxMagic = "SIAMIDX2"

var errOldIndex = errors.New("an index without block checksums, from an older siamese")

type packIndex struct {
	desc    string
	per     int
	entries map[string]cacheEntry
}

func readPackIndex(path string, per int) (*packIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	magic := make([]byte, len(idxMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != idxMagic {
		if string(magic) == "SIAMIDX1" {
			return nil, fmt.Errorf("%s: %w", path, errOldIndex)
		}
		return nil, fmt.Errorf("%s: not a cache index", path)
	}
	readStr := func() (string, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > 1<<16 {
			return "", fmt.Errorf("%s: corrupt", path)
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return string(b), err
	}
	p := &packIndex{entries: map[string]cacheEntry{}}
	if p.desc, err = readStr(); err != nil {
		return nil, err
	}
	gotPer, err1 := binary.ReadUvarint(r)
	n, err2 := binary.ReadUvarint(r)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%s: corrupt: %w", path, err)
	}
	p.per = int(gotPer)
	if per > 0 && p.per != per {
		return nil, fmt.Errorf("%s: image length %d, want %d", path, p.per, per)
	}
	for range n {
		name, err := readStr()
		if err != nil {
			return nil, err
		}
		size, err1 := binary.ReadVarint(r)
		mtime, err2 := binary.ReadVarint(r)
		block, err3 := binary.ReadUvarint(r)
		sum, err4 := binary.ReadUvarint(r)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("%s: corrupt: %w", path, err)
		}
		if sum > math.MaxUint32 || block > math.MaxInt32 {
			return nil, fmt.Errorf("%s: corrupt: block %d, checksum %d", path, block, sum)
		}
		p.entries[name] = cacheEntry{size, mtime, int(block), uint32(sum)}
	}
	return p, nil
}

func (p *packIndex) write(path string) error {
	// Whole or not at all, and readable by all as any file the user makes
	// (a cache folder shared between accounts is read by each).
	return atomicfile.Write(path, func(out io.Writer) error {
		w := bufio.NewWriter(out)
		var buf [binary.MaxVarintLen64]byte
		uv := func(v uint64) { w.Write(buf[:binary.PutUvarint(buf[:], v)]) }
		sv := func(v int64) { w.Write(buf[:binary.PutVarint(buf[:], v)]) }
		str := func(s string) { uv(uint64(len(s))); w.WriteString(s) }
		w.WriteString(idxMagic)
		str(p.desc)
		uv(uint64(p.per))
		uv(uint64(len(p.entries)))
		names := make([]string, 0, len(p.entries))
		for k := range p.entries {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			e := p.entries[k]
			str(k)
			sv(e.size)
			sv(e.mtime)
			uv(uint64(e.block))
			uv(uint64(e.sum))
		}
		return w.Flush()
	})
}

// load is LoadAll through the cache.
func (c *Cache) load(ix *Index, keys []cacheKey, l Loader, workers int, onBad func(string, error) error, progress func(int)) (*Images, error) {
	name, desc := packName(ix.Root, l)
	base := filepath.Join(c.Dir, name)
	pixPath, idxPath := base+".pix", base+".idx"
	unlock, err := lockFile(base + ".lock")
	if err != nil {
		return nil, c.failed(err)
	}
	defer unlock()
	// Temporary files of this pack are made only under its lock, so any
	// found now are a stopped run's (Ctrl-C ends a run at once while it
	// decodes): they go, where a lock keeps other runs out.
	if locksExclude {
		if stale, err := filepath.Glob(filepath.Join(c.Dir, "."+name+".*-*")); err == nil {
			for _, f := range stale {
				if isTemporary(filepath.Base(f)) {
					os.Remove(f)
				}
			}
		}
	}

	per := l.Len()
	var pixSize int64
	pack, err := readPackIndex(idxPath, per)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		c.warn("cache %s: %v; decoding the images again", c.Dir, err)
	default:
		st, serr := os.Stat(pixPath)
		if serr != nil {
			c.warn("cache %s: %v; decoding the images again", c.Dir, serr)
			pack = nil
		} else {
			pixSize = st.Size()
			for _, e := range pack.entries {
				if int64(e.block+1)*int64(per) > pixSize {
					c.warn("cache %s: %s is shorter than its index; decoding the images again", c.Dir, pixPath)
					pack = nil // the blocks file lost data: start over
					break
				}
			}
		}
	}
	fresh := pack == nil
	if fresh {
		pack, pixSize = &packIndex{entries: map[string]cacheEntry{}}, 0
	}
	pack.desc, pack.per = desc, per

	at := make([]int, len(ix.Items))
	var miss, hit []int
	for i, k := range keys {
		e, ok := pack.entries[k.path]
		if ok && k.size >= 0 && e.size == k.size && e.mtime == k.mtime {
			at[i] = e.block
			hit = append(hit, i)
			continue
		}
		miss = append(miss, i)
	}
	if len(hit) > 0 {
		damaged, err := checkBlocks(pixPath, per, hit, at, func(i int) uint32 { return pack.entries[keys[i].path].sum })
		if err != nil {
			return nil, c.failed(err)
		}
		if len(damaged) > 0 {
			c.warn("cache %s: %d image(s) no longer match their checksum in %s, such as %s; decoding them again", c.Dir, len(damaged), pixPath, keys[damaged[0]].path)
			miss = append(miss, damaged...)
			slices.Sort(miss)
		}
	}
	hits := len(ix.Items) - len(miss)
	if progress != nil && hits > 0 {
		progress(hits)
	}
	bad := make([]bool, len(ix.Items))
	if len(miss) > 0 {
		var f *os.File
		if fresh {
			if f, err = os.CreateTemp(c.Dir, "."+name+".pix-*"); err == nil {
				if err = f.Chmod(0o644); err != nil { // readable by all, as the index
					f.Close()
					os.Remove(f.Name())
				}
			}
		} else {
			f, err = os.OpenFile(pixPath, os.O_RDWR, 0)
		}
		if err != nil {
			return nil, c.failed(err)
		}
		defer f.Close()
		// New blocks go after everything in the file, whole blocks or not.
		next := int((pixSize + int64(per) - 1) / int64(per))
		var werr error
		open := func(j int) (io.ReadCloser, error) { return ix.FS.Open(ix.Items[miss[j]].Path) }
		display := func(j int) string { return ix.FullPath(ix.Items[miss[j]].Path) }
		var prog func(int)
		if progress != nil {
			prog = func(done int) { progress(hits + done) }
		}
		mbad, err := l.loadEach(len(miss), open, display, workers, onBad, prog, func(j int, b []byte) {
			if werr != nil {
				return
			}
			if _, werr = f.WriteAt(b, int64(next)*int64(per)); werr == nil {
				i := miss[j]
				at[i] = next
				pack.entries[keys[i].path] = cacheEntry{keys[i].size, keys[i].mtime, next, blockSum(b)}
				next++
			}
		})
		if err != nil {
			if fresh {
				os.Remove(f.Name())
			}
			return nil, err
		}
		if werr != nil {
			if fresh {
				os.Remove(f.Name())
			}
			return nil, c.failed(fmt.Errorf("write: %w", werr))
		}
		for j, b := range mbad {
			bad[miss[j]] = b
		}
		if err := f.Sync(); err != nil {
			return nil, c.failed(err)
		}
		if fresh {
			if err := os.Rename(f.Name(), pixPath); err != nil {
				return nil, c.failed(err)
			}
		}
		if err := pack.write(idxPath); err != nil {
			return nil, c.failed(err)
		}
	}
	packFile, err := os.Open(pixPath)
	if err != nil {
		return nil, c.failed(err)
	}
	im := compact(ix, l, nil, at, bad)
	im.pack = packFile
	return im, nil
}

// ioError is a failure of the cache itself (its folder, lock or files,
// say cleared by another process mid-run), after which LoadAll decodes
// without it rather than fail a run the cache was only to speed up.
type ioError struct{ error }

func (e ioError) Unwrap() error { return e.error }

// failed is err as the cache's own failure.
func (c *Cache) failed(err error) error { return ioError{fmt.Errorf("cache %s: %w", c.Dir, err)} }

// checkBlocks reads the blocks of the images hit (at[i], per bytes each)
// from the blocks file, in file order, and returns those whose checksum is
// not want(i), in hit's order.
func checkBlocks(pixPath string, per int, hit, at []int, want func(i int) uint32) ([]int, error) {
	f, err := os.Open(pixPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	byBlock := slices.Clone(hit)
	slices.SortFunc(byBlock, func(a, b int) int { return at[a] - at[b] })
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, math.MaxInt64), 1<<20)
	buf := make([]byte, per)
	var pos int64
	var bad []int
	for _, i := range byBlock {
		off := int64(at[i]) * int64(per)
		if off < pos { // two images in one block: read it again
			r.Reset(io.NewSectionReader(f, off, math.MaxInt64-off))
		} else if _, err := r.Discard(int(off - pos)); err != nil {
			return nil, fmt.Errorf("%s: %w", pixPath, err)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("%s: %w", pixPath, err)
		}
		pos = off + int64(per)
		if blockSum(buf) != want(i) {
			bad = append(bad, i)
		}
	}
	slices.Sort(bad)
	return bad, nil
}

// CachePack describes one pack of the cache for `siamese cache info`.
type CachePack struct {
	Name   string `json:"name"`
	What   string `json:"what"` // folder and preprocessing, or why the pack is not used
	Images int    `json:"images"`
	Bytes  int64  `json:"bytes"`
	// Used is false for what no run reads: an older siamese's pack, an
	// unreadable index, a stopped run's temporary file; cache clear
	// frees them.
	Used bool `json:"used"`
	// The folder and preprocessing of a pack in use, for scripts.
	Folder    string `json:"folder,omitempty"`
	Channels  int    `json:"channels,omitempty"`
	Size      int    `json:"size,omitempty"`
	Resize    string `json:"resize,omitempty"`
	MaxPixels int    `json:"max_pixels,omitempty"` // a limit other than the default, which has a pack of its own
}

// packDesc parses a pack's description as packName writes it.
var packDesc = regexp.MustCompile(`(?s)^(.*) ([0-9]+)×([0-9]+)×[0-9]+ ([a-z]+)(?: max ([0-9]+) px)?$`)

// describe fills the fields of p that a pack in use has, from its
// description.
func (p *CachePack) describe(desc string) {
	p.What, p.Used = desc, true
	m := packDesc.FindStringSubmatch(desc)
	if m == nil {
		return
	}
	p.Folder, p.Resize = m[1], m[4]
	p.Channels, _ = strconv.Atoi(m[2])
	p.Size, _ = strconv.Atoi(m[3])
	p.MaxPixels, _ = strconv.Atoi(m[5])
}

// Info lists the cache's packs.
func (c *Cache) Info() ([]CachePack, error) {
	ents, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", c.Dir, err)
	}
	var out []CachePack
	for _, e := range ents {
		if isTemporary(e.Name()) {
			// A stopped run's: space the next run of its pack, or clear,
			// takes back.
			if st, err := e.Info(); err == nil {
				out = append(out, CachePack{Name: e.Name(), What: "a stopped run's unfinished file (the pack's next run or siamese cache clear removes it)", Bytes: st.Size()})
			}
			continue
		}
		name, ok := strings.CutSuffix(e.Name(), ".idx")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		p := CachePack{Name: name}
		switch pk, err := readPackIndex(filepath.Join(c.Dir, e.Name()), 0); {
		case errors.Is(err, errOldIndex), err == nil && packNameOf(pk.desc) != name:
			// A train of its folder starts it over; until then it is
			// space that `cache clear` frees.
			p.What = "an older siamese's pack, not used (siamese cache clear removes it)"
		case err == nil:
			p.describe(pk.desc)
			p.Images = len(pk.entries)
		default:
			p.What = "unreadable index (siamese cache clear removes it)"
		}
		for _, ext := range []string{".idx", ".pix"} {
			if st, err := os.Stat(filepath.Join(c.Dir, name+ext)); err == nil {
				p.Bytes += st.Size()
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// temporary matches the name of a pack's temporary file: ".NAME.pix-N"
// for a pack NAME (16 hex digits), atomicfile's ".NAME.idx.tmp-N", or the
// ".pix-N" and ".idx-N" of older versions; a user's own dot-file in a
// shared folder (".notes.pix-keep") is not one.
var temporary = regexp.MustCompile(`^\.(?:[0-9a-f]{16}\.)?(?:pix|idx)(?:\.tmp)?-[0-9]+$`)

func isTemporary(name string) bool { return temporary.MatchString(name) }

// Clear removes the cache's files (and only those: the folder may be one
// the user also keeps other things in). It returns the bytes freed.
func (c *Cache) Clear() (int64, error) {
	ents, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cache %s: %w", c.Dir, err)
	}
	var freed int64
	for _, e := range ents {
		n := e.Name()
		ours := strings.HasSuffix(n, ".pix") || strings.HasSuffix(n, ".idx") || strings.HasSuffix(n, ".lock") || isTemporary(n)
		if !ours || e.IsDir() {
			continue
		}
		if st, err := e.Info(); err == nil {
			freed += st.Size()
		}
		if err := os.Remove(filepath.Join(c.Dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return freed, fmt.Errorf("cache %s: %w", c.Dir, err)
		}
	}
	return freed, nil
}
