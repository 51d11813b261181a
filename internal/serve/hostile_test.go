package serve

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// zeros is an endless body that counts what the server made it produce,
// without holding any of it. The count is atomic: the client's transport
// can still be reading the body when Do has returned the server's early
// answer.
type zeros struct {
	sent  atomic.Int64
	limit int64
}

func (z *zeros) Read(p []byte) (int, error) {
	sent := z.sent.Load()
	if sent >= z.limit {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.limit-sent)
	clear(p[:n])
	z.sent.Add(n)
	return int(n), nil
}

// hugePNGHeader is a PNG signature and an IHDR chunk claiming w×h pixels,
// with no pixel data: what a decompression bomb looks like to a header
// check.
func hugePNGHeader(w, h uint32) []byte {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	binary.Write(&ihdr, binary.BigEndian, w)
	binary.Write(&ihdr, binary.BigEndian, h)
	ihdr.Write([]byte{8, 0, 0, 0, 0}) // 8-bit gray, no interlace
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&out, binary.BigEndian, uint32(ihdr.Len()-4))
	out.Write(ihdr.Bytes())
	binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	return out.Bytes()
}

func healthy(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("healthz after the attack: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz after the attack: status %d", resp.StatusCode)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func TestHostileRequests(t *testing.T) {
	const maxBody = 1 << 20
	base, _ := start(t, Options{MaxBodyBytes: maxBody, ReadTimeout: 300 * time.Millisecond, IdleTimeout: time.Second})
	addr := strings.TrimPrefix(base, "http://")
	before := heapInUse()

	t.Run("1 GB body is cut off at the limit", func(t *testing.T) {
		body := &zeros{limit: 1 << 30}
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/embed", io.NopCloser(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge && resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 413 (or 400 when the JSON breaks first)", resp.StatusCode)
			}
		}
		// The server may also reset the connection while the client still
		// writes; either way it stopped reading long before 1 GB.
		if sent := body.sent.Load(); sent > 64<<20 {
			t.Errorf("the server read %d MB of a body limited to 1 MB", sent>>20)
		}
	})

	t.Run("1 GB multipart file is cut off at the limit", func(t *testing.T) {
		head := "--zz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n\r\n"
		body := io.MultiReader(strings.NewReader(head), &zeros{limit: 1 << 30})
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/embed", body)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=zz")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", resp.StatusCode)
			}
		}
	})

	t.Run("100000x100000 PNG header is refused before decoding", func(t *testing.T) {
		ctype, body := jsonBody(t, map[string][]byte{"image": hugePNGHeader(100000, 100000)})
		code, out := post(t, base+"/v1/embed", ctype, body)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(out["error"].(string), "100000x100000") {
			t.Errorf("status %d %v, want 413 naming the size", code, out)
		}
	})

	t.Run("slow client is dropped at the read timeout", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "POST /v1/embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"image\":\"")
		startAt := time.Now()
		// One byte every 50 ms would take 80 minutes; the server must
		// give up after its 300 ms read timeout.
		closed := false
		for time.Since(startAt) < 5*time.Second {
			if _, err := conn.Write([]byte("A")); err != nil {
				closed = true
				break
			}
			conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			buf := make([]byte, 512)
			n, err := conn.Read(buf)
			if n > 0 || (err != nil && !isTimeout(err)) {
				closed = true // answered (an error) or hung up
				break
			}
		}
		if !closed {
			t.Fatal("a slow client held its connection for 5 s")
		}
	})

	t.Run("slow headers are dropped", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "POST /v1/embed HTTP/1.1\r\nHost: x\r\n")
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(conn); err != nil && isTimeout(err) {
			t.Fatal("a client that never ends its headers held the connection for 5 s")
		}
	})

	t.Run("2000 connections opened and dropped", func(t *testing.T) {
		goroutines := runtime.NumGoroutine()
		junk := []string{"", "GET /healthz HTTP/1.1\r\n", "POST /v1/compare HTTP/1.1\r\nContent-Length: 99999\r\n\r\nxx", "\x16\x03\x01garbage"}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 100) // bounded: 100 dials at a time
		for i := range 2000 {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				io.WriteString(conn, junk[i%len(junk)])
				conn.Close()
			}()
		}
		wg.Wait()
		healthy(t, base)
		// The server's goroutines for the dropped connections end.
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > goroutines+20 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > goroutines+20 {
			t.Errorf("%d goroutines left after the connections closed, %d before", n, goroutines)
		}
	})

	healthy(t, base)
	if grown := int64(heapInUse()) - int64(before); grown > 64<<20 {
		t.Errorf("heap grew by %d MB during the attacks", grown>>20)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestOverloadGets503(t *testing.T) {
	base, _ := start(t, Options{MaxInFlight: 1})
	addr := strings.TrimPrefix(base, "http://")
	// Hold the only slot with a request whose body has not all arrived.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctype, body := multipartBody(t, map[string][]byte{"image": pngOf(t, 28, 28, 1)})
	io.WriteString(conn, "POST /v1/embed HTTP/1.1\r\nHost: x\r\nContent-Type: "+ctype+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
	conn.Write(body[:10])
	// Wait for the held request to take the slot, as the server's own
	// gauge says: on a loaded machine that can take a while, and a request
	// sent before it would be served.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if metricValue(t, getMetrics(t, base), "siamese_http_in_flight") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the held request never took the slot")
		}
	}
	code, out := post(t, base+"/v1/embed", ctype, body)
	if code != http.StatusServiceUnavailable || !strings.Contains(out["error"].(string), "busy") {
		t.Fatalf("with the only slot taken: status %d %v, want 503", code, out)
	}
	// The held request still completes.
	conn.Write(body[10:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the request holding the slot: %v %v", resp, err)
	}
}

func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	base, stop := start(t, Options{})
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctype, body := multipartBody(t, map[string][]byte{"a": pngOf(t, 28, 28, 1), "b": pngOf(t, 28, 28, 2)})
	io.WriteString(conn, "POST /v1/compare HTTP/1.1\r\nHost: x\r\nContent-Type: "+ctype+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
	conn.Write(body[:len(body)/2])
	time.Sleep(100 * time.Millisecond) // let the server start on it
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	time.Sleep(100 * time.Millisecond)
	// New connections are refused while the old request is finishing.
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the server accepted a connection after shutdown began")
	}
	conn.Write(body[len(body)/2:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the request in flight at shutdown: %v %v", resp, err)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown did not finish after the last request")
	}
}
