package metrics_test

import (
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
)

// Both reasons exist from the start, so an alert on a rate of drops has
// data before the first one.
func TestDroppedSpansAreCountedByReason(t *testing.T) {
	m, reg := mustNew(t)
	const help = `
# HELP aoai_api_trace_spans_dropped_total Spans that ended but were never exported, by reason: queue_full (the export queue, OTEL_BSP_MAX_QUEUE_SIZE, was full) or export_failed (the collector refused them or could not be reached).
# TYPE aoai_api_trace_spans_dropped_total counter
`
	value(t, reg, help+`aoai_api_trace_spans_dropped_total{reason="export_failed"} 0
aoai_api_trace_spans_dropped_total{reason="queue_full"} 0
`, "aoai_api_trace_spans_dropped_total")
	m.SpansDropped(metrics.SpansQueueFull, 1)
	m.SpansDropped(metrics.SpansExportFailed, 512)
	m.SpansDropped(metrics.SpansQueueFull, 2)
	value(t, reg, help+`aoai_api_trace_spans_dropped_total{reason="export_failed"} 512
aoai_api_trace_spans_dropped_total{reason="queue_full"} 3
`, "aoai_api_trace_spans_dropped_total")
}
