//go:build linux

package dataset

import (
	"fmt"
	"image/color"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
)

// rssFileKiB is the process's file-backed resident memory: the pages of
// mapped files it has touched.
func rssFileKiB(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	m := regexp.MustCompile(`(?m)^RssFile:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Skip("/proc/self/status has no RssFile")
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeImages writes n small PNGs in 10 classes under a new folder.
func writeImages(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		writeFixture(t, dir, fmt.Sprintf("c%d", i%10), fmt.Sprintf("%05d", i), 4, 4, func(x, y int) color.Color {
			return color.NRGBA{uint8(i), uint8(i >> 8), uint8(16*x + y), 255}
		})
	}
	return dir
}

// Issue 13: reading images from a cache pack must not make the process's
// memory grow with the pack. A mapped pack did: every touched page, and the
// 64 KiB the kernel maps around it, counted in RSS, so a run's peak grew by
// about 2 KiB per image of the data set.
func TestCacheReadsDoNotGrowRSS(t *testing.T) {
	const n = 400 // 400 images of 3×64×64 bytes: a 4.7 MiB pack
	dir := writeImages(t, n)
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l := Loader{Size: 64, Channels: 3, Cache: c}
	for _, run := range []string{"cold", "warm"} {
		ix, err := Scan(dir)
		if err != nil {
			t.Fatal(err)
		}
		im, err := LoadAll(ix, l, 2, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, l.Len())
		im.ImageInto(dst, 0) // the code's own pages, before measuring
		before := rssFileKiB(t)
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dst := make([]float32, l.Len())
				for _, i := range rand.New(rand.NewPCG(uint64(g), 1)).Perm(n) {
					im.ImageInto(dst, i)
				}
			}()
		}
		wg.Wait()
		grew := rssFileKiB(t) - before
		if err := im.Close(); err != nil {
			t.Fatal(err)
		}
		if grew > 1024 {
			t.Errorf("%s: file-backed RSS grew by %d KiB reading %d images (%d KiB of pack)", run, grew, n, n*l.Len()/1024)
		}
	}
}

// BenchmarkCacheLoadWarm is a second run's load of 2,000 images: scan, stat,
// index lookup. Its bytes per op over the image count is what a data set
// costs the heap per image before training starts.
func BenchmarkCacheLoadWarm(b *testing.B) {
	const n = 2000
	dir := writeImages(b, n)
	c, err := OpenCache(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	l := Loader{Size: 16, Channels: 3, Cache: c}
	load := func() *Images {
		ix, err := Scan(dir)
		if err != nil {
			b.Fatal(err)
		}
		im, err := LoadAll(ix, l, 2, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		return im
	}
	load().Close() // cold: fills the cache
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		load().Close()
	}
}
