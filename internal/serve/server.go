package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"path"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/siamese-dev/siamese/internal/ann"
	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/embedding"
	"github.com/siamese-dev/siamese/internal/linalg"
	"github.com/siamese-dev/siamese/internal/model"
	"github.com/siamese-dev/siamese/internal/verify"
)

// Options configures a Server. Zero values take the defaults below.
type Options struct {
	Model   string // trained model file
	Gallery string // "": no /v1/search
	Addr    string // host:port to listen on

	Threshold float64 // distance below which a pair is similar; NaN: the model's

	MaxBodyBytes    int64         // largest request body; default 16 MiB
	MaxPixels       int           // largest image, checked on its header; default dataset.DefaultMaxPixels
	MaxInFlight     int           // requests handled at once, more get 503; default 256
	MaxBatch        int           // images per forward pass; default 64
	BatchWait       time.Duration // longest wait for more requests to batch; default 2 ms
	ReadTimeout     time.Duration // whole request, headers and body; default 10 s
	WriteTimeout    time.Duration // default 30 s
	IdleTimeout     time.Duration // keep-alive connections; default 60 s
	ShutdownTimeout time.Duration // longest wait for in-flight requests on shutdown; default 20 s
	MaxK            int           // largest k of /v1/search; default 1000
	// MaxDecodes is how many requests decode their images at once, the
	// others waiting their turn; default runtime.GOMAXPROCS(0). MaxPixels
	// bounds one decoded image, not its file (a 50-million-pixel 16-bit
	// RGBA PNG takes 400 MB decoded, from a file of 400 KB or even its
	// first 2 KB), so this bounds the memory of decoding, at about
	// MaxDecodes × MaxPixels × 8 bytes.
	MaxDecodes int
	// IndexAbove is the gallery size above which /v1/search goes through
	// the HNSW index (0: ann.MinANN, 20,000), and EfSearch the index's
	// candidate list per query (0: its default), as `siamese search`'s.
	IndexAbove int
	EfSearch   int

	Strict bool         // stop at an unreadable gallery image instead of skipping it
	Warn   func(string) // gallery and index problems that cost time, not answers
	Log    io.Writer    // where the server says it listens and logs connection errors
	// Progress is where bars count the gallery images embedded and
	// indexed at start-up (a terminal, or nil for none); a reload draws
	// none, its lines would cut into the server's log.
	Progress io.Writer
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 16 << 20
	}
	def(&o.MaxPixels, dataset.DefaultMaxPixels)
	def(&o.MaxInFlight, 256)
	def(&o.MaxDecodes, runtime.GOMAXPROCS(0))
	def(&o.MaxBatch, 64)
	def(&o.MaxK, 1000)
	defDur(&o.BatchWait, 2*time.Millisecond)
	defDur(&o.ReadTimeout, 10*time.Second)
	defDur(&o.WriteTimeout, 30*time.Second)
	defDur(&o.IdleTimeout, 60*time.Second)
	defDur(&o.ShutdownTimeout, 20*time.Second)
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// Check says whether the options are valid, as New would, without
// loading anything.
func (o Options) Check() error { return o.withDefaults().check() }

func (o Options) check() error {
	switch {
	case o.MaxBodyBytes < 0:
		return fmt.Errorf("--max-body %d must be positive", o.MaxBodyBytes)
	case o.MaxPixels < 0:
		return fmt.Errorf("--max-pixels %d must not be negative (0 means %d)", o.MaxPixels, dataset.DefaultMaxPixels)
	case o.MaxInFlight < 0:
		return fmt.Errorf("--max-in-flight %d must be positive", o.MaxInFlight)
	case o.MaxDecodes < 0:
		return fmt.Errorf("max decodes %d must be positive", o.MaxDecodes)
	case o.MaxBatch < 2:
		// A compare request brings two images, and they go through together.
		return fmt.Errorf("--max-batch %d must be at least 2", o.MaxBatch)
	case o.IndexAbove < 0 || o.EfSearch < 0:
		return fmt.Errorf("--index-above and --ef-search must not be negative, got %d and %d", o.IndexAbove, o.EfSearch)
	case o.MaxK < 1:
		return fmt.Errorf("max k %d must be at least 1", o.MaxK)
	}
	// One message a flag, naming it: 0 is the default here (the command
	// line refuses a typed 0 itself, see cmd/siamese/serve.go).
	for _, d := range o.durations() {
		if d.v < 0 {
			return fmt.Errorf("--%s must not be negative, got %v", d.flag, d.v)
		}
	}
	return nil
}

