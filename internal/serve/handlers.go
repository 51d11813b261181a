package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siamese-dev/siamese/internal/network"
)

// httpError is an answer other than 200: its status, a kind for the
// errors metric and a one-line message for the client.
type httpError struct {
	code int
	kind string
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) *httpError {
	return &httpError{http.StatusBadRequest, "bad_request", fmt.Sprintf(format, args...)}
}

// writeJSON answers v as JSON with status code. The answer is encoded
// before the status is sent, so one that cannot be (a NaN distance) is a
// 500 with a message, not a 200 with an empty body.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		b.Reset()
		enc.Encode(map[string]string{"error": "the answer cannot be written as JSON: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

func (s *Server) fail(w http.ResponseWriter, route string, e *httpError) {
	s.metrics.errors.WithLabelValues(route, e.kind).Inc()
	if e.code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.code, map[string]string{"error": e.msg})
}

// statusWriter remembers the status code for the metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) instrument(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		s.metrics.observe(route, sw.code, time.Since(start).Seconds())
	})
}

// limited admits a request to a route that uses the network when a slot
// is free, and answers 503 at once otherwise: queueing past the limit
// would only make every client wait longer.
func (s *Server) limited(route string, h func(r *http.Request) (any, *httpError)) http.Handler {
	return s.instrument(route, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.fail(w, route, &httpError{http.StatusMethodNotAllowed, "bad_request", fmt.Sprintf("%s %s: use POST", r.Method, r.URL.Path)})
			return
		}
		select {
		case s.slots <- struct{}{}:
		default:
			s.fail(w, route, &httpError{http.StatusServiceUnavailable, "overloaded",
				fmt.Sprintf("server busy: %d requests in flight; retry later", cap(s.slots))})
			return
		}
		defer func() { <-s.slots }()
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes)
		v, e := h(r)
		if e != nil {
			s.fail(w, route, e)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
}

// images reads the named image fields of a request, as multipart form
// fields or as base64 strings of a JSON object, each once, nothing else.
func (s *Server) images(r *http.Request, fields ...string) ([][]byte, *httpError) {
	want := strings.Join(fields, " and ")
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, &httpError{http.StatusUnsupportedMediaType, "bad_request",
			fmt.Sprintf("Content-Type must be multipart/form-data or application/json with image fields %s", want)}
	}
	got := make(map[string][]byte, len(fields))
	switch ct {
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, badRequest("multipart body without a boundary")
		}
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, badRequest("malformed multipart body: %v", err)
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, s.bodyError(err, "malformed multipart body")
			}
			name := p.FormName()
			if err := checkField(name, fields, got, want); err != nil {
				return nil, err
			}
			// The body limit bounds this read.
			data, err := io.ReadAll(p)
			if err != nil {
				return nil, s.bodyError(err, "malformed multipart body")
			}
			got[name] = data
		}
	case "application/json":
		if e := s.readJSON(r.Body, fields, got, want); e != nil {
			return nil, e
		}
	default:
		return nil, &httpError{http.StatusUnsupportedMediaType, "bad_request",
			fmt.Sprintf("Content-Type %s: must be multipart/form-data or application/json with image fields %s", ct, want)}
	}
	out := make([][]byte, len(fields))
	for i, f := range fields {
		data, ok := got[f]
		if !ok {
			return nil, badRequest("missing image field %q (want %s)", f, want)
		}
		out[i] = data
	}
	return out, nil
}

// readJSON reads a JSON object of base64 strings into got, token by
// token: its keys come in document order, each checked once, so a key
// given twice is refused as multipart's is (a map kept the last), and of
// several bad fields the first is reported (a map's was any). Nothing but
// white space may follow the object.
func (s *Server) readJSON(body io.Reader, fields []string, got map[string][]byte, want string) *httpError {
	dec := json.NewDecoder(body)
	tok, err := dec.Token()
	if err != nil {
		return s.bodyError(err, "malformed JSON body")
	}
	if tok != json.Delim('{') {
		return badRequest("body must be a JSON object whose fields are base64 strings (%s), got %s", want, tokenKind(tok))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return s.bodyError(err, "malformed JSON body")
		}
		name, _ := tok.(string) // the decoder takes nothing else as a key
		if e := checkField(name, fields, got, want); e != nil {
			return e
		}
		tok, err = dec.Token()
		if err != nil {
			return s.bodyError(err, "malformed JSON body")
		}
		str, ok := tok.(string)
		if !ok {
			return badRequest("field %q must be a base64 string, got %s", name, tokenKind(tok))
		}
		// What encoding/json does for a []byte.
		data, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return badRequest("field %q must be a base64 string: %v", name, err)
		}
		got[name] = data
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return s.bodyError(err, "malformed JSON body")
	}
	switch _, err := dec.Token(); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		if e := s.bodyError(err, ""); e.code != http.StatusBadRequest {
			return e // over the size limit, or too slow
		}
	}
	return badRequest("data after the JSON object: the body must be one object")
}

