package llmhttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

func spanAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	out := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		out[kv.Key] = kv.Value
	}
	return out
}

// The attempt's span is the pool's: the adapter carries it upstream as
// traceparent and adds what the wire said, for a whole answer and for a
// stream alike, and opens no span of its own.
func TestAttemptSpanTravelsUpstreamAndHearsTheAnswer(t *testing.T) {
	const chat = `{"id":"chatcmpl-77","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`
	const chunk = `{"id":"chatcmpl-78","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"length"}]}`
	const usage = `{"id":"chatcmpl-78","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`
	for _, stream := range []bool{false, true} {
		var traceparent string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			traceparent = r.Header.Get("traceparent")
			w.Header().Set("x-request-id", "up-1")
			if stream {
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, "data: "+chunk+"\n\ndata: "+usage+"\n\ndata: [DONE]\n\n")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, chat)
		}))
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		ctx, attempt := tp.Tracer("test").Start(context.Background(), "chat gpt")
		c := llmhttp.NewChatClient(llmhttp.New(srv.Client(), target), llmhttp.Endpoint{URL: srv.URL, Timeout: time.Minute})
		conv := ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}}
		wantID, wantReason, wantOut := "chatcmpl-77", "stop", int64(1)
		if stream {
			st, err := c.Stream(ctx, conv)
			if err != nil {
				t.Fatal(err)
			}
			for _, err := st.Recv(); err == nil; _, err = st.Recv() {
			}
			_ = st.Close()
			wantID, wantReason, wantOut = "chatcmpl-78", "length", 2
		} else if _, err := c.Chat(ctx, conv); err != nil {
			t.Fatal(err)
		}
		attempt.End()
		srv.Close()
		sc := attempt.SpanContext()
		if want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"; traceparent != want {
			t.Errorf("stream=%v: upstream got traceparent %q, want %q", stream, traceparent, want)
		}
		spans := rec.Ended()
		if len(spans) != 1 {
			t.Fatalf("stream=%v: %d spans, want only the attempt's", stream, len(spans))
		}
		a := spanAttrs(spans[0])
		host, _ := url.Parse(srv.URL)
		if a["http.response.status_code"].AsInt64() != 200 || a["server.address"].AsString() != host.Hostname() || a["aoai.upstream_request_id"].AsString() != "up-1" ||
			a["gen_ai.response.id"].AsString() != wantID || a["gen_ai.response.model"].AsString() != "gpt-4o-2024-08-06" ||
			len(a["gen_ai.response.finish_reasons"].AsStringSlice()) != 1 || a["gen_ai.response.finish_reasons"].AsStringSlice()[0] != wantReason ||
			a["gen_ai.usage.input_tokens"].AsInt64() != 5 || a["gen_ai.usage.output_tokens"].AsInt64() != wantOut {
			t.Errorf("stream=%v: attributes = %v", stream, a)
		}
		_ = tp.Shutdown(context.Background())
	}
}

// Without a span nothing is propagated: no traceparent of nobody's trace.
func TestNoSpanNoTraceparent(t *testing.T) {
	got := "unset"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("traceparent")
		_, _ = io.WriteString(w, `{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]}`)
	}))
	defer srv.Close()
	c := llmhttp.NewChatClient(llmhttp.New(srv.Client(), target), llmhttp.Endpoint{URL: srv.URL, Timeout: time.Minute})
	if _, err := c.Chat(context.Background(), ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}}); err != nil {
		t.Fatal(err)
	}
	if got != "" {
		t.Errorf("traceparent %q sent without a span", got)
	}
}