// durations are the options that are durations, by their flag's name.
func (o Options) durations() []struct {
	flag string
	v    time.Duration
} {
	return []struct {
		flag string
		v    time.Duration
	}{
		{"batch-wait", o.BatchWait}, {"read-timeout", o.ReadTimeout}, {"write-timeout", o.WriteTimeout},
		{"idle-timeout", o.IdleTimeout}, {"shutdown-timeout", o.ShutdownTimeout},
	}
}

// Server answers similarity questions over HTTP with one model.
type Server struct {
	o         Options
	threshold float64
	loader    dataset.Loader
	batcher   *batcher
	metrics   *metrics
	slots     chan struct{} // one per request allowed in flight
	// decodes holds a token for each request decoding its images
	// (Options.MaxDecodes): a decode may take MaxPixels×8 bytes, so a
	// request waits for a token rather than decode beside every other.
	decodes chan struct{}
	// decodeHook, when set (by tests), runs with a decode token held,
	// before the decoding.
	decodeHook func()
	handler    http.Handler
	// gallery is what /v1/search searches, nil without --gallery;
	// ReloadGallery swaps in a fresh one while searches go on.
	gallery atomic.Pointer[gallery]
	model   *model.Model
	reload  sync.Mutex // one reload at a time
}

// gallery is what /v1/search searches.
type gallery struct {
	files    []embedding.File
	rel      []string // paths relative to the gallery folder, slash-separated
	searcher *ann.Searcher
	// loaded is when the folder was read: images added, removed or
	// changed after it are not seen until ReloadGallery.
	loaded time.Time
}

// New loads the model (and embeds the gallery, through its cache) and
// starts the goroutine that runs the network; Close stops it.
func New(o Options) (*Server, error) {
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	m, err := model.Load(o.Model)
	if err != nil {
		return nil, err
	}
	// A server runs for long: time the matrix kernels before it serves.
	linalg.ChooseKernels()
	s := &Server{
		o:         o,
		threshold: m.Meta.Threshold,
		loader:    dataset.Loader{Size: m.Meta.Spec.Size, Channels: m.Meta.Spec.Channels, Resize: m.Meta.Spec.Resize, MaxPixels: o.MaxPixels},
		metrics:   newMetrics(o.MaxBatch),
		slots:     make(chan struct{}, o.MaxInFlight),
		decodes:   make(chan struct{}, o.MaxDecodes),
		model:     m,
	}
	if !math.IsNaN(o.Threshold) {
		s.threshold = o.Threshold
	}
	if o.Gallery != "" {
		g, err := loadGallery(o, m, o.Progress)
		if err != nil {
			return nil, galleryError("--gallery", o.Gallery, err)
		}
		s.gallery.Store(g)
	}
	s.batcher = newBatcher(m.Net, s.loader.Len(), o.MaxBatch, o.BatchWait, func(n int, sec float64) {
		s.metrics.batch.Observe(float64(n))
		s.metrics.forward.Observe(sec)
	})
	go s.batcher.run()
	s.handler = s.routes()
	return s, nil
}

// ReloadGallery reads the gallery folder again, as at start-up: new and
// changed images are embedded (through the cache), removed ones dropped,
// the index brought up to date; then searches use it, those in flight
// finishing on the old one. On an error the old gallery stays. It returns
// the images the gallery now holds.
func (s *Server) ReloadGallery() (int, error) {
	if s.o.Gallery == "" {
		return 0, fmt.Errorf("no gallery to reload: start serve with --gallery DIR")
	}
	s.reload.Lock()
	defer s.reload.Unlock()
	g, err := loadGallery(s.o, s.model, nil)
	if err != nil {
		return 0, galleryError("reload gallery", s.o.Gallery, err)
	}
	s.gallery.Store(g)
	// While the new gallery was built the old one served, so memory held
	// both; the old one is garbage once the searches under way end. Go
	// would return its pages to the system only slowly (a 200,000-image
	// gallery stayed at twice its memory after reloads); a reload is
	// rare, so a collection now is cheap.
	debug.FreeOSMemory()
	return g.searcher.Len(), nil
}

// loadGallery embeds the gallery images that its cache lacks and prepares
// the search (a graph for large galleries, see package ann).
func loadGallery(o Options, m *model.Model, progressTo io.Writer) (*gallery, error) {
	g, err := verify.OpenGallery(m, verify.GalleryOptions{Model: o.Model, Dir: o.Gallery, MaxPixels: o.MaxPixels, Strict: o.Strict,
		IndexAbove: o.IndexAbove, EfSearch: o.EfSearch, Warn: o.Warn, Progress: progressTo})
	if err != nil {
		return nil, err
	}
	if len(g.Files) == 0 {
		return nil, errors.New("no readable image")
	}
	gal := &gallery{files: g.Files, rel: g.Keys, searcher: g.Searcher, loaded: time.Now().UTC()}
	fmt.Fprintf(o.Log, "gallery %s: %d images, %s\n", o.Gallery, len(g.Files), gal.searcher.Summary())
	return gal, nil
}