// tokenKind names the JSON value that a json.Decoder token starts.
func tokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}

// checkField refuses a field that is not one of fields, or that got
// already holds.
func checkField(name string, fields []string, got map[string][]byte, want string) *httpError {
	if !slices.Contains(fields, name) {
		return badRequest("unknown field %q (want %s)", name, want)
	}
	if _, dup := got[name]; dup {
		return badRequest("field %q given twice", name)
	}
	return nil
}

// bodyError tells a body cut off at the size limit (413) or not all
// received within the read timeout (408) from a malformed one (400).
func (s *Server) bodyError(err error, what string) *httpError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &httpError{http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("request body over the %d-byte limit", tooBig.Limit)}
	}
	// The connection's read deadline (ReadTimeout, the whole request)
	// passed mid-body. Its error names both ends' addresses, which are
	// no business of the client's.
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &httpError{http.StatusRequestTimeout, "timeout",
			fmt.Sprintf("request body not received within --read-timeout %v", s.o.ReadTimeout)}
	}
	return badRequest("%s: %v", what, err)
}

// embedImages preprocesses images as training did and runs them through
// the network in the batcher's next forward pass.
func (s *Server) embedImages(r *http.Request, fields ...string) ([][]float32, *httpError) {
	// From admission to handing in the job, this request is "coming": the
	// batcher waits for it rather than running a batch without it.
	s.batcher.coming.Add(1)
	submitted := false
	defer func() {
		if !submitted {
			s.batcher.coming.Add(-1)
		}
	}()
	raw, e := s.images(r, fields...)
	if e != nil {
		return nil, e
	}
	x, e := s.decode(r.Context(), raw, fields)
	if e != nil {
		return nil, e
	}
	submitted = true
	emb, err := s.batcher.submit(x, len(raw), r.Context().Done())
	if err != nil {
		return nil, &httpError{http.StatusServiceUnavailable, "unavailable", err.Error()}
	}
	return emb, nil
}

// decode preprocesses a request's images, the i-th named fields[i], with a
// decode token held (see Server.decodes): at most MaxDecodes requests
// decode at once, and one that waits gives up when its client does.
func (s *Server) decode(ctx context.Context, raw [][]byte, fields []string) ([]float32, *httpError) {
	select {
	case s.decodes <- struct{}{}:
	case <-ctx.Done():
		return nil, &httpError{http.StatusServiceUnavailable, "unavailable", "request cancelled while waiting to decode its images"}
	}
	defer func() { <-s.decodes }()
	if s.decodeHook != nil {
		s.decodeHook()
	}
	per := s.loader.Len()
	x := make([]float32, len(raw)*per)
	for i, data := range raw {
		img, err := s.load(data, fields[i])
		if err != nil {
			// Named as the field it came in: "field \"image\": image is
			// ...", where the bare field name read "image: image is ...".
			err = errors.New(fmt.Sprintf("field %q: ", fields[i]) + strings.TrimPrefix(err.Error(), fields[i]+": "))
			if strings.Contains(err.Error(), "-pixel limit") {
				return nil, &httpError{http.StatusRequestEntityTooLarge, "too_large", err.Error()}
			}
			// The loader judges by extension when the bytes are no known
			// format; an upload has none.
			msg := strings.Replace(err.Error(), "unsupported format without an extension", "unknown format", 1)
			return nil, &httpError{http.StatusUnprocessableEntity, "bad_image", msg}
		}
		copy(x[i*per:], img)
	}
	return x, nil
}

// bigDecode is the size of image, in pixels, whose decoding is followed by
// a garbage collection; 4 million pixels may take 32 MB decoded.
const bigDecode = 4 << 20

