package serve

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics live in a registry of the Server's own rather than the
// package-global default, so two servers (tests run several) do not
// collide.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec   // by route and status code
	latency  *prometheus.HistogramVec // by route
	errors   *prometheus.CounterVec   // by route and kind
	batch    prometheus.Histogram     // images per forward pass
	forward  prometheus.Histogram     // seconds per forward pass
	inFlight prometheus.Gauge
}

func newMetrics(maxBatch int) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siamese_http_requests_total", Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "siamese_http_request_duration_seconds", Help: "Time from request to answer, by route.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2.5},
		}, []string{"route"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siamese_http_errors_total", Help: "Requests answered with an error, by route and kind.",
		}, []string{"route", "kind"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "siamese_batch_images", Help: "Images per forward pass of the network.",
			Buckets: powersOfTwo(maxBatch),
		}),
		forward: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "siamese_forward_seconds", Help: "Time of one forward pass of the network.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .02, .05, .1},
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "siamese_http_in_flight", Help: "Requests being handled now (healthz and metrics excluded).",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.errors, m.batch, m.forward, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func powersOfTwo(upTo int) []float64 {
	var b []float64
	for v := 1; v < upTo; v *= 2 {
		b = append(b, float64(v))
	}
	return append(b, float64(upTo))
}

func (m *metrics) observe(route string, code int, seconds float64) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(seconds)
}
