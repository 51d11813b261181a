// Command loadtest sends compare requests to a local `siamese serve` and
// reports requests per second and latency percentiles at several numbers
// of concurrent clients. It only ever talks to loopback addresses, and
// each level is bounded in requests and in time.
//
//	go run ./scripts/loadtest -url http://127.0.0.1:8080 -a x.png -b y.png -clients 1,8,32
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	url      string
	a, b     string
	clients  []int
	requests int
	duration time.Duration
	warmup   int
}

func main() {
	var o options
	var clients string
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	flag.StringVar(&o.a, "a", "", "first image of each compare request")
	flag.StringVar(&o.b, "b", "", "second image of each compare request")
	flag.StringVar(&clients, "clients", "1,8,32", "comma-separated numbers of concurrent clients")
	flag.IntVar(&o.requests, "requests", 5000, "most requests per level")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "longest time per level")
	flag.IntVar(&o.warmup, "warmup", 200, "requests sent before measuring")
	flag.Parse()
	for _, c := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > 1024 {
			fmt.Fprintf(os.Stderr, "loadtest: -clients %q: want whole numbers from 1 to 1024\n", clients)
			os.Exit(2)
		}
		o.clients = append(o.clients, n)
	}
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(1)
	}
}

// checkLoopback refuses any host that is not a loopback address: this
// tool is for measuring one's own server, not for loading others'.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q: want http://HOST:PORT", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q: only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed", raw)
	}
	return nil
}

func compareBody(a, b string) (string, []byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range []struct{ field, path string }{{"a", a}, {"b", b}} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return "", nil, fmt.Errorf("image %s: %w", f.field, err)
		}
		w, err := mw.CreateFormFile(f.field, f.path)
		if err != nil {
			return "", nil, err
		}
		w.Write(data)
	}
	if err := mw.Close(); err != nil {
		return "", nil, err
	}
	return mw.FormDataContentType(), buf.Bytes(), nil
}

func run(o options, out io.Writer) error {
	if err := checkLoopback(o.url); err != nil {
		return err
	}
	if o.a == "" || o.b == "" {
		return errors.New("-a and -b must name two images")
	}
	ctype, body, err := compareBody(o.a, o.b)
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024},
	}
	target := strings.TrimSuffix(o.url, "/") + "/v1/compare"
	send := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	for range o.warmup {
		if err := send(context.Background()); err != nil {
			return fmt.Errorf("warm-up request: %w", err)
		}
	}
	fmt.Fprintf(out, "%-8s %10s %10s %10s %10s %8s\n", "clients", "requests", "req/s", "p50 ms", "p99 ms", "errors")
	for _, c := range o.clients {
		r := level(send, c, o.requests, o.duration)
		fmt.Fprintf(out, "%-8d %10d %10.0f %10.2f %10.2f %8d\n", c, r.n, r.perSecond, r.p50, r.p99, r.errors)
		if r.firstErr != nil {
			fmt.Fprintf(out, "  first error: %v\n", r.firstErr)
		}
	}
	return nil
}

type result struct {
	n, errors int
	perSecond float64
	p50, p99  float64 // milliseconds
	firstErr  error
}

// level runs c clients until requests have been sent or d has passed.
func level(send func(context.Context) error, c, requests int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, requests/c+1)
			for next.Add(1) <= int64(requests) && ctx.Err() == nil {
				t := time.Now()
				err := send(ctx)
				if ctx.Err() != nil {
					break // cut off by the time limit, not a server error
				}
				mu.Lock()
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
				}
				mu.Unlock()
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	return result{n: len(lat), errors: errs, perSecond: float64(len(lat)) / elapsed.Seconds(),
		p50: pct(0.50), p99: pct(0.99), firstErr: firstErr}
}
