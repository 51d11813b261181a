// Command icons builds an open-set image-folder benchmark from installed
// freedesktop icon themes: one class per icon name, one image per theme
// family, split into train and test by class (no name is in both).
//
//	go run ./scripts/icons [-out data/icons] [-root /usr/share/icons]
//
// scripts/fetch-openset.sh installs the themes and runs it.
//
// Rules, so that a run on the same themes gives the same set:
//   - Themes: folders of -root with an index.theme, except hicolor (the
//     fallback every package fills) and those listed in -skip. Variants of
//     one theme count once (see family): Papirus, Papirus-Dark, ePapirus...
//     are one family, as are gnome-colors' colour variants; the first theme
//     of a family in name order that has an icon gives its image.
//   - An icon counts for a theme only when the theme draws it itself: its
//     file, links followed, lies in the theme's folder and has the icon's
//     own name (aliases like gtk-print -> printer are not new classes).
//     Symbolic (monochrome) icons, sizes under 32 px and the contexts in
//     -skip-context (default mimetypes: document icons told apart only by a
//     label too small to read) are left out.
//   - Picture: an SVG is rendered with rsvg-convert at 48x48 (in the
//     folder whose size is nearest 48); with no SVG, the largest PNG of 32 px
//     or more is scaled to fit 48x48 (Catmull-Rom). Either is composited on
//     white, so transparency does not turn black, and written as RGB PNG.
//     Pictures that are almost blank, or nearly equal (mean difference under
//     -dup) to one already kept for the same name, are dropped.
//   - A picture drawn exactly the same for two or more names (copies in a
//     theme: media-cdr and media-dvd, ...) is dropped from all of them.
//   - Names with pictures from at least -min-themes families are kept.
//   - Split: a name goes to train when the 32-bit FNV-1a hash of the name,
//     mod 100, is below -train-pct, else to test.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	xdraw "golang.org/x/image/draw"
)

var (
	out         = flag.String("out", "data/icons", "output folder; train/ and test/ are written below it")
	root        = flag.String("root", "/usr/share/icons", "folder of installed icon themes")
	size        = flag.Int("size", 48, "image side in pixels")
	minThemes   = flag.Int("min-themes", 5, "keep an icon name only when at least this many theme families draw it")
	trainPct    = flag.Uint("train-pct", 75, "percentage of names (by FNV-1a hash) that go to train")
	dupTol      = flag.Float64("dup", 0.02, "a picture whose mean difference (0-1) to one kept for the same name is under this is a near copy")
	skip        = flag.String("skip", "hicolor,default,locolor", "comma-separated theme folders to leave out")
	skipContext = flag.String("skip-context", "mimetypes,mimes,mime", "comma-separated context folders to leave out")
	workers     = flag.Int("workers", 2, "pictures rendered at once")
)

var sizeDir = regexp.MustCompile(`^(\d+)(?:x\d+)?(?:@\d+x?)?$`)

// family names the theme a variant belongs to.
func family(theme string) string {
	t := strings.ToLower(theme)
	t = strings.TrimPrefix(t, "epapirus") // ePapirus, ePapirus-Dark
	if t != strings.ToLower(theme) {
		t = "papirus" + t
	}
	for _, suffix := range []string{"-dark", "-light", "-darker", "-darkest", "-mono", "-ambiance", "-radiance"} {
		t = strings.TrimSuffix(t, suffix)
	}
	switch t {
	case "gnome-brave", "gnome-dust", "gnome-human", "gnome-illustrious", "gnome-noble", "gnome-wine", "gnome-wise", "gnome-colors-common":
		return "gnome-colors"
	}
	return t
}

