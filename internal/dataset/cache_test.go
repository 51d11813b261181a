package dataset

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadBoth(t *testing.T, dir string, l Loader, c *Cache) (cached, direct *Images) {
	t.Helper()
	ix, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	direct, err = LoadAll(ix, l, 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Cache = c
	cached, err = LoadAll(ix, l, 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cached.Close() })
	return cached, direct
}

func sameImages(t *testing.T, what string, a, b *Images) {
	t.Helper()
	if a.Len() != b.Len() || !slices.Equal(a.Labels, b.Labels) || !slices.Equal(a.Paths, b.Paths) {
		t.Fatalf("%s: %d images %v, want %d %v", what, a.Len(), a.Paths, b.Len(), b.Paths)
	}
	if !slices.Equal(a.Floats(), b.Floats()) {
		t.Fatalf("%s: cached pixels differ from decoding", what)
	}
}

func TestCache(t *testing.T) {
	dir, cdir := t.TempDir(), t.TempDir()
	paths := map[string]string{}
	for i := range 6 {
		cl := fmt.Sprintf("c%d", i%3)
		paths[fmt.Sprint(i)] = writeFixture(t, dir, cl, fmt.Sprint(i), 12+i, 10, func(x, y int) color.Color {
			return color.NRGBA{uint8(20*x + i), uint8(15 * y), uint8(40 * i), 255}
		})
	}
	c, err := OpenCache(cdir)
	if err != nil {
		t.Fatal(err)
	}
	l := Loader{Size: 8, Channels: 3, Resize: ResizeCrop}

	// Cold: decoded, stored, and equal to decoding.
	cached, direct := loadBoth(t, dir, l, c)
	sameImages(t, "cold", cached, direct)

	// Warm: every image comes from the cache; the progress count starts
	// at all of them, before any decoding.
	ix, _ := Scan(dir)
	first := -1
	warm, err := LoadAll(ix, Loader{Size: 8, Channels: 3, Resize: ResizeCrop, Cache: c}, 2, nil, func(done int) {
		if first < 0 {
			first = done
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if first != len(ix.Items) {
		t.Errorf("warm load: %d of %d images from the cache", first, len(ix.Items))
	}
	sameImages(t, "warm", warm, direct)
	warm.Close()

	// A file replaced by other bytes of its size, with its modification
	// time set back (as cp -p, rsync -t and tar set it), is decoded again,
	// not taken from the cache: its change time gives it away.
	p0 := paths["0"]
	st, _ := os.Stat(p0)
	orig, _ := os.ReadFile(p0)
	if err := os.WriteFile(p0, make([]byte, len(orig)), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p0, st.ModTime(), st.ModTime())
	var bad []string
	replaced, err := LoadAll(ix, Loader{Size: 8, Channels: 3, Resize: ResizeCrop, Cache: c}, 2, func(path string, err error) error {
		bad = append(bad, path)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	replaced.Close()
	if runtime.GOOS == "linux" && (len(bad) != 1 || !strings.HasSuffix(bad[0], filepath.Join("c0", "0.png"))) {
		t.Errorf("a file replaced under its old size and time: unreadable %v, want it found and decoded again", bad)
	}
	os.WriteFile(p0, orig, 0o644)

	tests := []struct {
		name   string
		change func()
		l      Loader
	}{
		{"changed file", func() {
			writeFixture(t, dir, "c1", "1", 12, 10, func(x, y int) color.Color { return color.NRGBA{1, 2, 3, 255} })
			later := time.Now().Add(time.Minute)
			os.Chtimes(paths["1"], later, later)
		}, l},
		{"added file", func() {
			writeFixture(t, dir, "c2", "new", 20, 14, func(x, y int) color.Color { return color.NRGBA{200, uint8(x), 9, 255} })
		}, l},
		{"other size", func() {}, Loader{Size: 6, Channels: 3, Resize: ResizeCrop}},
		{"other channels", func() {}, Loader{Size: 8, Channels: 1, Resize: ResizeCrop}},
		{"other resize", func() {}, Loader{Size: 8, Channels: 3, Resize: ResizePad}},
		{"back to the first", func() {}, l},
	}
	for _, tt := range tests {
		tt.change()
		cached, direct := loadBoth(t, dir, tt.l, c)
		sameImages(t, tt.name, cached, direct)
	}
	packs, err := c.Info()
	if err != nil || len(packs) != 4 {
		t.Fatalf("info: %v packs, %v; want 4 (one per preprocessing)", packs, err)
	}
	// Each pack says its folder and preprocessing as fields, for scripts.
	abs, _ := filepath.Abs(dir)
	var got []string
	for _, p := range packs {
		if !p.Used || p.Folder != abs || p.MaxPixels != 0 {
			t.Errorf("pack %+v: want used, of folder %s", p, abs)
		}
		got = append(got, fmt.Sprintf("%d×%d %s", p.Channels, p.Size, p.Resize))
	}
	slices.Sort(got)
	if want := []string{"1×8 crop", "3×6 crop", "3×8 crop", "3×8 pad"}; !slices.Equal(got, want) {
		t.Errorf("packs' preprocessing %v, want %v", got, want)
	}

	// Damage is repaired, not trusted, and said: a block overwritten in
	// place (the file's size unchanged, which only the block checksums can
	// see), a blocks file that lost data, an unreadable index, an index of
	// the format before checksums.
	var warnings []string
	c.Warn = func(msg string) { warnings = append(warnings, msg) }
	ix, _ = Scan(dir)
	name, _ := packName(ix.Root, l)
	pix, idx := filepath.Join(cdir, name+".pix"), filepath.Join(cdir, name+".idx")
	for _, d := range []struct {
		name, says string
		damage     func()
	}{
		{"overwritten block", "1 image(s) no longer match their checksum", func() {
			// A block the index names: blocks are appended as images finish
			// decoding, and some hold changed files' old images, unread.
			pk, err := readPackIndex(idx, l.Len())
			if err != nil || len(pk.entries) == 0 {
				t.Fatalf("pack index: %v", err)
			}
			block := -1
			for _, e := range pk.entries {
				block = max(block, e.block)
			}
			f, _ := os.OpenFile(pix, os.O_RDWR, 0)
			f.WriteAt([]byte{0xa5, 0x5a, 0xa5, 0x5a, 0xa5, 0x5a, 0xa5, 0x5a}, int64(block*l.Len())+5)
			f.Close()
		}},
		{"truncated blocks", "is shorter than its index", func() { os.Truncate(pix, 10) }},
		{"garbage index", "not a cache index", func() { os.WriteFile(idx, []byte("garbage!"), 0o644) }},
		{"old index", "without block checksums", func() {
			b, _ := os.ReadFile(idx)
			os.WriteFile(idx, append([]byte("SIAMIDX1"), b[len(idxMagic):]...), 0o644)
		}},
	} {
		warnings = nil
		d.damage()
		cached, direct = loadBoth(t, dir, l, c)
		sameImages(t, d.name, cached, direct)
		if len(warnings) != 1 || !strings.Contains(warnings[0], d.says) {
			t.Errorf("%s: warnings %q, want one saying %q", d.name, warnings, d.says)
		}
		// Repaired: the next load finds everything and says nothing.
		warnings = nil
		cached, direct = loadBoth(t, dir, l, c)
		sameImages(t, d.name+", then again", cached, direct)
		if len(warnings) != 0 {
			t.Errorf("%s: the repaired pack warned again: %q", d.name, warnings)
		}
	}
	c.Warn = nil

	freed, err := c.Clear()
	if err != nil || freed == 0 {
		t.Fatalf("clear freed %d bytes, %v", freed, err)
	}
	if packs, _ := c.Info(); len(packs) != 0 {
		t.Errorf("%d packs after clear", len(packs))
	}
}

// TestCacheSkipsMemory checks images held in memory (no file times) load
// without the cache and leave it empty.
func TestCacheSkipsMemory(t *testing.T) {
	ix, err := FromImages("memory", []MemoryClass{
		{Name: "a", Images: []image.Image{image.NewGray(image.Rect(0, 0, 3, 3))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := OpenCache(t.TempDir())
	im, err := LoadAll(ix, Loader{Size: 4, Channels: 1, Cache: c}, 1, nil, nil)
	if err != nil || im.Len() != 1 {
		t.Fatalf("%v, %v", im, err)
	}
	if packs, _ := c.Info(); len(packs) != 0 {
		t.Errorf("%d packs for an in-memory set", len(packs))
	}
}

// TestCacheFailureFallsBack: when the cache itself fails (here its folder
// is a file; in use, another process clearing it mid-run), LoadAll warns
// and decodes without it instead of failing a run the cache only speeds up.
func TestCacheFailureFallsBack(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, "c0", "0", 8, 8, func(x, y int) color.Color { return color.Gray{uint8(10 * x)} })
	writeFixture(t, dir, "c1", "0", 8, 8, func(x, y int) color.Color { return color.Gray{uint8(10 * y)} })
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	c := &Cache{Dir: notDir, Warn: func(m string) { warnings = append(warnings, m) }}
	cached, direct := loadBoth(t, dir, Loader{Size: 4, Channels: 1}, c)
	sameImages(t, "fallback", cached, direct)
	// A second load (train's validation part after its training part)
	// goes without the cache at once, not failing and warning again.
	again, _ := loadBoth(t, dir, Loader{Size: 4, Channels: 1}, c)
	sameImages(t, "fallback again", again, direct)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "decoding without the cache") {
		t.Errorf("warnings %q, want one saying the images were decoded without the cache", warnings)
	}
}

// TestCacheFailureAfterDecoding: a cache that fails once the images are
// decoded (its blocks file cannot be put in place) falls back to decoding
// without it, and a bad image is reported to onBad once, not again by the
// second decoding.
func TestCacheFailureAfterDecoding(t *testing.T) {
	dir, cdir := t.TempDir(), t.TempDir()
	writeFixture(t, dir, "c0", "0", 8, 8, func(x, y int) color.Color { return color.Gray{uint8(10 * x)} })
	writeFixture(t, dir, "c1", "0", 8, 8, func(x, y int) color.Color { return color.Gray{uint8(10 * y)} })
	if err := os.WriteFile(filepath.Join(dir, "c1", "bad.png"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := Loader{Size: 4, Channels: 1}
	ix, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := packName(ix.Root, l)
	// A folder, not empty, where the blocks file goes: the rename fails.
	if err := os.MkdirAll(filepath.Join(cdir, name+".pix", "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	var warnings, reported []string
	l.Cache = &Cache{Dir: cdir, Warn: func(m string) { warnings = append(warnings, m) }}
	im, err := LoadAll(ix, l, 2, func(p string, _ error) error { reported = append(reported, filepath.Base(p)); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if im.Len() != 2 || !slices.Equal(reported, []string{"bad.png"}) || len(warnings) != 1 || !strings.Contains(warnings[0], "decoding without the cache") {
		t.Errorf("%d images, bad images reported %q, warnings %q; want 2, bad.png once, and one warning", im.Len(), reported, warnings)
	}
}

// TestCacheKeepsPixelLimit: a lower --max-pixels refuses images that an
// earlier run cached under the default limit; they are not served from
// its pack.
func TestCacheKeepsPixelLimit(t *testing.T) {
	ix, c, _ := fourImages(t, 12)
	for _, tc := range []struct {
		maxPixels, loaded int
	}{{0, 4}, {100, 0}, {0, 4}, {DefaultMaxPixels, 4}, {120, 4}} { // the images are 12×10 = 120 pixels
		refused := 0
		im, err := LoadAll(ix, Loader{Size: 8, Channels: 1, MaxPixels: tc.maxPixels, Cache: c}, 1, func(string, error) error { refused++; return nil }, nil)
		if err != nil {
			t.Fatalf("limit %d: %v", tc.maxPixels, err)
		}
		if im.Len() != tc.loaded || refused != 4-tc.loaded {
			t.Errorf("limit %d: %d images loaded, %d refused; want %d loaded", tc.maxPixels, im.Len(), refused, tc.loaded)
		}
		im.Close()
	}
}

// TestCacheInfoNamesOldPacks: cache info tells a pack of an older siamese
// (which no run reads) and an unreadable one from a pack in use, and how
// to free them.
func TestCacheInfoNamesOldPacks(t *testing.T) {
	dir := t.TempDir()
	writeBytes := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeBytes("0123456789abcdef.idx", []byte("SIAMIDX1 and the rest of an old index"))
	writeBytes("fedcba9876543210.idx", []byte("garbage"))
	packs, err := (&Cache{Dir: dir}).Info()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"0123456789abcdef": "an older siamese's pack, not used (siamese cache clear removes it)",
		"fedcba9876543210": "unreadable index (siamese cache clear removes it)",
	}
	if len(packs) != 2 {
		t.Fatalf("packs %+v", packs)
	}
	for _, p := range packs {
		if p.What != want[p.Name] {
			t.Errorf("pack %s: %q, want %q", p.Name, p.What, want[p.Name])
		}
	}
}

// TestCachePacksAreReadableByAll: a pack's files are 0644 like any file
// the user makes, so another account sharing the cache folder reads them.
func TestCachePacksAreReadableByAll(t *testing.T) {
	ix, c, cdir := fourImages(t, 6)
	im, err := LoadAll(ix, Loader{Size: 4, Channels: 1, Cache: c}, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	im.Close()
	files, _ := filepath.Glob(filepath.Join(cdir, "*.*"))
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".lock") {
			continue
		}
		n++
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, %v; want 0644", f, st.Mode().Perm(), err)
		}
	}
	if n != 2 {
		t.Errorf("pack files %v, want an index and its blocks", files)
	}
}

// TestCacheRemovesStaleTemporaries: the temporary files a stopped run
// left for a pack (Ctrl-C ends a run at once while it decodes) go when
// the pack is next used; another pack's stay.
func TestCacheRemovesStaleTemporaries(t *testing.T) {
	ix, c, cdir := fourImages(t, 6)
	l := Loader{Size: 4, Channels: 1}
	name, _ := packName(ix.Root, l)
	stale := []string{"." + name + ".pix-123", "." + name + ".idx.tmp-456"}
	other := ".0000000000000000.pix-789"
	for _, n := range append(stale, other) {
		if err := os.WriteFile(filepath.Join(cdir, n), []byte("half a pack"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l.Cache = c
	im, err := LoadAll(ix, l, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	im.Close()
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(cdir, n)); err == nil {
			t.Errorf("%s is still there", n)
		}
	}
	if _, err := os.Stat(filepath.Join(cdir, other)); err != nil {
		t.Errorf("another pack's temporary file went: %v", err)
	}
	// cache info shows what is left, and cache clear takes it, but not a
	// user's own dot-file that looks alike.
	packs, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(packs, func(p CachePack) bool { return p.Name == other }); i < 0 || packs[i].Bytes != int64(len("half a pack")) {
		t.Errorf("cache info %+v does not show %s", packs, other)
	}
	mine := filepath.Join(cdir, ".notes.pix-keep")
	if err := os.WriteFile(mine, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(cdir); len(left) != 1 || left[0].Name() != ".notes.pix-keep" {
		t.Errorf("after clear: %v, want only the user's file", left)
	}
}

// fourImages writes four side×(side-2) gray images in two classes and
// returns the folder's index and a cache in a folder of its own.
func fourImages(t *testing.T, side int) (*Index, *Cache, string) {
	t.Helper()
	dir, cdir := t.TempDir(), t.TempDir()
	for i := range 4 {
		writeFixture(t, dir, fmt.Sprintf("c%d", i%2), fmt.Sprint(i), side, side-2, func(x, y int) color.Color { return color.Gray{uint8(10*x + 20*y)} })
	}
	c, err := OpenCache(cdir)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ix, c, cdir
}

// TestCacheInfoNamesOtherVersionsPacks: a pack that a version decoding
// images otherwise wrote (its name is not its description's under this
// version) is named as not used, while the pack this version wrote is
// described.
func TestCacheInfoNamesOtherVersionsPacks(t *testing.T) {
	ix, c, cdir := fourImages(t, 6)
	im, err := LoadAll(ix, Loader{Size: 4, Channels: 1, Cache: c}, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	im.Close()
	idx, _ := filepath.Glob(filepath.Join(cdir, "*.idx"))
	if len(idx) != 1 {
		t.Fatalf("index files %v, want one", idx)
	}
	b, err := os.ReadFile(idx[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cdir, "1111111111111111.idx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	packs, err := c.Info()
	if err != nil || len(packs) != 2 {
		t.Fatalf("packs %+v, %v", packs, err)
	}
	for _, p := range packs {
		old := p.Name == "1111111111111111"
		if got := p.What == "an older siamese's pack, not used (siamese cache clear removes it)"; got != old || p.Used == old {
			t.Errorf("pack %s: %q, used %v", p.Name, p.What, p.Used)
		}
	}
}
