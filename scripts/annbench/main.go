// Command annbench measures the HNSW index of internal/ann on synthetic
// galleries: build time, file size, load time, per-query latency (p50,
// p99) and recall@k against an exact scan, at several efSearch values.
//
//	go run ./scripts/annbench                       # 1,000,000 clustered 128-wide vectors
//	go run ./scripts/annbench -n 200000 -uniform    # uniform vectors, the hard case
//
// Clustered data is a mixture of Gaussian clusters: centres drawn from
// N(0, 1) per dimension, members at spread -sigma around them, which is
// the shape the embeddings of a gallery of many classes take. Queries are
// fresh draws from the same distribution, not gallery vectors. Queries run
// one at a time on one goroutine, as one request does in serve; the build
// uses -workers goroutines. Everything is seeded: the same flags give the
// same vectors, queries and graph.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siamese-dev/siamese/internal/ann"
)

type options struct {
	n, dim, clusters, queries, k int
	sigma                        float64
	uniform                      bool
	efs                          []int
	p                            ann.Params
	workers                      int
	dir                          string
}

func main() {
	var o options
	var efs string
	o.p = ann.DefaultParams()
	flag.IntVar(&o.n, "n", 1_000_000, "gallery vectors")
	flag.IntVar(&o.dim, "dim", 128, "vector width")
	flag.IntVar(&o.clusters, "clusters", 10_000, "Gaussian clusters")
	flag.Float64Var(&o.sigma, "sigma", 1, "spread of a cluster around its centre (centres are N(0,1))")
	flag.BoolVar(&o.uniform, "uniform", false, "N(0,1) vectors with no clusters instead")
	flag.IntVar(&o.queries, "queries", 1000, "queries")
	flag.IntVar(&o.k, "k", 10, "neighbours per query (recall@k)")
	flag.StringVar(&efs, "ef", "64,128", "efSearch values, comma-separated")
	flag.IntVar(&o.p.M, "m", o.p.M, "graph M")
	flag.IntVar(&o.p.EfConstruction, "efc", o.p.EfConstruction, "efConstruction")
	flag.IntVar(&o.workers, "workers", 0, "build goroutines (0: GOMAXPROCS)")
	flag.StringVar(&o.dir, "dir", "", "folder for the index file (default: a temporary folder, removed after)")
	flag.Parse()
	for _, f := range strings.Split(efs, ",") {
		ef, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || ef < 1 {
			fmt.Fprintf(os.Stderr, "annbench: -ef %q: want positive whole numbers\n", efs)
			os.Exit(2)
		}
		o.efs = append(o.efs, ef)
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "annbench: %v\n", err)
		os.Exit(1)
	}
}

// draw returns n+queries vectors; the first n are the gallery.
func draw(o options) [][]float32 {
	r := rand.New(rand.NewPCG(1, 2))
	total := o.n + o.queries
	flat := make([]float32, total*o.dim)
	out := make([][]float32, total)
	var centres [][]float32
	if !o.uniform {
		centres = make([][]float32, o.clusters)
		for c := range centres {
			centres[c] = make([]float32, o.dim)
			for j := range centres[c] {
				centres[c][j] = float32(r.NormFloat64())
			}
		}
	}
	for i := range out {
		v := flat[i*o.dim : (i+1)*o.dim : (i+1)*o.dim]
		if o.uniform {
			for j := range v {
				v[j] = float32(r.NormFloat64())
			}
		} else {
			c := centres[r.IntN(o.clusters)]
			for j := range v {
				v[j] = c[j] + float32(o.sigma*r.NormFloat64())
			}
		}
		out[i] = v
	}
	return out
}

func run(o options) error {
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "annbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	data := "clustered (" + strconv.Itoa(o.clusters) + " clusters, sigma " + strconv.FormatFloat(o.sigma, 'g', -1, 64) + ")"
	if o.uniform {
		data = "uniform N(0,1)"
	}
	fmt.Printf("data: %d vectors of %d values, %s; %d queries; M=%d efConstruction=%d; GOMAXPROCS=%d, %s/%s\n",
		o.n, o.dim, data, o.queries, o.p.M, o.p.EfConstruction, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	all := draw(o)
	gallery, queries := all[:o.n], all[o.n:]

	ix, err := ann.NewIndex(o.dim, o.p)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := ix.Add(gallery, o.workers); err != nil {
		return err
	}
	build := time.Since(start)
	path := filepath.Join(dir, ann.IndexName("annbench"))
	start = time.Now()
	if err := ann.WriteFile(path, ix, nil); err != nil {
		return err
	}
	save := time.Since(start)
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	ix = nil
	runtime.GC()
	start = time.Now()
	ix, _, err = ann.ReadFile(path)
	if err != nil {
		return err
	}
	load := time.Since(start)
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fmt.Printf("build %.1f s (%d workers), save %.2f s, file %.1f MB, load %.2f s\n",
		build.Seconds(), workers, save.Seconds(), float64(st.Size())/1e6, load.Seconds())

	// The truth: an exact scan per query, queries spread over the cores.
	start = time.Now()
	truth := make([][]int, len(queries))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				for _, h := range ann.Scan(queries[i], gallery, o.k) {
					truth[i] = append(truth[i], h.Pos)
				}
			}
		}()
	}
	for i := range queries {
		next <- i
	}
	close(next)
	wg.Wait()
	scan := time.Since(start)
	fmt.Printf("exact scan: %.1f ms per query (%d queries over %d goroutines)\n",
		scan.Seconds()*1000*float64(runtime.GOMAXPROCS(0))/float64(len(queries)), len(queries), runtime.GOMAXPROCS(0))

	for _, ef := range o.efs {
		if err := ix.SetEfSearch(ef); err != nil {
			return err
		}
		lat := make([]time.Duration, len(queries))
		found := 0
		for i, q := range queries {
			t0 := time.Now()
			res, err := ix.Search(q, o.k)
			lat[i] = time.Since(t0)
			if err != nil {
				return err
			}
			for _, r := range res {
				if slices.Contains(truth[i], r.ID) {
					found++
				}
			}
		}
		slices.Sort(lat)
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		fmt.Printf("efSearch %4d: recall@%d %.4f, latency p50 %.3f ms, p99 %.3f ms, mean %.3f ms\n", ef, o.k,
			float64(found)/float64(o.k*len(queries)), ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(sum/time.Duration(len(lat))))
	}
	return nil
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }
