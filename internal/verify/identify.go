package verify

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/siamese-dev/siamese/internal/ann"
	"github.com/siamese-dev/siamese/internal/metrics"
	"github.com/siamese-dev/siamese/internal/model"
)

// IdentifyOptions configures Identify.
type IdentifyOptions struct {
	Model   string
	Queries []string // images, or folders whose sub-folders name the queries' classes
	Gallery string   // the enrolled classes: a folder of class sub-folders
	// K is how many nearest gallery images each query looks at (at most
	// the gallery's); the prediction is the nearest one's class.
	K          int
	Threshold  float64 // NaN: the model's
	MaxPixels  int
	Strict     bool
	Exact      bool // see SearchOptions
	IndexAbove int
	EfSearch   int
	Warn       func(msg string)
	Progress   io.Writer
}

// Identification is what Identify says of one query.
type Identification struct {
	Query string `json:"query"`
	// Class is the query's own class, the name of the query folder's
	// sub-folder it is in; "" for a query given as a file.
	Class string `json:"class,omitempty"`
	// Predicted is the class of the nearest gallery image, at Distance;
	// Known says Distance is below the threshold: the query is taken for
	// that class, else for one not enrolled.
	Predicted string  `json:"predicted"`
	Nearest   string  `json:"nearest"`
	Distance  float64 `json:"distance"`
	Known     bool    `json:"known"`
	// Rank is where Class first comes among the K nearest images (1 for
	// the nearest), 0 when it does not or the query has no class.
	Rank int `json:"rank"`
}

// IdentifyResult is Identify's answer: a prediction per query and, where
// the queries' classes are known, how often they were right.
type IdentifyResult struct {
	Gallery        string           `json:"gallery"`
	GalleryImages  int              `json:"gallery_images"`
	GalleryClasses int              `json:"gallery_classes"`
	Threshold      float64          `json:"threshold"`
	K              int              `json:"k"`
	Results        []Identification `json:"results"`
	Skipped        int              `json:"skipped_files"`
	// Of the queries with a class that the gallery enrolls (Enrolled):
	// the share whose nearest image is of their class (Rank1), the share
	// with their class among the K nearest (TopK), and the share both
	// right and below the threshold (Accepted). Unenrolled counts the
	// queries of classes the gallery lacks, and Rejected the share of
	// them that the threshold turned away, as it should. Absent without
	// such queries.
	Enrolled   int      `json:"enrolled_queries"`
	Rank1      *float64 `json:"rank1_accuracy,omitempty"`
	Rank1Low   *float64 `json:"rank1_low,omitempty"` // its 95% Wilson interval over the queries
	Rank1High  *float64 `json:"rank1_high,omitempty"`
	TopK       *float64 `json:"top_k_accuracy,omitempty"`
	Accepted   *float64 `json:"accepted_right,omitempty"`
	Unenrolled int      `json:"unenrolled_queries"`
	Rejected   *float64 `json:"unenrolled_rejected,omitempty"`
}

