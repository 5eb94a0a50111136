package http_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

const clientTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func tracedEngine(t *testing.T, sampler sdktrace.Sampler) (*tracetest.SpanRecorder, *strings.Builder, func(method, path, body string, hdr ...string) int) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sampler))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	h, svc, logs := engineWith(t, httpadapter.Options{MaxBodyBytes: 2048, Models: models("gpt-4o"), Tracer: tp})
	svc.EXPECT().Chat(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, _ ports.Conversation) (domain.Completion, error) {
		if !trace.SpanContextFromContext(ctx).IsValid() {
			t.Error("the use case got no span in its context")
		}
		return domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "ok", FinishReason: "stop"}}}}, nil
	}).AnyTimes()
	var out strings.Builder
	return rec, &out, func(method, path, body string, hdr ...string) int {
		rc := do(h, method, path, "application/json", body, hdr...)
		out.Reset()
		out.WriteString(logs.String())
		return rc.Code
	}
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// A request continues the client's trace in a server span named by its
// route template, and every log line of it carries the trace's ids.
func TestServerSpanContinuesTheClientsTrace(t *testing.T) {
	rec, logs, call := tracedEngine(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	if code := call("POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`,
		"traceparent", clientTraceparent, "X-Request-ID", "corr-1"); code != 200 {
		t.Fatalf("status %d", code)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	if s.Name() != "POST /v1/chat/completions" || s.SpanKind() != trace.SpanKindServer ||
		s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span %q kind %v trace %v parent %v", s.Name(), s.SpanKind(), s.SpanContext().TraceID(), s.Parent().SpanID())
	}
	if spanAttr(s, "aoai.correlation_id").AsString() != "corr-1" || spanAttr(s, "http.route").AsString() != "/v1/chat/completions" ||
		spanAttr(s, "http.response.status_code").AsInt64() != 200 {
		t.Errorf("attributes = %v", s.Attributes())
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for _, l := range lines {
		var f map[string]any
		_ = json.Unmarshal([]byte(l), &f)
		if f["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || f["span_id"] != s.SpanContext().SpanID().String() {
			t.Errorf("log line without the trace's ids: %s", l)
		}
	}
	if len(lines) == 0 {
		t.Error("no log lines")
	}
}

// An unmatched path is named by its method only: a raw path would make a
// span name per id a client invents.
func TestUnmatchedPathIsNotASpanName(t *testing.T) {
	rec, _, call := tracedEngine(t, sdktrace.AlwaysSample())
	_ = call("GET", "/v1/nothing/12345", "")
	if spans := rec.Ended(); len(spans) != 1 || spans[0].Name() != "GET" {
		t.Fatalf("span name %q, want GET", spans[0].Name())
	}
}

// A sampled-out request still logs its trace id, so a log line can be
// found from an id a client or a proxy holds.
func TestUnsampledRequestsLogTheirTraceID(t *testing.T) {
	rec, logs, call := tracedEngine(t, sdktrace.NeverSample())
	_ = call("GET", "/v1/models", "")
	if len(rec.Ended()) != 0 {
		t.Fatal("a span recorded under NeverSample")
	}
	if !strings.Contains(logs.String(), `"trace_id":"`) {
		t.Errorf("logs = %s", logs)
	}
}

// CORS preflights let browsers send their trace headers.
func TestCORSAllowsTraceHeaders(t *testing.T) {
	h, _, _ := engineWith(t, httpadapter.Options{Security: httpadapter.Security{CORSOrigins: []string{"https://app.example"}}})
	rc := do(h, "OPTIONS", "/api/chat", "", "", "Origin", "https://app.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "traceparent")
	if got := rc.Header().Get("Access-Control-Allow-Headers"); !strings.Contains(got, "traceparent") || !strings.Contains(got, "tracestate") {
		t.Errorf("Access-Control-Allow-Headers = %q", got)
	}
}
