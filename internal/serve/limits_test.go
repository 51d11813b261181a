package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDecodesBounded: however many requests arrive together, at most
// MaxDecodes images are decoded at once (each may take MaxPixels×8 bytes);
// the others wait, and one whose client leaves stops waiting.
func TestDecodesBounded(t *testing.T) {
	tests := []struct {
		name       string
		maxDecodes int
		requests   int
	}{
		{"one at a time", 1, 4},
		{"two at a time", 2, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{Model: tinyModel(t), Threshold: math.NaN(), MaxDecodes: tc.maxDecodes})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var inside, most atomic.Int32
			entered := make(chan struct{}, tc.requests)
			gate := make(chan struct{})
			s.decodeHook = func() {
				n := inside.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				entered <- struct{}{}
				<-gate
				inside.Add(-1)
			}
			ctype, body := jsonBody(t, map[string][]byte{"image": pngOf(t, 28, 28, 1)})
			codes := make(chan int, tc.requests)
			var wg sync.WaitGroup
			for range tc.requests {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req := httptest.NewRequest(http.MethodPost, "/v1/embed", bytes.NewReader(body))
					req.Header.Set("Content-Type", ctype)
					rec := httptest.NewRecorder()
					s.Handler().ServeHTTP(rec, req)
					codes <- rec.Code
				}()
			}
			for range tc.maxDecodes {
				<-entered
			}
			// Time for the others to get in, were nothing stopping them.
			time.Sleep(200 * time.Millisecond)
			if n := inside.Load(); n != int32(tc.maxDecodes) {
				t.Errorf("%d requests decoding at once, want %d", n, tc.maxDecodes)
			}

			// All tokens are taken: a request whose client has gone
			// stops waiting for one, and decodes nothing.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/embed", bytes.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "cancelled while waiting to decode") {
				t.Errorf("a cancelled request waiting to decode: %d %s", rec.Code, rec.Body.String())
			}

			close(gate)
			wg.Wait()
			close(codes)
			for code := range codes {
				if code != http.StatusOK {
					t.Errorf("status %d, want 200", code)
				}
			}
			if m := most.Load(); m > int32(tc.maxDecodes) {
				t.Errorf("%d decodes ran at once, want at most %d", m, tc.maxDecodes)
			}
		})
	}
	if _, err := New(Options{Model: "x", MaxDecodes: -1}); err == nil || !strings.Contains(err.Error(), "max decodes -1") {
		t.Errorf("negative MaxDecodes: %v", err)
	}
}

// rawRequest writes head (request line and headers, without the blank
// line) and body on a fresh connection and reads the answer.
func rawRequest(t *testing.T, addr, head, body string) (*http.Response, map[string]any) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(conn, head+"\r\n\r\n"+body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%q: %v", head, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Errorf("%q: status %d, answer %q is not JSON", head, resp.StatusCode, b)
	}
	return resp, out
}

// TestReadTimeoutMidBody: a body that has not all come within the read
// timeout is a 408 naming it, counted as a timeout, not a malformed body
// with the connection's addresses in the message.
func TestReadTimeoutMidBody(t *testing.T) {
	base, _ := start(t, Options{ReadTimeout: 300 * time.Millisecond})
	addr := strings.TrimPrefix(base, "http://")
	mpType, mp := multipartBody(t, map[string][]byte{"image": pngOf(t, 28, 28, 1)})
	tests := []struct {
		name, ctype, body string
	}{
		{"json", "application/json", `{"image":"iVBORw0KGgo`},
		{"multipart", mpType, string(mp[:len(mp)/2])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The body promises more than it sends.
			head := "POST /v1/embed HTTP/1.1\r\nHost: x\r\nContent-Type: " + tc.ctype + "\r\nContent-Length: " + strconv.Itoa(len(tc.body)+1000)
			resp, out := rawRequest(t, addr, head, tc.body)
			msg, _ := out["error"].(string)
			if resp.StatusCode != http.StatusRequestTimeout || msg != "request body not received within --read-timeout 300ms" {
				t.Errorf("status %d %q, want 408 naming --read-timeout", resp.StatusCode, msg)
			}
			if strings.Contains(msg, "127.0.0.1") {
				t.Errorf("error %q tells the client the connection's addresses", msg)
			}
		})
	}
	if n := metricValue(t, getMetrics(t, base), `siamese_http_errors_total{kind="timeout",route="embed"}`); n != 2 {
		t.Errorf("%v timeouts counted, want 2", n)
	}
}