// candidate is one file that draws an icon in a theme.
type candidate struct {
	path    string
	nominal int // folder size in px; scalable counts as 1000
	svg     bool
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("icons: ")
	flag.Parse()
	skipped := map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		skipped[strings.ToLower(strings.TrimSpace(s))] = true
	}
	skipCtx := map[string]bool{}
	for _, s := range strings.Split(*skipContext, ",") {
		skipCtx[strings.ToLower(strings.TrimSpace(s))] = true
	}
	entries, err := os.ReadDir(*root)
	if err != nil {
		log.Fatal(err)
	}
	var themes []string
	for _, e := range entries {
		if !e.IsDir() || skipped[strings.ToLower(e.Name())] {
			continue
		}
		if _, err := os.Stat(filepath.Join(*root, e.Name(), "index.theme")); err != nil {
			continue
		}
		themes = append(themes, e.Name())
	}
	sort.Strings(themes)

	// best[family][name] is the picture each family gives a name.
	best := map[string]map[string]candidate{}
	famOrder := []string{}
	for _, theme := range themes {
		fam := family(theme)
		if best[fam] == nil {
			best[fam] = map[string]candidate{}
			famOrder = append(famOrder, fam)
		}
		own := scanTheme(filepath.Join(*root, theme), skipCtx)
		for name, c := range own {
			if _, ok := best[fam][name]; !ok {
				best[fam][name] = c
			}
		}
		log.Printf("theme %s (family %s): %d icons", theme, fam, len(own))
	}
	count := map[string]int{}
	for _, m := range best {
		for name := range m {
			count[name]++
		}
	}
	var names []string
	for name, n := range count {
		if n >= *minThemes {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	log.Printf("%d theme families; %d names drawn by %d or more", len(famOrder), len(names), *minThemes)

	// Render.
	type job struct {
		name, fam string
		c         candidate
	}
	type result struct {
		job
		img *image.RGBA
	}
	jobs := make(chan job)
	results := make(chan result)
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				img, err := picture(j.c)
				if err != nil {
					log.Printf("skip %s: %v", j.c.path, err)
				}
				results <- result{j, img}
			}
		}()
	}
	go func() {
		for _, name := range names {
			for _, fam := range famOrder {
				if c, ok := best[fam][name]; ok {
					jobs <- job{name, fam, c}
				}
			}
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	pics := map[string]map[string]*image.RGBA{}
	for r := range results {
		if r.img == nil || blank(r.img) {
			continue
		}
		if pics[r.name] == nil {
			pics[r.name] = map[string]*image.RGBA{}
		}
		pics[r.name][r.fam] = r.img
	}

	tmp := *out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		log.Fatal(err)
	}
	var manifest strings.Builder
	fmt.Fprintf(&manifest, "# class\tsplit\timages\tthemes\n")
	stats := map[string][2]int{}
	// A picture drawn exactly the same for two or more names (a theme's
	// copies: media-cdr and media-dvd, printer and document-print) is
	// dropped from all of them, so that no image stands for two classes.
	owners := map[string]map[string]bool{}
	for name, m := range pics {
		for _, img := range m {
			k := string(img.Pix)
			if owners[k] == nil {
				owners[k] = map[string]bool{}
			}
			owners[k][name] = true
		}
	}
	shared := 0
	for _, m := range pics {
		for fam, img := range m {
			if len(owners[string(img.Pix)]) > 1 {
				delete(m, fam)
				shared++
			}
		}
	}
	log.Printf("%d pictures dropped as drawn the same for two or more names", shared)
	for _, name := range names {
		var kept []*image.RGBA
		var keptFam []string
		for _, fam := range famOrder { // fixed order, so near-copy drops are repeatable
			img := pics[name][fam]
			if img == nil || slices.ContainsFunc(kept, func(k *image.RGBA) bool { return diff(k, img) < *dupTol }) {
				continue
			}
			kept = append(kept, img)
			keptFam = append(keptFam, fam)
		}
		if len(kept) < *minThemes {
			continue
		}
		split := "test"
		h := fnv.New32a()
		h.Write([]byte(name))
		if uint(h.Sum32()%100) < *trainPct {
			split = "train"
		}
		dir := filepath.Join(tmp, split, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		for i, img := range kept {
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil { // opaque, so written as RGB
				log.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, keptFam[i]+".png"), b.Bytes(), 0o644); err != nil {
				log.Fatal(err)
			}
		}
		s := stats[split]
		stats[split] = [2]int{s[0] + 1, s[1] + len(kept)}
		fmt.Fprintf(&manifest, "%s\t%s\t%d\t%s\n", name, split, len(kept), strings.Join(keptFam, ","))
	}
	if err := os.WriteFile(filepath.Join(tmp, "classes.tsv"), []byte(manifest.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.RemoveAll(*out); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		log.Fatal(err)
	}
	for _, split := range []string{"train", "test"} {
		fmt.Printf("icons %s: %d classes, %d images (%s)\n", split, stats[split][0], stats[split][1], filepath.Join(*out, split))
	}
}

// scanTheme returns, per icon name, the file the theme itself draws it with.
func scanTheme(dir string, skipCtx map[string]bool) map[string]candidate {
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil
	}
	own := map[string]candidate{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		parts := strings.Split(rel, string(filepath.Separator))
		if d.IsDir() {
			if skipCtx[strings.ToLower(d.Name())] || strings.Contains(strings.ToLower(d.Name()), "symbolic") {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		var svg bool
		switch ext {
		case ".png":
		case ".svg", ".svgz":
			svg = true
		default:
			return nil
		}
		name := strings.TrimSuffix(d.Name(), filepath.Ext(d.Name()))
		if strings.HasSuffix(name, "-symbolic") || strings.HasPrefix(name, ".") {
			return nil
		}
		nominal := 0
		for _, part := range parts[:len(parts)-1] {
			if part == "scalable" {
				nominal = 1000
			} else if m := sizeDir.FindStringSubmatch(part); m != nil {
				nominal, _ = strconv.Atoi(m[1])
			}
		}
		if nominal < 32 {
			return nil
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil || !strings.HasPrefix(real, realDir+string(filepath.Separator)) {
			return nil // dangling, or drawn by another theme
		}
		if strings.TrimSuffix(filepath.Base(real), filepath.Ext(real)) != name {
			return nil // an alias of another name
		}
		c := candidate{path: p, nominal: nominal, svg: svg}
		if old, ok := own[name]; !ok || better(c, old) {
			own[name] = c
		}
		return nil
	})
	return own
}

// better reports whether c makes a better 48 px picture than old: an SVG
// over a PNG; among SVGs the folder size nearest 48 (at least 32); among
// PNGs the largest; ties by path.
func better(c, old candidate) bool {
	if c.svg != old.svg {
		return c.svg
	}
	if c.svg {
		dc, do := abs(c.nominal-48), abs(old.nominal-48)
		if dc != do {
			return dc < do
		}
	} else if c.nominal != old.nominal {
		return c.nominal > old.nominal
	}
	return c.path < old.path
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// picture renders c on white at size x size.
func picture(c candidate) (*image.RGBA, error) {
	var src image.Image
	if c.svg {
		cmd := exec.Command("rsvg-convert", "-w", strconv.Itoa(*size), "-h", strconv.Itoa(*size), "--keep-aspect-ratio", c.path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		data, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("rsvg-convert: %v %s", err, strings.TrimSpace(stderr.String()))
		}
		src, err = png.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
	} else {
		f, err := os.Open(c.path)
		if err != nil {
			return nil, err
		}
		src, err = png.Decode(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		b := src.Bounds()
		if min(b.Dx(), b.Dy()) < 32 {
			return nil, fmt.Errorf("%dx%d is under 32 px", b.Dx(), b.Dy())
		}
	}
	n := *size
	dst := image.NewRGBA(image.Rect(0, 0, n, n))
	xdraw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, xdraw.Src)
	b := src.Bounds()
	// Fit, keeping the aspect ratio, centred.
	w, h := n, n
	if b.Dx() > b.Dy() {
		h = int(math.Round(float64(n) * float64(b.Dy()) / float64(b.Dx())))
	} else if b.Dy() > b.Dx() {
		w = int(math.Round(float64(n) * float64(b.Dx()) / float64(b.Dy())))
	}
	r := image.Rect((n-w)/2, (n-h)/2, (n-w)/2+w, (n-h)/2+h)
	if b.Dx() == w && b.Dy() == h {
		xdraw.Draw(dst, r, src, b.Min, xdraw.Over)
	} else {
		xdraw.CatmullRom.Scale(dst, r, src, b, xdraw.Over, nil)
	}
	return dst, nil
}

// blank reports whether img is (almost) one flat colour.
func blank(img *image.RGBA) bool {
	var sum, sum2 float64
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			v := float64(img.Pix[i+c])
			sum += v
			sum2 += v * v
			n++
		}
	}
	mean := sum / float64(n)
	return sum2/float64(n)-mean*mean < 4 // standard deviation under 2 levels
}

// diff is the mean absolute difference of two pictures, 0 to 1.
func diff(a, b *image.RGBA) float64 {
	var d float64
	for i := range a.Pix {
		d += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	return d / float64(len(a.Pix)) / 255
}
