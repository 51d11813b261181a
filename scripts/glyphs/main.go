// Command glyphs renders characters from installed font files as an
// open-set image-folder benchmark: one class per character, one image per
// font, split into train and test by class (no character is in both).
//
//	go run ./scripts/glyphs [-out data/glyphs] [font files or dirs...]
//
// With no arguments it reads /usr/share/fonts. scripts/fetch-openset.sh
// installs the fonts and runs it; see that script for the data set as a whole.
//
// Rules, so that a run on the same fonts gives the same set:
//   - Fonts: .ttf, .otf and .ttc files; one face per legacy style only
//     (Regular, Bold, Italic, Bold Italic): faces whose full name names a
//     weight or width (Light, Medium, Condensed, ...) are skipped. A face that
//     draws a probe string the same as a face already kept (mean pixel
//     difference under -dup) is skipped as a near copy (FreeSans of Nimbus
//     Sans, TeX Gyre of URW, ...). A face must have at least -min-chars of
//     the characters to be used.
//   - A (font, character) pair is skipped when the font maps the character
//     to no glyph, to an empty outline, or to something drawn like .notdef.
//   - Scale: one per font, so that the font's accented capitals and
//     descenders (ÅÉÂÕ, gjpqy, ...) fit the image with -margin pixels to
//     spare; every glyph of a font sits on the same baseline and is centred
//     horizontally. So o and O, or p and P, keep their size difference
//     rather than being blown up to the same shape. A glyph that would not
//     fit (too wide, too tall) is shrunk and moved into the box on its own.
//   - Black glyph on white, 8-bit grey PNG, -size pixels square.
//   - A picture drawn exactly the same for two or more characters (italic
//     Cyrillic т and Latin m, и and u, ...) is dropped from all of them.
//   - Characters drawn by at least -min-fonts fonts are kept.
//   - Split: class names are U+XXXX; a class goes to train when the 32-bit
//     FNV-1a hash of its name, mod 100, is below -train-pct, else to test.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	"image/draw"
	"image/png"
	"io/fs"
	"log"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// chars returns the candidate characters: Latin letters and digits, ASCII
