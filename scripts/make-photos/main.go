// Command make-photos writes a synthetic folder of colour photos for the
// memory and speed benchmarks of large data sets (issue 13):
//
//	go run ./scripts/make-photos -n 200000 -size 128 -out data/photos200k
//
// Image i belongs to class i mod -classes and is written as
// OUT/cNNNN/iNNNNNNN.jpg, so -n 20000 and -n 200000 give the same classes
// with 20 and 200 images each. A class is a coloured shape (disc, ring,
// cross, ellipse or a regular polygon of 3 to 8 sides) of its own size and
// colours on a background texture of its own (stripes, checks, dots,
// concentric rings, a gradient or plain), all drawn from a generator seeded
// by the class number. Each image moves, scales and turns the shape, shifts
// the colours and adds pixel noise, from a generator seeded by the image
// number: the same flags write the same bytes.
//
// Rendering and JPEG encoding run on every CPU (-workers).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

type rgb [3]float64

// class is what every image of one class shares.
type class struct {
	shape    int // 0 disc, 1 ring, 2 cross, 3 ellipse, 4.. polygon of shape-1 sides (3..8)
	radius   float64
	fg       rgb
	bg1, bg2 rgb
	texture  int // 0 stripes, 1 checks, 2 dots, 3 rings, 4 gradient, 5 plain
	period   float64
	angle    float64 // of the texture
	ca, sa   float64 // its cosine and sine
	aspect   float64 // ellipse and cross arm width
}

const nShapes = 4 + 6 // disc, ring, cross, ellipse, polygons with 3..8 sides

func randColour(r *rand.Rand) rgb {
	return rgb{float64(r.IntN(256)), float64(r.IntN(256)), float64(r.IntN(256))}
}

func dist(a, b rgb) float64 {
	return math.Abs(a[0]-b[0]) + math.Abs(a[1]-b[1]) + math.Abs(a[2]-b[2])
}

func newClass(seed uint64, k int) class {
	r := rand.New(rand.NewPCG(seed, uint64(k)*0x9e3779b97f4a7c15+1))
	c := class{
		shape:   r.IntN(nShapes),
		radius:  0.22 + 0.14*r.Float64(),
		texture: r.IntN(6),
		period:  6 + 18*r.Float64(),
		angle:   math.Pi * r.Float64(),
		aspect:  0.35 + 0.3*r.Float64(),
	}
	c.ca, c.sa = math.Cos(c.angle), math.Sin(c.angle)
	c.bg1, c.bg2 = randColour(r), randColour(r)
	// The shape stands out from both background colours.
	for c.fg = randColour(r); dist(c.fg, c.bg1) < 150 || dist(c.fg, c.bg2) < 150; c.fg = randColour(r) {
	}
	return c
}

// inside reports whether (x, y), in shape coordinates (the shape's centre at
// the origin, its radius 1), is in the shape.
func (c *class) inside(x, y float64, normals [][2]float64) bool {
	switch c.shape {
	case 0:
		return x*x+y*y <= 1
	case 1:
		d := x*x + y*y
		return d <= 1 && d >= 0.45
	case 2:
		w := c.aspect * 0.6
		return (math.Abs(x) <= w && math.Abs(y) <= 1) || (math.Abs(y) <= w && math.Abs(x) <= 1)
	case 3:
		return x*x+y*y/(c.aspect*c.aspect+0.2) <= 1
	}
	// A regular polygon: inside every edge's half plane.
	ap := math.Cos(math.Pi / float64(len(normals)))
	for _, n := range normals {
		if x*n[0]+y*n[1] > ap {
			return false
		}
	}
	return true
}

func (c *class) background(x, y float64, size float64) float64 {
	// t in [0, 1]: how much of bg2.
	u := x*c.ca + y*c.sa
	switch c.texture {
	case 0:
		if math.Mod(u+1000*c.period, c.period) < c.period/2 {
			return 1
		}
		return 0
	case 1:
		v := -x*c.sa + y*c.ca
		a := int(math.Floor(u/c.period)) + int(math.Floor(v/c.period))
		return float64(a & 1)
	case 2:
		v := -x*c.sa + y*c.ca
		du := math.Mod(u+1000*c.period, c.period) - c.period/2
		dv := math.Mod(v+1000*c.period, c.period) - c.period/2
		if du*du+dv*dv < c.period*c.period/10 {
			return 1
		}
		return 0
	case 3:
		d := math.Sqrt(x*x + y*y)
		if math.Mod(d, c.period) < c.period/2 {
			return 1
		}
		return 0
	case 4:
		return math.Min(1, math.Max(0, 0.5+u/size))
	}
	return 0
}

// texPad is the margin of a class's texture tile on either side: the
// texture slides by up to a period (at most 24 px) from image to image.
const texPad = 25

// tile draws the class's background texture once: size+2*texPad columns by
// size rows of how much of bg2 (0..256) each pixel takes.
func (c *class) tile(size int) []int32 {
	w := size + 2*texPad
	t := make([]int32, w*size)
	for y := range size {
		for x := range w {
			t[y*w+x] = int32(math.Round(256 * c.background(float64(x-texPad), float64(y), float64(size))))
		}
	}
	return t
}

