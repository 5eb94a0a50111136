package metrics

import "github.com/prometheus/client_golang/prometheus"

// Why a span never reached the collector: the export queue was full (the
// collector is slower than the traffic, or away), or an export failed.
const (
	SpansQueueFull    = "queue_full"
	SpansExportFailed = "export_failed"
)

// newSpansDropped counts what tracing lost. Spans are dropped rather than
// waited for, so that a collector that is slow or away never slows a
// request; this series is how an operator sees that it happened.
func newSpansDropped() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "trace_spans_dropped_total",
		Help: "Spans that ended but were never exported, by reason: queue_full (the export queue, OTEL_BSP_MAX_QUEUE_SIZE, was full) or export_failed (the collector refused them or could not be reached).",
	}, []string{"reason"})
}

// SpansDropped counts n spans lost for reason, SpansQueueFull or
// SpansExportFailed.
func (m *Metrics) SpansDropped(reason string, n int) {
	m.spansDropped.WithLabelValues(reason).Add(float64(n))
}
