package admission_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aoai-api/aoai-api/internal/adapters/admission"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// A call that finds a free slot opens no span; one that queues shows
// its wait as a span of its own, failed when no slot came.
func TestOnlyAWaitForASlotIsASpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	m := newBlocking()
	g := admission.Limit(m, 1, 0, admission.WithTracer(tp.Tracer("test")))
	go func() { _, _ = g.Chat(context.Background(), ports.Conversation{}) }()
	<-m.entered
	defer close(m.release)
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans for a call that found a free slot", n)
	}
	if _, err := g.Chat(context.Background(), ports.Conversation{}); err == nil {
		t.Fatal("a full gate with no wait admitted a second call")
	}
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "admission wait" || spans[0].Status().Code != codes.Error {
		t.Fatalf("spans = %v", spans)
	}
	if d := spans[0].EndTime().Sub(spans[0].StartTime()); d < 0 || d > time.Minute {
		t.Errorf("wait span lasted %v", d)
	}
}
