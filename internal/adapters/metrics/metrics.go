// Package metrics exports the service's Prometheus series. It is the
// only package that names the Prometheus client; everything else reports
// through small observer interfaces of its own, which the composition
// root connects to this adapter.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "aoai_api"

// latencyBuckets reach two minutes, the default UPSTREAM_TIMEOUT: chat
// completions take seconds, and Prometheus' default buckets stop at 10s.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120}

// Build names the binary in aoai_api_build_info.
type Build struct {
	Version  string
	Revision string
}

// Metrics holds every series. Its methods are safe for concurrent use.
type Metrics struct {
	requests         *prometheus.CounterVec
	requestDuration  *prometheus.HistogramVec
	inFlight         prometheus.Gauge
	upstreamCalls    *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	retries          *prometheus.CounterVec
	tokens           *prometheus.CounterVec
	filtered         *prometheus.CounterVec
	pool             poolSeries
	genAI            genAISeries
	limits           limitsSeries
	spansDropped     *prometheus.CounterVec

	byRequest  *children[requestKey, requestSeries]
	byUpstream *children[upstreamKey, requestSeries]
	byCall     *children[[5]string, prometheus.Observer] // gen_ai duration's labels
	byUsage    *children[[5]string, prometheus.Observer] // gen_ai token usage's labels
}

type requestKey struct {
	route, method string
	status        int
}

type upstreamKey struct {
	provider string
	status   int
}

// New registers every series, plus the Go runtime and process
// collectors, on reg: a registry the composition root owns, so nothing
// lands in the client library's global one.
func New(reg prometheus.Registerer, b Build) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by route template (\"unmatched\" for unknown paths), method and status.",
		}, []string{"route", "method", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time from request to the end of the response, streams included, by route template, method and status.",
			Buckets: latencyBuckets,
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "http_requests_in_flight",
			Help: "HTTP requests being served now, open streams included.",
		}),
		upstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_requests_total",
			Help: "Attempts to call the model provider, by provider and HTTP status (\"error\" when no response arrived).",
		}, []string{"provider", "status"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "upstream_request_duration_seconds",
			Help:    "Time from sending an attempt to the provider's response headers, by provider and status.",
			Buckets: latencyBuckets,
		}, []string{"provider", "status"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_retries_total",
			Help: "Retries of upstream calls after a throttle, a server error or a connection failure.",
		}, []string{"provider"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "tokens_total",
			Help: "Tokens the provider reported using, by kind (prompt or completion).",
		}, []string{"kind"}),
		filtered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "content_filter_blocks_total",
			Help: "Content-filter interventions, by stage: prompt (refused, 400) or completion (answer cut, finish_reason content_filter).",
		}, []string{"stage"}),
		pool: newPoolSeries(), genAI: newGenAISeries(), limits: newLimitsSeries(),
		spansDropped: newSpansDropped(),
	}
	m.cacheChildren()
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1; the labels name the running build.",
	}, []string{"version", "revision"})
	build.WithLabelValues(b.Version, b.Revision).Set(1)

	for _, c := range append([]prometheus.Collector{
		m.requests, m.requestDuration, m.inFlight, m.upstreamCalls, m.upstreamDuration,
		m.retries, m.tokens, m.filtered, build, m.spansDropped,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}, append(append(m.pool.collectors(), m.genAI.collectors()...), m.limits.collectors()...)...) {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Series that alerts divide by exist from the start, at zero, so a
	// rate() over a quiet process is 0 rather than no data.
	for _, kind := range []string{tokenPrompt, tokenCompletion} {
		m.tokens.WithLabelValues(kind)
	}
	for _, stage := range []string{stagePrompt, stageCompletion} {
		m.filtered.WithLabelValues(stage)
	}
	for _, reason := range []string{SpansQueueFull, SpansExportFailed} {
		m.spansDropped.WithLabelValues(reason)
	}
	for _, kind := range []ports.Refusal{ports.RefusedRequests, ports.RefusedTokens, ports.RefusedQuota} {
		m.limits.refusals.WithLabelValues(string(kind))
	}
	return m, nil
}

// Handler serves g in the text exposition format; errors in collection
// are counted on reg as promhttp_metric_handler_errors_total.
func Handler(g prometheus.Gatherer, reg prometheus.Registerer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{Registry: reg})
}