// symbols large enough to see at 32 px, Latin-1 letters and signs, a few
// Latin Extended-A letters with their own shapes, and the Greek and Cyrillic
// letters that are not drawn like a Latin (or already listed Greek) letter.
func chars() []rune {
	var rs []rune
	add := func(s string) { rs = append(rs, []rune(s)...) }
	add("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	add("abcdefghijklmnopqrstuvwxyz")
	add("0123456789")
	add("!#$%&()*+/<=>?@[\\]^{}~")
	add("¡¢£¥§©«®°±¶»¿×÷") // Latin-1 signs (µ is μ, so it is left out)
	add("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞß")
	add("àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ")
	add("đĦħıŁłŊŋŒœſ") // not Đ (Ð)
	add("€")
	add("ΓΔΘΛΞΠΣΦΨΩ")
	add("αβγδεζηθιλμξπρσςτυφχψω") // not ο (o), ν (v), κ (к)
	add("БДЖЗИЙЛУЦЧШЩЪЫЬЭЮЯЄҐ")   // not those drawn like A, B, E, K, ..., Γ, Π, Φ, Ï
	add("бвгджзийклмнптфцчшщъыьэюяєґ")
	return rs
}

var (
	out      = flag.String("out", "data/glyphs", "output folder; train/ and test/ are written below it")
	size     = flag.Int("size", 32, "image side in pixels")
	margin   = flag.Float64("margin", 2, "blank pixels kept on each side")
	minFonts = flag.Int("min-fonts", 10, "keep a character only when at least this many fonts draw it")
	minChars = flag.Int("min-chars", 60, "use a font only when it draws at least this many of the characters")
	trainPct = flag.Uint("train-pct", 70, "percentage of classes (by FNV-1a hash of the name) that go to train")
	dupTol   = flag.Float64("dup", 0.03, "a face whose probe drawing differs from a kept one by less than this mean (0-1) is a near copy")
)

// Faces whose full name names one of these weights or widths are skipped, to
// keep the styles of a family to Regular, Bold, Italic and Bold Italic.
var skipStyle = regexp.MustCompile(`(?i)thin|hairline|extra ?light|ultra ?light|light|medium|semi ?bold|demi|extra ?bold|ultra ?bold|black|heavy|condensed|narrow|compressed|expanded|extended|semi|ultra|\bmath\b|symbol|dingbat|emoji|display|slanted|small ?caps|\bsc\b|caption|subhead|poster|swash|shadow|outline|keyboard|initials|d050000l`)

type face struct {
	file, name, id string
	f              *sfnt.Font
	buf            sfnt.Buffer
	glyphs         map[rune]sfnt.GlyphIndex
	bounds         map[rune]fixed.Rectangle26_6
	notdef         []byte
	top, bottom    fixed.Int26_6 // lineBox, once computed
}

const refPPEM = 1000 // load outlines at this many pixels per em, then scale

func main() {
	log.SetFlags(0)
	log.SetPrefix("glyphs: ")
	flag.Parse()
	roots := flag.Args()
	if len(roots) == 0 {
		roots = []string{"/usr/share/fonts"}
	}
	var files []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".ttf", ".otf", ".ttc":
				if !d.IsDir() {
					files = append(files, p)
				}
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	sort.Strings(files)
	want := chars()

	var faces []*face
	seenName := map[string]bool{}
	var sigs [][]byte
	skipped := map[string]int{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			log.Fatal(err)
		}
		coll, err := sfnt.ParseCollection(data)
		if err != nil {
			skipped["unreadable"]++
			continue
		}
		for i := 0; i < coll.NumFonts(); i++ {
			f, err := coll.Font(i)
			if err != nil {
				skipped["unreadable"]++
				continue
			}
			fc := &face{file: file, f: f}
			fam, _ := f.Name(&fc.buf, sfnt.NameIDFamily)
			sub, _ := f.Name(&fc.buf, sfnt.NameIDSubfamily)
			full, _ := f.Name(&fc.buf, sfnt.NameIDFull)
			ps, _ := f.Name(&fc.buf, sfnt.NameIDPostScript)
			if full == "" {
				full = strings.TrimSpace(fam + " " + sub)
			}
			fc.name = full
			if skipStyle.MatchString(full) || skipStyle.MatchString(sub) {
				skipped["style"]++
				continue
			}
			key := strings.ToLower(fam + "|" + sub)
			if seenName[key] {
				skipped["same name"]++
				continue
			}
			if !fc.load(want) {
				skipped["too few characters"]++
				continue
			}
			sig := fc.signature()
			if i := nearCopy(sig, sigs); i >= 0 {
				log.Printf("skip %s (%s): near copy of %s", full, file, faces[i].name)
				skipped["near copy"]++
				continue
			}
			seenName[key] = true
			sigs = append(sigs, sig)
			fc.id = safeName(ps, full)
			faces = append(faces, fc)
		}
	}
	if len(faces) == 0 {
		log.Fatal("no usable fonts found")
	}
	// Unique image names per class.
	used := map[string]int{}
	for _, fc := range faces {
		if n := used[fc.id]; n > 0 {
			used[fc.id]++
			fc.id = fmt.Sprintf("%s_%d", fc.id, n+1)
		} else {
			used[fc.id] = 1
		}
	}

	// Count fonts per character; render only the kept ones.
	count := map[rune]int{}
	for _, fc := range faces {
		for r := range fc.glyphs {
			count[r]++
		}
	}
	tmp := *out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		log.Fatal(err)
	}
	var manifest strings.Builder
	fmt.Fprintf(&manifest, "# class\tchar\tsplit\timages\n")
	stats := map[string][2]int{}
	// Render every kept character; a picture drawn the same for two or more
	// characters (italic Cyrillic т and Latin m, say) is dropped from all of
	// them, so that no image stands for two classes.
	type pic struct {
		id  string
		img *image.Gray
	}
	pics := map[rune][]pic{}
	owners := map[string]map[rune]bool{}
	for _, r := range want {
		if count[r] < *minFonts {
			continue
		}
		for _, fc := range faces {
			if img := fc.render(r); img != nil {
				pics[r] = append(pics[r], pic{fc.id, img})
				k := string(img.Pix)
				if owners[k] == nil {
					owners[k] = map[rune]bool{}
				}
				owners[k][r] = true
			}
		}
	}
	shared := 0
	for _, r := range want {
		if count[r] < *minFonts {
			continue
		}
		class := fmt.Sprintf("U+%04X", r)
		split := "test"
		h := fnv.New32a()
		h.Write([]byte(class))
		if uint(h.Sum32()%100) < *trainPct {
			split = "train"
		}
		dir := filepath.Join(tmp, split, class)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		n := 0
		for _, p := range pics[r] {
			if len(owners[string(p.img.Pix)]) > 1 {
				shared++
				continue
			}
			var b bytes.Buffer
			if err := png.Encode(&b, p.img); err != nil {
				log.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, p.id+".png"), b.Bytes(), 0o644); err != nil {
				log.Fatal(err)
			}
			n++
		}
		if n < *minFonts { // pictures failed the ink checks or were shared
			if err := os.RemoveAll(dir); err != nil {
				log.Fatal(err)
			}
			continue
		}
		s := stats[split]
		stats[split] = [2]int{s[0] + 1, s[1] + n}
		fmt.Fprintf(&manifest, "%s\t%c\t%s\t%d\n", class, r, split, n)
	}
	var fonts strings.Builder
	fmt.Fprintf(&fonts, "# image name\tfont\tfile\tcharacters drawn\n")
	for _, fc := range faces {
		fmt.Fprintf(&fonts, "%s\t%s\t%s\t%d\n", fc.id, fc.name, fc.file, len(fc.glyphs))
	}
	for name, text := range map[string]string{"classes.tsv": manifest.String(), "fonts.tsv": fonts.String()} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if err := os.RemoveAll(*out); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		log.Fatal(err)
	}
	var sk []string
	for k, v := range skipped {
		sk = append(sk, fmt.Sprintf("%s %d", k, v))
	}
	slices.Sort(sk)
	log.Printf("%d font files, %d faces used (skipped: %s); %d pictures dropped as drawn the same for two characters", len(files), len(faces), strings.Join(sk, ", "), shared)
	for _, split := range []string{"train", "test"} {
		fmt.Printf("glyphs %s: %d classes, %d images (%s)\n", split, stats[split][0], stats[split][1], filepath.Join(*out, split))
	}
}

