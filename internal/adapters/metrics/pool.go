package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// backendStates are the values a backend's state gauge takes, as the
// pool names them; exporting each at 0 or 1 lets an alert select one.
var backendStates = []string{"healthy", "cooling", "ejected", "probing", "broken"}

type poolSeries struct {
	attempts  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	failovers *prometheus.CounterVec
	state     *prometheus.GaugeVec
}

func newPoolSeries() poolSeries {
	return poolSeries{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "backend_attempts_total",
			Help: "Attempts on each backend, by model, backend and outcome (ok, rejected, throttled, failed, broken, abandoned).",
		}, []string{"model", "backend", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "backend_attempt_duration_seconds",
			Help:    "Time from an attempt's start to the backend's answer (a stream's: to its response headers), by model and backend.",
			Buckets: latencyBuckets,
		}, []string{"model", "backend"}),
		failovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "backend_failovers_total",
			Help: "Requests moved on to another backend of their model after a failure.",
		}, []string{"model"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "backend_state",
			Help: "1 for each backend's current state (healthy, cooling, ejected, probing, broken), 0 for the others.",
		}, []string{"model", "backend", "state"}),
	}
}

func (s poolSeries) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.attempts, s.latency, s.failovers, s.state}
}

// Attempt, Failover, State and Removed fulfil pool.Observer without
// this package importing the pool.
func (m *Metrics) Attempt(model, backend, outcome string, elapsed time.Duration) {
	m.pool.attempts.WithLabelValues(model, backend, outcome).Inc()
	m.pool.latency.WithLabelValues(model, backend).Observe(elapsed.Seconds())
}

func (m *Metrics) Failover(model string) { m.pool.failovers.WithLabelValues(model).Inc() }

func (m *Metrics) State(model, backend, state string) {
	for _, s := range backendStates {
		v := 0.0
		if s == state {
			v = 1
		}
		m.pool.state.WithLabelValues(model, backend, s).Set(v)
	}
}

// Removed drops a backend's series, so a reload leaves no stale state.
func (m *Metrics) Removed(model, backend string) {
	labels := prometheus.Labels{"model": model, "backend": backend}
	m.pool.state.DeletePartialMatch(labels)
	m.pool.attempts.DeletePartialMatch(labels)
	m.pool.latency.DeletePartialMatch(labels)
	m.genAI.firstToken.DeletePartialMatch(labels)
	m.genAI.perToken.DeletePartialMatch(labels)
}