// TestUncleanPaths: a path the mux would redirect to its clean form is no
// route, and gets the JSON 404 of any unknown path, not a 301/307 with a
// plain-text or empty body.
func TestUncleanPaths(t *testing.T) {
	base, _ := start(t, Options{})
	addr := strings.TrimPrefix(base, "http://")
	tests := []struct {
		method, path string
		code         int
	}{
		{"POST", "//v1/embed", 404},
		{"POST", "/foo/../v1/embed", 404},
		{"POST", "/v1/./embed", 404},
		{"POST", "/v1//compare?k=1", 404},
		{"GET", "//healthz", 404},
		{"GET", "/metrics/..", 404},
		{"POST", "/v1/embed/", 404}, // clean, but no route either
		{"GET", "/healthz", 200},
		{"GET", "/", 404},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, out := rawRequest(t, addr, tc.method+" "+tc.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2", "{}")
			if resp.StatusCode != tc.code || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Location") != "" {
				t.Errorf("status %d, Content-Type %q, Location %q; want %d with JSON", resp.StatusCode,
					resp.Header.Get("Content-Type"), resp.Header.Get("Location"), tc.code)
			}
			if msg, _ := out["error"].(string); tc.code == 404 && !strings.Contains(msg, "no route") {
				t.Errorf("error %q, want no route", msg)
			}
		})
	}
}

// TestShutdownTimeoutSaysWhatWasCutOff: when requests outlast the
// shutdown timeout, the error says how many were cut off and which flag
// would give them longer.
func TestShutdownTimeoutSaysWhatWasCutOff(t *testing.T) {
	for _, held := range []int{1, 2} {
		t.Run(strconv.Itoa(held), func(t *testing.T) {
			s, err := New(Options{Model: tinyModel(t), Threshold: math.NaN(), ShutdownTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Serve(ctx, ln) }()
			base := "http://" + ln.Addr().String()
			ctype, body := multipartBody(t, map[string][]byte{"image": pngOf(t, 28, 28, 1)})
			for range held {
				conn, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				io.WriteString(conn, "POST /v1/embed HTTP/1.1\r\nHost: x\r\nContent-Type: "+ctype+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
				conn.Write(body[:10]) // and never the rest
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if metricValue(t, getMetrics(t, base), "siamese_http_in_flight") == float64(held) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the held requests never started")
				}
			}
			cancel()
			want := fmt.Sprintf("shutdown: %d request(s) still running after --shutdown-timeout 300ms were cut off", held)
			if err := <-done; err == nil || err.Error() != want {
				t.Errorf("serve: %v, want %q", err, want)
			}
		})
	}
}

// TestCheckDurations: a negative duration is refused by its flag's name;
// 0 is the default.
func TestCheckDurations(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"defaults", Options{}, ""},
		{"batch wait", Options{BatchWait: -time.Millisecond}, "--batch-wait must not be negative, got -1ms"},
		{"read", Options{ReadTimeout: -time.Second}, "--read-timeout must not be negative, got -1s"},
		{"write", Options{WriteTimeout: -time.Second}, "--write-timeout must not be negative, got -1s"},
		{"idle", Options{IdleTimeout: -time.Second}, "--idle-timeout must not be negative, got -1s"},
		{"shutdown", Options{ShutdownTimeout: -2 * time.Second}, "--shutdown-timeout must not be negative, got -2s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Check()
			if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Errorf("Check: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestGalleryErrorNamesFlag: a gallery that cannot be read is said as the
// --gallery given, its path once.
func TestGalleryErrorNamesFlag(t *testing.T) {
	model := tinyModel(t)
	missing := filepath.Join(t.TempDir(), "nonexist")
	empty := t.TempDir()
	tests := []struct {
		name, dir, want string
	}{
		{"missing", missing, "--gallery " + missing + ": no such file or directory"},
		{"no images", empty, "--gallery: folder " + empty + ": no images in it"},
		{"a file", model, "--gallery: gallery " + model + " is a file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Model: model, Gallery: tc.dir, Threshold: math.NaN()})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Count(err.Error(), tc.dir) != 1 {
				t.Errorf("New: %v, want %q", err, tc.want)
			}
		})
	}
}