// galleryError says which gallery err is about, and how it was given
// (what: "--gallery"), once: the folder's own errors mostly start with its
// path ("DIR: no such file or directory") or name it ("folder DIR: no
// images in it").
func galleryError(what, dir string, err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, dir+": "):
		return fmt.Errorf("%s %w", what, err)
	case strings.Contains(msg, dir):
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s %s: %w", what, dir, err)
}

// Handler is the server's routes, for tests and for embedding in another
// server.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the network goroutine; requests still waiting for it get an
// error. Call it after the HTTP server has shut down.
func (s *Server) Close() { s.batcher.stop() }

// Run listens on o.Addr and serves until ctx is done, then shuts down
// gracefully: it stops accepting, lets requests in flight finish (up to
// ShutdownTimeout) and closes the server.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.o.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener of the caller's.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer s.Close()
	var conns connStates
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: min(s.o.ReadTimeout, 5*time.Second),
		ReadTimeout:       s.o.ReadTimeout,
		WriteTimeout:      s.o.WriteTimeout,
		IdleTimeout:       s.o.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(s.o.Log, "serve: ", 0),
		ConnState:         conns.track,
	}
	fmt.Fprintf(s.o.Log, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintf(s.o.Log, "shutting down: finishing requests in flight\n")
	sctx, cancel := context.WithTimeout(context.Background(), s.o.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Counted before Close cuts them off: what Shutdown still waited
		// for, not the bare "context deadline exceeded".
		active := conns.active()
		srv.Close()
		if !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("shutdown: %w", err)
		}
		if active == 0 {
			// Only connections that had not sent a request yet.
			return fmt.Errorf("shutdown: connections still open after --shutdown-timeout %v were cut off", s.o.ShutdownTimeout)
		}
		return fmt.Errorf("shutdown: %d request(s) still running after --shutdown-timeout %v were cut off", active, s.o.ShutdownTimeout)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// connStates follows the state of each connection of an http.Server
// (its ConnState hook), to say how many requests a shutdown cut off.
type connStates struct {
	mu    sync.Mutex
	state map[net.Conn]http.ConnState
}

func (c *connStates) track(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == nil {
		c.state = map[net.Conn]http.ConnState{}
	}
	if st == http.StateClosed || st == http.StateHijacked {
		delete(c.state, conn)
		return
	}
	c.state[conn] = st
}

// active is the number of connections with a request under way: read in
// part or whole, or being answered.
func (c *connStates) active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, st := range c.state {
		if st == http.StateActive {
			n++
		}
	}
	return n
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Methods are checked by limited rather than in the patterns, so a GET
	// gets a JSON error like every other mistake, not the mux's plain text.
	mux.Handle("/v1/compare", s.limited("compare", s.compare))
	mux.Handle("/v1/embed", s.limited("embed", s.embed))
	mux.Handle("/v1/search", s.limited("search", s.search))
	mux.Handle("GET /healthz", s.instrument("healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	mux.Handle("GET /metrics", s.instrument("metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP))
	other := s.instrument("other", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
			// The GET patterns did not match, so the method is wrong.
			w.Header().Set("Allow", "GET, HEAD")
			s.fail(w, "other", &httpError{http.StatusMethodNotAllowed, "bad_request", fmt.Sprintf("%s %s: use GET", r.Method, r.URL.Path)})
			return
		}
		s.fail(w, "other", &httpError{http.StatusNotFound, "not_found",
			fmt.Sprintf("no route %s %s (POST /v1/compare, /v1/embed, /v1/search; GET /healthz, /metrics)", r.Method, r.URL.Path)})
	})
	mux.Handle("/", other)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux answers a path that is not clean ("//v1/embed",
		// "/a/../v1/embed") with a redirect to the clean one, in plain
		// text or HTML; such a path is no route of ours, and gets the
		// JSON 404 of any other. CONNECT is not cleaned by the mux.
		if r.Method != http.MethodConnect && !isCleanPath(r.URL.EscapedPath()) {
			other.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// isCleanPath says whether the mux would take p as it is rather than
// redirect: it starts with "/" and has no empty, "." or ".." element (a
// trailing "/" is kept), as net/http's cleanPath has it.
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np == p
}
