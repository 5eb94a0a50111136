package app

import (
	"context"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
)

// boundedProcessor puts a counted bound in front of the SDK's batch
// processor. That one never blocks a request either (a full queue drops
// the span), but it does not say when it drops. So this one keeps its own
// count of spans handed on and not yet given to the exporter, and drops,
// counting, at the same bound: the exporter's wrapper takes a batch off
// the count as the batch leaves the queue. The batch processor holds
// at most that many spans, so with one slot more it never drops one
// itself, and every loss is counted here; the slot is for the marker a
// ForceFlush puts in the same queue.
type boundedProcessor struct {
	sdktrace.SpanProcessor
	pending *atomic.Int64
	limit   int64
	drops   spanDrops
}

func newBoundedProcessor(exp sdktrace.SpanExporter, queue int, drops spanDrops, failed *exportErrors) *boundedProcessor {
	pending := new(atomic.Int64)
	counted := &countingExporter{SpanExporter: exp, pending: pending, drops: drops, failed: failed}
	return &boundedProcessor{
		SpanProcessor: sdktrace.NewBatchSpanProcessor(counted, sdktrace.WithMaxQueueSize(queue+1)),
		pending:       pending, limit: int64(queue), drops: drops,
	}
}

// OnEnd runs on the request's goroutine as a span ends: an atomic add,
// and the batch processor's non-blocking send.
func (p *boundedProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return // recorded but not sampled: the batch processor ignores it too
	}
	if p.pending.Add(1) > p.limit {
		p.pending.Add(-1)
		p.drops.SpansDropped(metrics.SpansQueueFull, 1)
		return
	}
	p.SpanProcessor.OnEnd(s)
}

// countingExporter takes each batch off the count as it leaves the
// queue, and counts a batch the collector did not take as lost: all of
// it, even when the collector said it refused only part (the exporter
// does not say how many). The error stops here, logged: the batch
// processor would only pass it to otel.Handle (see exportErrors), and
// it retries nothing itself; the exporter has retried already.
type countingExporter struct {
	sdktrace.SpanExporter
	pending *atomic.Int64
	drops   spanDrops
	failed  *exportErrors
}

func (e *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.pending.Add(-int64(len(spans)))
	if err := e.SpanExporter.ExportSpans(ctx, spans); err != nil {
		e.drops.SpansDropped(metrics.SpansExportFailed, len(spans))
		e.failed.report(err)
	}
	return nil
}
