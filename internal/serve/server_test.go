package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/network"
)

// tinyModel saves an untrained small tower: the plumbing is under test,
// not the accuracy.
func tinyModel(t testing.TB) string {
	t.Helper()
	spec := network.Spec{Size: 28, Channels: 1, Layers: []network.Layer{
		{Kind: network.KindConv, Filters: 4, Kernel: 3}, {Kind: network.KindReLU},
		{Kind: network.KindMaxPool, Size: 2}, {Kind: network.KindDense, Units: 8},
	}}
	net, err := network.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.safetensors")
	m := &model.Model{Meta: model.Meta{Spec: spec, Threshold: 0.5}, Net: net}
	if err := model.Save(path, m); err != nil {
		t.Fatal(err)
	}
	return path
}

// pngOf draws a w×h image whose pixels depend on seed.
func pngOf(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{uint8(x*7+y*3) ^ seed})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gallery writes a gallery of two classes of three images.
func galleryDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for c, class := range []string{"left", "right"} {
		if err := os.Mkdir(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			p := filepath.Join(dir, class, fmt.Sprintf("%d.png", i))
			if err := os.WriteFile(p, pngOf(t, 28, 28, uint8(c*100+i)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// start serves o on a loopback port until the test ends.
func start(t testing.TB, o Options) (base string, stop func()) {
	t.Helper()
	if o.Model == "" {
		o.Model = tinyModel(t)
	}
	if o.Threshold == 0 {
		o.Threshold = math.NaN()
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}

func multipartBody(t testing.TB, fields map[string][]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, data := range fields {
		fw, err := mw.CreateFormFile(name, name+".png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func jsonBody(t testing.TB, fields map[string][]byte) (string, []byte) {
	t.Helper()
	obj := map[string]string{}
	for name, data := range fields {
		obj[name] = base64.StdEncoding.EncodeToString(data)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return "application/json", b
}

// post sends a request and decodes its JSON answer.
func post(t testing.TB, url, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", url, err)
	}
	return resp.StatusCode, out
}

func TestRoutes(t *testing.T) {
	base, _ := start(t, Options{Gallery: galleryDir(t)})
	a, b := pngOf(t, 40, 30, 1), pngOf(t, 28, 28, 2)
	gal := pngOf(t, 28, 28, 101) // the same pixels as right/1.png
	type enc func(testing.TB, map[string][]byte) (string, []byte)
	tests := []struct {
		name   string
		path   string
		fields map[string][]byte
		check  func(t *testing.T, out map[string]any)
	}{
		{"compare", "/v1/compare", map[string][]byte{"a": a, "b": b}, func(t *testing.T, out map[string]any) {
			if d, ok := out["distance"].(float64); !ok || d <= 0 || out["threshold"] != 0.5 || out["similar"] != (d < 0.5) {
				t.Errorf("compare answered %v", out)
			}
		}},
		{"compare an image with itself", "/v1/compare", map[string][]byte{"a": a, "b": a}, func(t *testing.T, out map[string]any) {
			if d := out["distance"].(float64); d > 1e-2 || out["similar"] != true {
				t.Errorf("an image against itself: %v", out)
			}
		}},
		{"embed", "/v1/embed", map[string][]byte{"image": a}, func(t *testing.T, out map[string]any) {
			if e, ok := out["embedding"].([]any); !ok || len(e) != 8 {
				t.Errorf("embed answered %v", out)
			}
		}},
		{"search", "/v1/search?k=2", map[string][]byte{"image": gal}, func(t *testing.T, out map[string]any) {
			ns := out["neighbours"].([]any)
			first := ns[0].(map[string]any)
			if len(ns) != 2 || first["path"] != "right/1.png" || first["class"] != "right" || out["gallery_images"] != 6.0 {
				t.Errorf("search answered %v", out)
			}
			// When the gallery was read, which is all the answer knows.
			if at, err := time.Parse(time.RFC3339, fmt.Sprint(out["gallery_loaded"])); err != nil || time.Since(at) > time.Hour || time.Since(at) < -time.Minute {
				t.Errorf("gallery_loaded %v (%v), want the server's start", out["gallery_loaded"], err)
			}
		}},
	}
	for _, tc := range tests {
		for encName, e := range map[string]enc{"multipart": multipartBody, "json": jsonBody} {
			t.Run(tc.name+"/"+encName, func(t *testing.T) {
				ctype, body := e(t, tc.fields)
				code, out := post(t, base+tc.path, ctype, body)
				if code != http.StatusOK {
					t.Fatalf("status %d: %v", code, out)
				}
				tc.check(t, out)
			})
		}
	}
	// The same image in either encoding gives the same embedding.
	c1, b1 := multipartBody(t, map[string][]byte{"image": a})
	c2, b2 := jsonBody(t, map[string][]byte{"image": a})
	_, o1 := post(t, base+"/v1/embed", c1, b1)
	_, o2 := post(t, base+"/v1/embed", c2, b2)
	if fmt.Sprint(o1) != fmt.Sprint(o2) {
		t.Errorf("multipart and JSON embeddings differ: %v vs %v", o1, o2)
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	metrics := getMetrics(t, base)
	for _, want := range []string{
		`siamese_http_requests_total{code="200",route="compare"}`,
		`siamese_http_request_duration_seconds_bucket{route="embed"`,
		"siamese_batch_images_count",
		"siamese_forward_seconds_sum",
		"siamese_http_in_flight",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func getMetrics(t testing.TB, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metricValue reads one sample of the Prometheus text format.
func metricValue(t testing.TB, metrics, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestBadRequests(t *testing.T) {
	base, _ := start(t, Options{})
	img := pngOf(t, 28, 28, 1)
	mp := func(f map[string][]byte) (string, []byte) { return multipartBody(t, f) }
	js := func(f map[string][]byte) (string, []byte) { return jsonBody(t, f) }
	raw := func(ctype, body string) func() (string, []byte) {
		return func() (string, []byte) { return ctype, []byte(body) }
	}
	fields := func(enc func(map[string][]byte) (string, []byte), f map[string][]byte) func() (string, []byte) {
		return func() (string, []byte) { return enc(f) }
	}
	b64 := base64.StdEncoding.EncodeToString(img)
	mpTwice := func() (string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for range 2 {
			fw, _ := mw.CreateFormFile("image", "x.png")
			fw.Write(img)
		}
		mw.Close()
		return mw.FormDataContentType(), buf.String()
	}
	tests := []struct {
		name string
		path string
		body func() (string, []byte)
		code int
		want string
	}{
		{"not an image", "/v1/embed", fields(mp, map[string][]byte{"image": []byte("hello, world")}), 422, `field "image": not a valid image`},
		{"truncated PNG", "/v1/embed", fields(js, map[string][]byte{"image": img[:len(img)/2]}), 422, "not a valid image"},
		{"WebP", "/v1/embed", fields(js, map[string][]byte{"image": []byte("RIFF\x00\x00\x00\x00WEBPVP8 ")}), 422, "WebP"},
		{"empty image", "/v1/embed", fields(mp, map[string][]byte{"image": {}}), 422, "empty"},
		{"wrong field", "/v1/compare", fields(mp, map[string][]byte{"a": img, "c": img}), 400, `unknown field "c"`},
		{"missing field", "/v1/compare", fields(js, map[string][]byte{"a": img}), 400, `missing image field "b"`},
		{"unknown bytes", "/v1/embed", fields(js, map[string][]byte{"image": []byte("just some words, no picture")}), 422, "not a valid image"},
		{"bad base64", "/v1/embed", raw("application/json", `{"image":"***"}`), 400, "base64"},
		{"JSON array", "/v1/embed", raw("application/json", `[1,2]`), 400, "body must be a JSON object whose fields are base64 strings (image), got an array"},
		{"JSON string", "/v1/embed", raw("application/json", `"x"`), 400, "body must be a JSON object whose fields are base64 strings (image), got a string"},
		{"number field", "/v1/embed", raw("application/json", `{"image":5}`), 400, `field "image" must be a base64 string, got a number`},
		{"object field", "/v1/embed", raw("application/json", `{"image":{"data":"x"}}`), 400, `field "image" must be a base64 string, got an object`},
		{"null field", "/v1/embed", raw("application/json", `{"image":null}`), 400, `field "image" must be a base64 string, got null`},
		// Of several bad fields, the first in the body is reported.
		{"first bad field a", "/v1/compare", raw("application/json", `{"a":true,"b":[1]}`), 400, `field "a" must be a base64 string, got a boolean`},
		{"first bad field b", "/v1/compare", raw("application/json", `{"b":[1],"a":true}`), 400, `field "b" must be a base64 string, got an array`},
		{"unknown field first", "/v1/compare", raw("application/json", `{"c":"","a":1}`), 400, `unknown field "c"`},
		{"JSON key twice", "/v1/embed", raw("application/json", `{"image":"`+b64+`","image":"`+b64+`"}`), 400, `field "image" given twice`},
		{"multipart field twice", "/v1/embed", raw(mpTwice()), 400, `field "image" given twice`},
		{"words after the object", "/v1/embed", raw("application/json", `{"image":"`+b64+`"} xyz`), 400, "data after the JSON object"},
		{"two objects", "/v1/embed", raw("application/json", `{"image":"`+b64+`"}{"image":"`+b64+`"}`), 400, "data after the JSON object"},
		{"white space after the object", "/v1/embed", raw("application/json", `{"image":"`+b64+`"}`+" \r\n\t"), 200, ""},
		{"broken JSON", "/v1/embed", raw("application/json", `{"image":`), 400, "malformed JSON"},
		{"no content type", "/v1/embed", raw("", "x"), 415, "Content-Type"},
		{"text body", "/v1/embed", raw("text/plain", "x"), 415, "text/plain"},
		{"multipart without boundary", "/v1/embed", raw("multipart/form-data", "x"), 400, "boundary"},
		{"malformed multipart", "/v1/embed", raw("multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc"), 400, "malformed multipart"},
		{"search without gallery", "/v1/search", fields(mp, map[string][]byte{"image": img}), 404, "--gallery"},
		{"unknown route", "/v2/compare", raw("application/json", "{}"), 404, "no route"},
		{"POST to healthz", "/healthz", raw("application/json", "{}"), 405, "POST /healthz: use GET"},
		{"POST to metrics", "/metrics", raw("application/json", "{}"), 405, "POST /metrics: use GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctype, body := tc.body()
			code, out := post(t, base+tc.path, ctype, body)
			msg, _ := out["error"].(string)
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("status %d error %q, want %d and %q", code, msg, tc.code, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q spans lines", msg)
			}
			if strings.Contains(msg, "Go value") || strings.Contains(msg, "json:") {
				t.Errorf("error %q speaks of Go's decoder, not of the request", msg)
			}
		})
	}
	resp, err := http.Get(base + "/v1/compare")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /v1/compare: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestSearchQueryChecks(t *testing.T) {
	base, _ := start(t, Options{Gallery: galleryDir(t)})
	ctype, body := multipartBody(t, map[string][]byte{"image": pngOf(t, 28, 28, 3)})
	tests := []struct {
		query string
		code  int
		n     int
	}{
		{"", 200, 5},
		{"?k=100", 200, 6},
		{"?k=1&exact=true", 200, 1},
		{"?k=0", 400, 0},
		{"?k=x", 400, 0},
		{"?k=1001", 400, 0},
		{"?exact=maybe", 400, 0},
	}
	for _, tc := range tests {
		code, out := post(t, base+"/v1/search"+tc.query, ctype, body)
		if code != tc.code {
			t.Errorf("%s: status %d, want %d (%v)", tc.query, code, tc.code, out)
			continue
		}
		if code == 200 && len(out["neighbours"].([]any)) != tc.n {
			t.Errorf("%s: %d neighbours, want %d", tc.query, len(out["neighbours"].([]any)), tc.n)
		}
	}
}

// TestConcurrentRequestsShareForwardPasses checks through the batch-size
// metric that concurrent requests are embedded together.
func TestConcurrentRequestsShareForwardPasses(t *testing.T) {
	base, _ := start(t, Options{BatchWait: 100 * time.Millisecond})
	const clients = 16
	ctype, body := multipartBody(t, map[string][]byte{"a": pngOf(t, 28, 28, 1), "b": pngOf(t, 28, 28, 2)})
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			if code, out := post(t, base+"/v1/compare", ctype, body); code != 200 {
				t.Errorf("status %d: %v", code, out)
			}
		}()
	}
	close(gate)
	wg.Wait()
	m := getMetrics(t, base)
	passes, images := metricValue(t, m, "siamese_batch_images_count"), metricValue(t, m, "siamese_batch_images_sum")
	if images != 2*clients {
		t.Fatalf("%v images embedded, want %d", images, 2*clients)
	}
	if passes >= clients {
		t.Errorf("%d concurrent requests took %v forward passes: not batched", clients, passes)
	}
	t.Logf("%d requests, %v forward passes", clients, passes)
}

// TestBatcherWaitsForAdmittedRequests drives the batcher alone: requests
// admitted together go through one forward pass, and a lone request does
// not wait.
func TestBatcherWaitsForAdmittedRequests(t *testing.T) {
	m, err := model.Load(tinyModel(t))
	if err != nil {
		t.Fatal(err)
	}
	per := 28 * 28
	tests := []struct {
		name     string
		requests int
		maxBatch int
		passes   int
	}{
		{"one request", 1, 64, 1},
		{"sixteen together", 16, 64, 1},
		{"more than a batch", 16, 8, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var sizes []int
			b := newBatcher(m.Net, per, tc.maxBatch, 10*time.Second, func(n int, _ float64) {
				mu.Lock()
				sizes = append(sizes, n)
				mu.Unlock()
			})
			go b.run()
			defer b.stop()
			b.coming.Add(int64(tc.requests)) // all admitted before any hands in
			startAt := time.Now()
			var wg sync.WaitGroup
			for i := range tc.requests {
				wg.Add(1)
				go func() {
					defer wg.Done()
					x := make([]float32, 2*per)
					x[i] = 1
					emb, err := b.submit(x, 2, nil)
					if err != nil || len(emb) != 2 {
						t.Errorf("submit: %v, %d embeddings", err, len(emb))
					}
				}()
			}
			wg.Wait()
			if len(sizes) != tc.passes {
				t.Errorf("forward passes of %v images, want %d passes", sizes, tc.passes)
			}
			if d := time.Since(startAt); d > 5*time.Second {
				t.Errorf("took %v: the batcher waited for requests that were not coming", d)
			}
		})
	}
}

// TestReloadGallery: the server searches the gallery as it was read until
// ReloadGallery (SIGHUP in `siamese serve`) reads it again; then removed
// images are gone and added ones found.
func TestReloadGallery(t *testing.T) {
	dir := galleryDir(t)
	s, err := New(Options{Model: tinyModel(t), Gallery: dir, Threshold: math.NaN()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.handler)
	defer ts.Close()
	paths := func() (n float64, ps []string) {
		ctype, body := multipartBody(t, map[string][]byte{"image": pngOf(t, 28, 28, 0)})
		code, out := post(t, ts.URL+"/v1/search?k=10", ctype, body)
		if code != http.StatusOK {
			t.Fatalf("search: %d %v", code, out)
		}
		for _, nb := range out["neighbours"].([]any) {
			ps = append(ps, nb.(map[string]any)["path"].(string))
		}
		return out["gallery_images"].(float64), ps
	}
	os.Remove(filepath.Join(dir, "left", "0.png"))
	if err := os.MkdirAll(filepath.Join(dir, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new", "9.png"), pngOf(t, 28, 28, 7), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, ps := paths(); n != 6 || !slices.Contains(ps, "left/0.png") {
		t.Fatalf("before the reload: %v images, %q; want the gallery as read at start-up", n, ps)
	}
	if n, err := s.ReloadGallery(); err != nil || n != 6 {
		t.Fatalf("reload: %d images, %v; want 6", n, err)
	}
	if n, ps := paths(); n != 6 || slices.Contains(ps, "left/0.png") || !slices.Contains(ps, "new/9.png") {
		t.Errorf("after the reload: %v images, %q; want left/0.png gone and new/9.png found", n, ps)
	}
}

// TestIndexAbove: --index-above sends a small gallery through the HNSW
// index, as `siamese search`'s does; by default six images are scanned.
func TestIndexAbove(t *testing.T) {
	for _, tc := range []struct {
		above int
		exact bool
	}{{0, true}, {2, false}, {6, true}} {
		gal := galleryDir(t)
		base, _ := start(t, Options{Gallery: gal, IndexAbove: tc.above, EfSearch: 16})
		ctype, body := multipartBody(t, map[string][]byte{"image": pngOf(t, 28, 28, 3)})
		code, out := post(t, base+"/v1/search?k=3", ctype, body)
		if code != 200 || out["exact"] != tc.exact {
			t.Errorf("index above %d: status %d, exact %v, want %t", tc.above, code, out["exact"], tc.exact)
		}
		index, _ := filepath.Glob(filepath.Join(gal, ".siamese-index-*"))
		if (len(index) > 0) == tc.exact {
			t.Errorf("index above %d: index files %v", tc.above, index)
		}
	}
	if _, err := New(Options{Model: "x", IndexAbove: -1}); err == nil || !strings.Contains(err.Error(), "--index-above") {
		t.Errorf("a negative --index-above: %v", err)
	}
}

func TestWriteJSONNonFinite(t *testing.T) {
	tests := []struct {
		name     string
		v        any
		wantCode int
		wantBody string
	}{
		{"finite", map[string]float64{"distance": 0.5}, http.StatusOK, `{"distance":0.5}`},
		{"NaN", map[string]float64{"distance": math.NaN()}, http.StatusInternalServerError,
			`{"error":"the answer cannot be written as JSON: json: unsupported value: NaN"}`},
		{"no HTML escapes", map[string]string{"path": "a<b>&c"}, http.StatusOK, `{"path":"a<b>&c"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeJSON(rec, http.StatusOK, tt.v)
			if rec.Code != tt.wantCode || strings.TrimSpace(rec.Body.String()) != tt.wantBody || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("got %d %q (%s), want %d %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"), tt.wantCode, tt.wantBody)
			}
		})
	}
}