// render draws image i of class c, whose texture tile is tex, into img.
func render(img *image.RGBA, c *class, tex []int32, seed uint64, i int) {
	r := rand.New(rand.NewPCG(seed^0xa5a5a5a5, uint64(i)))
	w := img.Rect.Dx()
	size := float64(w)
	cx := size/2 + (r.Float64()*2-1)*size*0.12
	cy := size/2 + (r.Float64()*2-1)*size*0.12
	rad := c.radius * size * (0.8 + 0.35*r.Float64())
	rot := (r.Float64()*2 - 1) * math.Pi / 6
	cs, sn := math.Cos(rot), math.Sin(rot)
	jit := func(col rgb) [3]int32 {
		b := 0.85 + 0.3*r.Float64()
		var o [3]int32
		for k := range col {
			o[k] = int32(math.Round(col[k]*b + (r.Float64()*2-1)*15))
		}
		return o
	}
	fg, bg1, bg2 := jit(c.fg), jit(c.bg1), jit(c.bg2)
	shift := int(math.Round((r.Float64()*2 - 1) * c.period)) // the texture slides
	var normals [][2]float64
	if c.shape >= 4 {
		n := c.shape - 1
		for k := range n {
			a := 2 * math.Pi * (float64(k) + 0.5) / float64(n)
			normals = append(normals, [2]float64{math.Cos(a), math.Sin(a)})
		}
	}
	noise := r.Uint64() | 1
	next := func() uint64 { // xorshift
		noise ^= noise << 13
		noise ^= noise >> 7
		noise ^= noise << 17
		return noise
	}
	put := func(o int, col [3]int32, nz uint64) {
		for k := range 3 {
			v := col[k] + int32((nz>>(8*k))&15) - 8 // pixel noise, -8..7
			img.Pix[o+k] = uint8(min(255, max(0, v)))
		}
		img.Pix[o+3] = 255
	}
	tw := w + 2*texPad
	var col [3]int32
	for py := range w {
		row := tex[py*tw+texPad+shift:]
		for px := range w {
			t := row[px]
			for k := range 3 {
				col[k] = bg1[k] + (t*(bg2[k]-bg1[k]))>>8
			}
			put(py*img.Stride+px*4, col, next())
		}
	}
	x0, x1 := max(0, int(cx-rad*1.1)), min(w, int(cx+rad*1.1)+2)
	y0, y1 := max(0, int(cy-rad*1.1)), min(w, int(cy+rad*1.1)+2)
	for py := y0; py < y1; py++ {
		for px := x0; px < x1; px++ {
			x, y := float64(px)-cx, float64(py)-cy
			if c.inside((x*cs+y*sn)/rad, (-x*sn+y*cs)/rad, normals) {
				put(py*img.Stride+px*4, fg, next())
			}
		}
	}
}

func main() {
	n := flag.Int("n", 20000, "images to write")
	size := flag.Int("size", 128, "image side in pixels")
	classes := flag.Int("classes", 1000, "classes (image i is in class i mod classes)")
	out := flag.String("out", "data/photos", "folder to write OUT/<class>/<image>.jpg into")
	quality := flag.Int("quality", 90, "JPEG quality")
	seed := flag.Uint64("seed", 1, "seed of the classes and images")
	workers := flag.Int("workers", runtime.NumCPU(), "images rendered at once")
	flag.Parse()
	if *n < 1 || *size < 8 || *classes < 1 || *workers < 1 {
		log.Fatal("make-photos: want -n >= 1, -size >= 8, -classes >= 1, -workers >= 1")
	}
	k := min(*classes, *n)
	cls := make([]class, k)
	tiles := make([][]int32, k)
	once := make([]sync.Once, k)
	for c := range cls {
		cls[c] = newClass(*seed, c)
		if err := os.MkdirAll(filepath.Join(*out, fmt.Sprintf("c%04d", c)), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	start := time.Now()
	var next, written atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *workers)
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img := image.NewRGBA(image.Rect(0, 0, *size, *size))
			var buf bytes.Buffer
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				c := i % k
				once[c].Do(func() { tiles[c] = cls[c].tile(*size) })
				render(img, &cls[c], tiles[c], *seed, i)
				buf.Reset()
				if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: *quality}); err != nil {
					errs <- err
					return
				}
				p := filepath.Join(*out, fmt.Sprintf("c%04d", c), fmt.Sprintf("i%07d.jpg", i))
				if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
					errs <- err
					return
				}
				if w := written.Add(1); w%20000 == 0 {
					el := time.Since(start).Seconds()
					fmt.Fprintf(os.Stderr, "make-photos: %d/%d images, %.0f images/s\n", w, *n, float64(w)/el)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		log.Fatal(err)
	}
	el := time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "make-photos: wrote %d images of %dx%d in %d classes to %s in %.1fs (%.0f images/s)\n",
		*n, *size, *size, k, *out, el, float64(*n)/el)
}