// Identify embeds the gallery (through its cache, as Search does) and
// every query, and names each query's class by its nearest gallery image:
// the identification of new classes enrolled by a few images each, which
// the tower never saw in training. A query whose file is in the gallery is
// not matched with itself.
func Identify(o IdentifyOptions) (*IdentifyResult, error) {
	if o.K < 1 {
		return nil, fmt.Errorf("-k must be at least 1, got %d", o.K)
	}
	if o.IndexAbove < 0 || o.EfSearch < 0 {
		return nil, fmt.Errorf("--index-above and --ef-search must not be negative, got %d and %d", o.IndexAbove, o.EfSearch)
	}
	if len(o.Queries) == 0 {
		return nil, fmt.Errorf("no query images")
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	thr := m.Meta.Threshold
	if !math.IsNaN(o.Threshold) {
		thr = o.Threshold
	}
	g, err := OpenGallery(m, GalleryOptions{Model: o.Model, Dir: o.Gallery, MaxPixels: o.MaxPixels, Strict: o.Strict,
		IndexAbove: o.IndexAbove, EfSearch: o.EfSearch, ScanOnly: o.Exact, Warn: o.Warn, Progress: o.Progress})
	if err != nil {
		return nil, galleryFlagError(o.Gallery, err)
	}
	// Only images in class folders enroll a class; a loose one would
	// name no class.
	enrolled := map[string][]int{} // a class's images, by position in g.Files
	images := 0
	for pos, f := range g.Files {
		if f.Class != "" {
			enrolled[f.Class] = append(enrolled[f.Class], pos)
			images++
		}
	}
	if len(enrolled) == 0 {
		return nil, fmt.Errorf("gallery %s: no class folders; enroll each class as a folder of its images (%s/<class>/<image>)", o.Gallery, o.Gallery)
	}
	if loose := len(g.Files) - images; loose > 0 && o.Warn != nil {
		o.Warn(fmt.Sprintf("gallery %s: %d image(s) not in a class folder left out: they enroll no class", o.Gallery, loose))
	}
	k := min(o.K, images)
	q, err := embedPaths(m, EmbedOptions{Paths: o.Queries, MaxPixels: o.MaxPixels, Strict: o.Strict, Warn: o.Warn, Progress: o.Progress})
	if err != nil {
		return nil, err
	}
	res := &IdentifyResult{Gallery: o.Gallery, GalleryImages: images, GalleryClasses: len(enrolled), Threshold: thr, K: k,
		Skipped: g.Skipped + q.Skipped}
	var rank1, topK, accepted, rejected int
	same := newGalleryFiles(g.Files)
	// A query named twice counts once, as the one with a class if either
	// has (a file named alone has none; in a folder of classes, one).
	pick := map[string]int{}
	for i, f := range q.Files {
		if j, ok := pick[f.Path]; !ok || q.Files[j].Class == "" && f.Class != "" {
			pick[f.Path] = i
		}
	}
	for i, f := range q.Files {
		if pick[f.Path] != i {
			continue
		}
		vec := q.Vectors[i*q.Dim : (i+1)*q.Dim]
		self, _ := os.Stat(f.Path)
		// The k nearest images of a class that are not the query itself
		// (the gallery may hold it, even under several names): asked for
		// with room to spare, and again with more while too few are left.
		var near []ann.Hit
		for want := k + 1; ; want *= 2 {
			hits, err := g.Searcher.Nearest(vec, min(want, len(g.Files)), o.Exact)
			if err != nil {
				return nil, err
			}
			near = near[:0]
			for _, h := range hits {
				if len(near) < k && g.Files[h.Pos].Class != "" && !same.is(h.Pos, self) {
					near = append(near, h)
				}
			}
			if len(near) == k || want >= len(g.Files) {
				break
			}
		}
		if len(near) == 0 {
			return nil, fmt.Errorf("gallery %s: no image but the query %s itself", o.Gallery, f.Path)
		}
		id := Identification{Query: f.Path, Class: f.Class}
		for n, h := range near {
			gf := g.Files[h.Pos]
			if n == 0 {
				id.Predicted, id.Nearest, id.Distance, id.Known = gf.Class, gf.Path, h.Distance, h.Distance < thr
			}
			if id.Rank == 0 && f.Class != "" && gf.Class == f.Class {
				id.Rank = n + 1
			}
		}
		res.Results = append(res.Results, id)
		// Left out of the gallery, a query that was its class's only
		// image is of a class not enrolled: its right answer is "not
		// enrolled", not a class it cannot find.
		others := 0
		for _, pos := range enrolled[f.Class] {
			if !same.is(pos, self) {
				others++
			}
		}
		switch {
		case f.Class == "":
		case others > 0:
			res.Enrolled++
			if id.Rank == 1 {
				rank1++
				if id.Known {
					accepted++
				}
			}
			if id.Rank > 0 {
				topK++
			}
		default:
			res.Unenrolled++
			if !id.Known {
				rejected++
			}
		}
	}
	share := func(k, n int) *float64 {
		if n == 0 {
			return nil
		}
		v := float64(k) / float64(n)
		return &v
	}
	res.Rank1, res.TopK, res.Accepted = share(rank1, res.Enrolled), share(topK, res.Enrolled), share(accepted, res.Enrolled)
	if res.Rank1 != nil {
		lo, hi := metrics.Wilson95(*res.Rank1, res.Enrolled)
		res.Rank1Low, res.Rank1High = &lo, &hi
	}
	res.Rejected = share(rejected, res.Unenrolled)
	return res, nil
}
