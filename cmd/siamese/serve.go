package main

import (
	"errors"
	"fmt"
	"net"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/serve"
)

func newServeCmd() *cobra.Command {
	o := serve.Options{}
	cmd := &cobra.Command{
		Use:   "serve --model M [--gallery DIR] [--addr 127.0.0.1:8080]",
		Short: "Answer compare, embed and search requests over HTTP",
		Long: `Serve the model over HTTP with JSON answers:

  POST /v1/compare        images a and b -> {"distance", "threshold", "similar"}
  POST /v1/embed          image          -> {"embedding": [...]}
  POST /v1/search?k=5     image          -> nearest gallery images (needs --gallery)
  GET  /healthz, GET /metrics (Prometheus text format)

Images come as multipart/form-data fields or as base64 strings in a JSON
object. Concurrent requests share forward passes of the network. Bad input
gets a 4xx answer with {"error": "..."}; when --max-in-flight requests are
being handled, the next gets 503. SIGTERM or Ctrl-C stops accepting and
lets requests in flight finish.

The gallery is read, and its cache and index brought up to date, when the
server starts, and again on SIGHUP (kill -HUP PID), while searches go on;
images added, removed or changed in between are not seen (a search
answer's "gallery_loaded" says when it was read). A SIGHUP that comes
while the server starts reloads once it serves; without --gallery it is
only logged.

Durations must be positive: 0 is refused, not taken for the default.`,
		Args: wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, args []string) error {
			// SIGHUP is caught from the start: its default action ends
			// the process, and neither a server without a gallery nor one
			// still loading the model or the gallery must die of it. One
			// that comes while they load is queued (the channel holds
			// one, and more meanwhile are one) and reloads the gallery
			// once it is served: it says the folder changed, and the
			// load under way may have read it before the change.
			hup := earlyHangups(cmd)
			defer signal.Stop(hup)
			var err error
			if o.Threshold, err = thresholdFlag(cmd, o.Threshold); err != nil {
				return err
			}
			// 0 means the default to the Go API, but typed on the command
			// line it is a mistake, which would be served by the default.
			for _, z := range []struct {
				flag, want string
				zero       bool
			}{{"max-body", "be positive", o.MaxBodyBytes == 0}, {"max-in-flight", "be positive", o.MaxInFlight == 0}, {"max-batch", "be at least 2", o.MaxBatch == 0},
				// No duration has a meaning of its own for 0 either.
				{"read-timeout", "be positive", o.ReadTimeout == 0}, {"write-timeout", "be positive", o.WriteTimeout == 0},
				{"idle-timeout", "be positive", o.IdleTimeout == 0}, {"shutdown-timeout", "be positive", o.ShutdownTimeout == 0},
				{"batch-wait", "be positive", o.BatchWait == 0}} {
				if z.zero && cmd.Flags().Changed(z.flag) {
					return fmt.Errorf("--%s must %s, got 0", z.flag, z.want)
				}
			}
			// All the limits before the port: a port in use must not hide
			// a bad flag.
			if err := o.Check(); err != nil {
				return err
			}
			o.Log = cmd.ErrOrStderr()
			o.Warn = warner(cmd)
			o.Progress = progressTo(cmd)
			// The port first: one in use is said at once, not after
			// minutes of embedding a gallery. Connections made meanwhile
			// wait to be answered.
			ln, err := net.Listen("tcp", o.Addr)
			if err != nil {
				var op *net.OpError
				if errors.As(err, &op) {
					err = op.Err // its text repeats the address
				}
				return fmt.Errorf("--addr %s: %w", o.Addr, err)
			}
			defer ln.Close()
			s, err := serve.New(o)
			if err != nil {
				return err
			}
			done := make(chan struct{})
			defer close(done)
			go func() {
				for {
					select {
					case <-hup:
					case <-done:
						return
					}
					if o.Gallery == "" {
						fmt.Fprintln(o.Log, "SIGHUP: no --gallery to reload")
					} else if n, err := s.ReloadGallery(); err != nil {
						o.Warn(fmt.Sprintf("%v; still searching the gallery as read before", err))
					} else {
						fmt.Fprintf(o.Log, "gallery %s reloaded: %d images\n", o.Gallery, n)
					}
				}
			}()
			cleanStop(cmd)()
			return s.Serve(cmd.Context(), ln)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "siamese.safetensors", "trained model file")
	f.StringVar(&o.Gallery, "gallery", "", "folder of images for /v1/search (embeddings cached in it)")
	f.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.Float64Var(&o.Threshold, "threshold", 0, "distance below which a pair is similar (default: the model's)")
	f.Int64Var(&o.MaxBodyBytes, "max-body", 16<<20, "largest request body in bytes")
	f.IntVar(&o.MaxPixels, "max-pixels", 0, "refuse images with more pixels than this before decoding (0: 50 million)")
	f.IntVar(&o.MaxInFlight, "max-in-flight", 256, "requests handled at once; more get 503")
	f.IntVar(&o.MaxBatch, "max-batch", 64, "most images in one forward pass")
	f.DurationVar(&o.BatchWait, "batch-wait", 0, "longest wait for more requests to share a forward pass (default 2ms)")
	f.DurationVar(&o.ReadTimeout, "read-timeout", 0, "longest time to read a request (default 10s)")
	f.DurationVar(&o.WriteTimeout, "write-timeout", 0, "longest time to write an answer (default 30s)")
	f.DurationVar(&o.IdleTimeout, "idle-timeout", 0, "close keep-alive connections idle this long (default 60s)")
	f.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 0, "longest wait for requests in flight on shutdown (default 20s)")
	f.BoolVar(&o.Strict, "strict", false, "stop at the first unreadable gallery image instead of skipping it")
	indexFlags(f, &o.IndexAbove, &o.EfSearch)
	return cmd
}
