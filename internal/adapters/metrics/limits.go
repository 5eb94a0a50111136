package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// limitsSeries are the limits adapter's: what it refused and how its
// shared store fares.
type limitsSeries struct {
	refusals    *prometheus.CounterVec
	storeErrors prometheus.Counter
	storeTime   prometheus.Histogram
}

func newLimitsSeries() limitsSeries {
	return limitsSeries{
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "limit_refusals_total",
			Help: "Requests refused by a caller limit, by kind (requests, tokens or quota).",
		}, []string{"kind"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "limits_store_errors_total",
			Help: "Calls to the shared limits store (Redis) that failed or timed out.",
		}),
		storeTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "limits_store_duration_seconds",
			Help:    "Time of each call to the shared limits store, failures included.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
		}),
	}
}

func (s limitsSeries) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.refusals, s.storeErrors, s.storeTime}
}

// Refused counts a limit's refusal.
func (m *Metrics) Refused(kind ports.Refusal) { m.limits.refusals.WithLabelValues(string(kind)).Inc() }

// StoreCall observes one call to the shared limits store.
func (m *Metrics) StoreCall(err error, took time.Duration) {
	m.limits.storeTime.Observe(took.Seconds())
	if err != nil {
		m.limits.storeErrors.Inc()
	}
}
