package dataset

import (
	"bufio"
	"fmt"
	"image"
	"slices"

	"github.com/disintegration/imaging"
)

// Bounds of the size chosen from the data: below 28 px a tower has nothing
// to pool; above 128 px training on 2 cores gets slow for what it gains.
const (
	MinAutoSize = 28
	MaxAutoSize = 128
	// DefaultSample is how many files Defaults looks at.
	DefaultSample = 50
)

// Choice is a preprocessing setting chosen from the data, with the reason
// that `train` prints.
type Choice struct {
	Channels int
	Size     int
	Resize   string
	// Why each was chosen, one line each for the user.
	ChannelsWhy, SizeWhy, ResizeWhy string
	Sampled                         int // images decoded to decide
}

// Defaults looks at up to sample files of ix, spread over its classes
// (one of each class in turn, in index order, so the choice is the same
// every run), and chooses:
//
//   - channels: 3 when any sampled image has a pixel whose red, green and
//     blue differ, else 1;
//   - size: the median of the sampled images' shorter sides, clamped to
//     [MinAutoSize, MaxAutoSize] and rounded to the nearest multiple of 4
//     (so the reference tower's two 2×2 poolings divide it): 28×28 digits
//     keep 28;
//   - resize: crop when more than half of the sampled images are over 5%
//     off square (long side / short side > 1.05), else squash, which for a
//     square image is a plain scaling.
//
// Files that fail to decode, or have more than maxPixels pixels (0: the
// default limit), are left out of the sample (loading reports them later);
// with none readable Defaults returns an error naming the folder.
func Defaults(ix *Index, sample, maxPixels int) (Choice, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if sample <= 0 {
		sample = DefaultSample
	}
	byClass := make([][]int, len(ix.Classes))
	for i, it := range ix.Items {
		byClass[it.Class] = append(byClass[it.Class], i)
	}
	var pick []int
	for k := 0; len(pick) < sample; k++ {
		added := false
		for _, items := range byClass {
			if k < len(items) && len(pick) < sample {
				pick = append(pick, items[k])
				added = true
			}
		}
		if !added {
			break
		}
	}
	var shorter []int
	colour, nonSquare := 0, 0
	for _, i := range pick {
		img, err := decodeSample(ix, maxPixels, ix.Items[i].Path)
		if err != nil {
			continue
		}
		b := img.Bounds()
		short, long := min(b.Dx(), b.Dy()), max(b.Dx(), b.Dy())
		shorter = append(shorter, short)
		if float64(long) > 1.05*float64(short) {
			nonSquare++
		}
		if !isGray(img) {
			colour++
		}
	}
	n := len(shorter)
	if n == 0 {
		return Choice{}, fmt.Errorf("data %s: none of the %d sampled images could be decoded to choose --channels and --size", ix.Root, len(pick))
	}
	c := Choice{Sampled: n, Channels: 1, Resize: ResizeSquash}
	if colour > 0 {
		c.Channels = 3
		c.ChannelsWhy = fmt.Sprintf("%d of %d sampled images are colour", colour, n)
	} else {
		c.ChannelsWhy = fmt.Sprintf("all %d sampled images are gray", n)
	}
	slices.Sort(shorter)
	med := shorter[n/2]
	if n%2 == 0 {
		med = (shorter[n/2-1] + shorter[n/2]) / 2
	}
	c.Size = (min(max(med, MinAutoSize), MaxAutoSize) + 2) / 4 * 4
	c.SizeWhy = fmt.Sprintf("median shorter side of %d sampled images is %d px (kept within %d..%d, a multiple of 4)", n, med, MinAutoSize, MaxAutoSize)
	if 2*nonSquare > n {
		c.Resize = ResizeCrop
		c.ResizeWhy = fmt.Sprintf("%d of %d sampled images are not square (over 5%%): scale the shorter side, centre-crop", nonSquare, n)
	} else {
		c.ResizeWhy = fmt.Sprintf("%d of %d sampled images are square (within 5%%): scale to size x size", n-nonSquare, n)
	}
	return c, nil
}

func decodeSample(ix *Index, maxPixels int, p string) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: decoder panicked: %v", p, r)
		}
	}()
	f, err := ix.FS.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Check the header first: a sample must not decode a huge file whole.
	br := bufio.NewReader(f)
	if cfg, _, err := image.DecodeConfig(br); err != nil || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%s: not decodable or too large", p)
	}
	f2, err := ix.FS.Open(p)
	if err != nil {
		return nil, err
	}
	defer f2.Close()
	return imaging.Decode(bufio.NewReader(f2), imaging.AutoOrientation(true))
}

// isGray reports whether every pixel of img has equal red, green and blue.
func isGray(img image.Image) bool {
	switch m := img.(type) {
	case *image.Gray, *image.Gray16:
		return true
	case *image.YCbCr:
		// Neutral chroma everywhere is exactly gray.
		for _, v := range m.Cb {
			if v != 128 {
				return false
			}
		}
		for _, v := range m.Cr {
			if v != 128 {
				return false
			}
		}
		return true
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != g || g != bl {
				return false
			}
		}
	}
	return true
}