// load preprocesses one image of a request. The decoded image of a large
// one is collected before the decode token is handed on: left to the
// collector's pacing, the garbage of finished decodes piles up to the
// size of the live heap, which made the memory of MaxDecodes decodes
// twice what they hold at once. A collection costs far less than decoding
// millions of pixels.
func (s *Server) load(data []byte, field string) ([]float32, error) {
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && int64(cfg.Width)*int64(cfg.Height) >= bigDecode {
		defer runtime.GC()
	}
	return s.loader.Load(oneFile{name: field, data: data}, field)
}

// CompareResult is the answer of /v1/compare.
type CompareResult struct {
	Distance  float64 `json:"distance"`
	Threshold float64 `json:"threshold"`
	Similar   bool    `json:"similar"`
}

func (s *Server) compare(r *http.Request) (any, *httpError) {
	emb, e := s.embedImages(r, "a", "b")
	if e != nil {
		return nil, e
	}
	d := network.PairDistance(emb[0], emb[1])
	return CompareResult{Distance: d, Threshold: s.threshold, Similar: d < s.threshold}, nil
}

// EmbedResult is the answer of /v1/embed.
type EmbedResult struct {
	Embedding []float32 `json:"embedding"`
}

func (s *Server) embed(r *http.Request) (any, *httpError) {
	emb, e := s.embedImages(r, "image")
	if e != nil {
		return nil, e
	}
	return EmbedResult{Embedding: emb[0]}, nil
}

// Neighbour is a gallery image near the query.
type Neighbour struct {
	Path     string  `json:"path"` // relative to the gallery folder
	Class    string  `json:"class"`
	Distance float64 `json:"distance"`
	Similar  bool    `json:"similar"`
}

// SearchResult is the answer of /v1/search.
type SearchResult struct {
	Threshold float64 `json:"threshold"`
	Images    int     `json:"gallery_images"`
	// GalleryLoaded is when the server read the gallery folder (RFC 3339,
	// UTC): the answer knows only the images there then.
	GalleryLoaded string      `json:"gallery_loaded"`
	Exact         bool        `json:"exact"`
	Neighbours    []Neighbour `json:"neighbours"`
}

func (s *Server) search(r *http.Request) (any, *httpError) {
	gal := s.gallery.Load() // one gallery for the whole answer, whatever a reload does
	if gal == nil {
		return nil, &httpError{http.StatusNotFound, "no_gallery", "no gallery: start serve with --gallery DIR"}
	}
	q := r.URL.Query()
	k := 5
	if v := q.Get("k"); v != "" {
		var err error
		if k, err = strconv.Atoi(v); err != nil || k < 1 || k > s.o.MaxK {
			return nil, badRequest("k=%q: want a whole number from 1 to %d", v, s.o.MaxK)
		}
	}
	exact := false
	if v := q.Get("exact"); v != "" {
		var err error
		if exact, err = strconv.ParseBool(v); err != nil {
			return nil, badRequest("exact=%q: want true or false", v)
		}
	}
	emb, e := s.embedImages(r, "image")
	if e != nil {
		return nil, e
	}
	hits, err := gal.searcher.Nearest(emb[0], k, exact)
	if err != nil {
		return nil, &httpError{http.StatusInternalServerError, "internal", err.Error()}
	}
	res := SearchResult{Threshold: s.threshold, Images: gal.searcher.Len(), GalleryLoaded: gal.loaded.Format(time.RFC3339),
		Exact: exact || !gal.searcher.UsesIndex(), Neighbours: make([]Neighbour, len(hits))}
	for i, h := range hits {
		res.Neighbours[i] = Neighbour{Path: gal.rel[h.Pos], Class: gal.files[h.Pos].Class,
			Distance: h.Distance, Similar: h.Distance < s.threshold}
	}
	return res, nil
}

// oneFile is a file system holding one in-memory file, so request bodies
// go through dataset.Loader exactly as files do: the same header check
// before decoding, the same resize and channel conversion.
type oneFile struct {
	name string
	data []byte
}

func (f oneFile) Open(name string) (fs.File, error) {
	if name != f.name {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(f.data), name: f.name}, nil
}

type memFile struct {
	*bytes.Reader
	name string
}

func (m *memFile) Stat() (fs.FileInfo, error) { return memInfo{m}, nil }
func (m *memFile) Close() error               { return nil }

type memInfo struct{ f *memFile }

func (i memInfo) Name() string       { return i.f.name }
func (i memInfo) Size() int64        { return i.f.Reader.Size() }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