// load finds the face's glyphs among want; it reports whether there are
// enough of them.
func (fc *face) load(want []rune) bool {
	fc.glyphs = map[rune]sfnt.GlyphIndex{}
	fc.bounds = map[rune]fixed.Rectangle26_6{}
	ppem := fixed.I(refPPEM)
	fc.notdef = fc.rasterGlyph(0, nil)
	for _, r := range want {
		gi, err := fc.f.GlyphIndex(&fc.buf, r)
		if err != nil || gi == 0 {
			continue
		}
		segs, err := fc.f.LoadGlyph(&fc.buf, gi, ppem, nil)
		if err != nil || len(segs) == 0 {
			continue
		}
		b, _, err := fc.f.GlyphBounds(&fc.buf, gi, ppem, font.HintingNone)
		if err != nil || b.Max.X <= b.Min.X || b.Max.Y <= b.Min.Y {
			continue
		}
		// Some fonts map characters they lack to a box of their own.
		if fc.notdef != nil && bytes.Equal(fc.rasterGlyph(gi, nil), fc.notdef) {
			continue
		}
		fc.glyphs[r] = gi
		fc.bounds[r] = b
	}
	return len(fc.glyphs) >= *minChars
}

// rasterGlyph draws glyph gi scaled on its own to fill the image (used to
// compare glyphs: .notdef look-alikes, near-copy fonts). With a nil place it
// fits the glyph's bounds into the box.
func (fc *face) rasterGlyph(gi sfnt.GlyphIndex, place *placement) []byte {
	ppem := fixed.I(refPPEM)
	segs, err := fc.f.LoadGlyph(&fc.buf, gi, ppem, nil)
	if err != nil || len(segs) == 0 {
		return nil
	}
	if place == nil {
		b, _, err := fc.f.GlyphBounds(&fc.buf, gi, ppem, font.HintingNone)
		if err != nil || b.Max.X <= b.Min.X || b.Max.Y <= b.Min.Y {
			return nil
		}
		place = fit(b, b.Min.Y, b.Max.Y)
	}
	n := *size
	z := vector.NewRasterizer(n, n)
	z.DrawOp = draw.Src
	pt := func(p fixed.Point26_6) (float32, float32) {
		x := (float64(p.X)/64-place.cx)*place.k + float64(n)/2
		y := (float64(p.Y)/64)*place.k + place.baseline
		return float32(x), float32(y)
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			z.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			z.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			z.QuadTo(x1, y1, x2, y2)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			x3, y3 := pt(s.Args[2])
			z.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	z.ClosePath()
	dst := image.NewAlpha(image.Rect(0, 0, n, n))
	z.Draw(dst, dst.Bounds(), image.Opaque, image.Point{})
	return dst.Pix
}

// placement maps outline coordinates (pixels at refPPEM, y down) to the
// image: x' = (x-cx)*k + size/2, y' = y*k + baseline.
type placement struct{ cx, k, baseline float64 }

// fit places a glyph with bounds b so that the vertical range [top, bottom]
// (outline units, y down) fills the box less the margins, and the glyph's
// ink is centred horizontally. A glyph that would then overflow the box
// (too wide, or reaching above top or below bottom) is shrunk and moved just
// enough to fit.
func fit(b fixed.Rectangle26_6, top, bottom fixed.Int26_6) *placement {
	lo, hi := *margin, float64(*size)-*margin
	box := hi - lo
	k := box / (float64(bottom-top) / 64)
	baseline := lo - float64(top)/64*k
	w := float64(b.Max.X-b.Min.X) / 64
	y0, y1 := float64(b.Min.Y)/64, float64(b.Max.Y)/64
	if s := min(box/(w*k), box/((y1-y0)*k)); s < 1 {
		// Shrink about the glyph's vertical centre.
		cy := (y0+y1)/2*k + baseline
		k *= s
		baseline = cy - (y0+y1)/2*k
	}
	if over := lo - (y0*k + baseline); over > 0 {
		baseline += over
	} else if over := (y1*k + baseline) - hi; over > 0 {
		baseline -= over
	}
	return &placement{cx: float64(b.Min.X+b.Max.X) / 128, k: k, baseline: baseline}
}

// render draws character r as a grey image, or returns nil when the face
// lacks it or the drawing has too little ink.
func (fc *face) render(r rune) *image.Gray {
	gi, ok := fc.glyphs[r]
	if !ok {
		return nil
	}
	top, bottom := fc.lineBox()
	pix := fc.rasterGlyph(gi, fit(fc.bounds[r], top, bottom))
	if pix == nil {
		return nil
	}
	ink := 0
	img := image.NewGray(image.Rect(0, 0, *size, *size))
	for i, a := range pix {
		img.Pix[i] = 255 - a
		if a >= 128 {
			ink++
		}
	}
	if ink < 3 {
		return nil
	}
	return img
}

// lineBox returns the vertical range, outline units at refPPEM, that is
// scaled to the image's height for every glyph of the face: from the top of
// the tallest to the bottom of the deepest of a few ordinary letters
// (accented capitals, descenders), so that one odd glyph (a tall bracket, a
// swash) does not shrink all the others. Glyphs beyond it are fitted alone.
func (fc *face) lineBox() (top, bottom fixed.Int26_6) {
	if fc.top != 0 || fc.bottom != 0 {
		return fc.top, fc.bottom
	}
	top, bottom = fixed.Int26_6(math.MaxInt32), fixed.Int26_6(math.MinInt32)
	for _, r := range "AHOÅÉÂÕgjpqyÇ" {
		if b, ok := fc.bounds[r]; ok {
			top = min(top, b.Min.Y)
			bottom = max(bottom, b.Max.Y)
		}
	}
	if top >= bottom { // none of them: use all the face's glyphs
		for _, b := range fc.bounds {
			top = min(top, b.Min.Y)
			bottom = max(bottom, b.Max.Y)
		}
	}
	fc.top, fc.bottom = top, bottom
	return top, bottom
}

// probe is drawn to spot fonts that are near copies of each other.
const probe = "AaBbGgQRSek&5"

// signature is the probe drawn glyph by glyph, each fitted to the box; a
// missing glyph leaves a nil entry.
func (fc *face) signature() []byte {
	var sig []byte
	for _, r := range probe {
		gi, ok := fc.glyphs[r]
		var pix []byte
		if ok {
			pix = fc.rasterGlyph(gi, nil)
		}
		if pix == nil {
			pix = make([]byte, *size**size)
			for i := range pix {
				pix[i] = 1 // marks "missing": never counted as equal below
			}
		}
		sig = append(sig, pix...)
	}
	return sig
}

// nearCopy returns the index of a kept signature that sig nearly equals, or -1.
func nearCopy(sig []byte, kept [][]byte) int {
	per := *size * *size
	for i, k := range kept {
		var diff float64
		shared := 0
		for g := 0; g < len(probe); g++ {
			a, b := sig[g*per:(g+1)*per], k[g*per:(g+1)*per]
			if a[0] == 1 && bytes.Count(a, []byte{1}) == per || b[0] == 1 && bytes.Count(b, []byte{1}) == per {
				continue
			}
			shared++
			for j := range a {
				diff += math.Abs(float64(a[j]) - float64(b[j]))
			}
		}
		if shared >= 6 && diff/float64(shared*per)/255 < *dupTol {
			return i
		}
	}
	return -1
}

// safeName makes a file-name-safe face name, from the PostScript name when
// there is one.
func safeName(ps, full string) string {
	s := ps
	if s == "" {
		s = full
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case c == ' ' || c == '.':
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "font"
	}
	return b.String()
}
