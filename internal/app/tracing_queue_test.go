package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
)

func endedSpan(flags trace.TraceFlags) sdktrace.ReadOnlySpan {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	return tracetest.SpanStub{Name: "s", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags})}.Snapshot()
}

// handedOn records what the bounded processor passes to the batch one.
type handedOn struct {
	sdktrace.SpanProcessor
	n atomic.Int64
}

func (h *handedOn) OnEnd(sdktrace.ReadOnlySpan) { h.n.Add(1) }

type nopExporter struct{ err error }

func (e nopExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return e.err }
func (nopExporter) Shutdown(context.Context) error                               { return nil }

func TestBoundedProcessorDropsAndCountsPastItsBound(t *testing.T) {
	drops, inner, pending := &countedDrops{}, &handedOn{}, new(atomic.Int64)
	p := &boundedProcessor{SpanProcessor: inner, pending: pending, limit: 2, drops: drops}
	exp := &countingExporter{SpanExporter: nopExporter{}, pending: pending, drops: drops, failed: newExportErrors(zerolog.Nop())}
	for range 3 {
		p.OnEnd(endedSpan(trace.FlagsSampled))
	}
	p.OnEnd(endedSpan(0)) // not sampled: never queued, so neither counted nor dropped
	if inner.n.Load() != 2 || drops.of(metrics.SpansQueueFull) != 1 || pending.Load() != 2 {
		t.Fatalf("handed on %d, dropped %d, pending %d; want 2, 1, 2", inner.n.Load(), drops.of(metrics.SpansQueueFull), pending.Load())
	}
	// A batch leaving the queue makes room again.
	_ = exp.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{endedSpan(trace.FlagsSampled), endedSpan(trace.FlagsSampled)})
	p.OnEnd(endedSpan(trace.FlagsSampled))
	if inner.n.Load() != 3 || drops.of(metrics.SpansQueueFull) != 1 {
		t.Errorf("after an export: handed on %d, dropped %d; want 3, 1", inner.n.Load(), drops.of(metrics.SpansQueueFull))
	}
}

// blockingExporter holds its first export until released, as a collector
// that stopped answering does.
type blockingExporter struct {
	release  chan struct{}
	exported atomic.Int64
}

func (e *blockingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-e.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.exported.Add(int64(len(spans)))
	return nil
}

func (e *blockingExporter) Shutdown(context.Context) error { return nil }

// With the SDK's own batch processor behind it and a collector that
// hangs, requests ending spans never wait, and every span is either
// exported or counted: none is lost unseen in the SDK's queue.
func TestEverySpanIsExportedOrCountedWhenTheCollectorHangs(t *testing.T) {
	const queue, spans = 8, 400
	drops := &countedDrops{}
	exp := &blockingExporter{release: make(chan struct{})}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(newBoundedProcessor(exp, queue, drops, newExportErrors(zerolog.Nop()))))
	tracer := tp.Tracer("t")
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 {
		wg.Go(func() {
			for range spans / 4 {
				_, s := tracer.Start(context.Background(), "s")
				s.End()
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ending %d spans took %v with a hanging collector", spans, took)
	}
	close(exp.release)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	exported, dropped := int(exp.exported.Load()), drops.of(metrics.SpansQueueFull)
	if exported+dropped != spans || dropped == 0 || exported > 2*queue+1 {
		t.Errorf("exported %d + dropped %d, want %d with some dropped and at most %d exported", exported, dropped, spans, 2*queue+1)
	}
}

func TestFailedExportsAreCountedAndLoggedAtMostEveryWhile(t *testing.T) {
	var logs bytes.Buffer
	drops, pending := &countedDrops{}, new(atomic.Int64)
	errs := newExportErrors(zerolog.New(&logs))
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	errs.now = func() time.Time { return now }
	exp := &countingExporter{SpanExporter: nopExporter{err: errors.New("dial tcp 127.0.0.1:4318: connection refused")}, pending: pending, drops: drops, failed: errs}
	batch := []sdktrace.ReadOnlySpan{endedSpan(trace.FlagsSampled), endedSpan(trace.FlagsSampled)}
	for _, step := range []time.Duration{0, time.Second, 2 * time.Second, exportErrorEvery} {
		now = now.Add(step)
		if err := exp.ExportSpans(context.Background(), batch); err != nil {
			t.Errorf("ExportSpans = %v: the error was to stop at the wrapper", err)
		}
	}
	if drops.of(metrics.SpansExportFailed) != 8 {
		t.Errorf("export_failed = %d, want 8", drops.of(metrics.SpansExportFailed))
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "connection refused") || !strings.Contains(lines[1], `"suppressed":2`) {
		t.Errorf("log lines = %q, want 2, the second saying 2 were suppressed", lines)
	}
}
