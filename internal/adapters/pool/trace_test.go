package pool_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/internal/adapters/pool"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
)

// heard records what the pool tells the GenAI metrics.
type heard struct {
	mu                 sync.Mutex
	calls              []string // backend/errorType/responseModel
	firstTokens, perTs []time.Duration
}

func (h *heard) Attempt(string, string, string, time.Duration) {}
func (h *heard) Failover(string)                               {}
func (h *heard) Retried(string)                                {}
func (h *heard) State(string, string, string)                  {}
func (h *heard) Removed(string, string)                        {}
func (h *heard) Called(_, backend, provider, respModel, errType string, _ time.Duration, _ domain.TokenUsage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, backend+"/"+provider+"/"+errType+"/"+respModel)
}
func (h *heard) FirstToken(_, _ string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.firstTokens = append(h.firstTokens, d)
}
func (h *heard) Generated(_, _ string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.perTs = append(h.perTs, d)
}

func tracedPool(t *testing.T, c *clock, obs pool.Observer, models ...pool.Model) (*pool.Pool, *tracetest.SpanRecorder, trace.Tracer) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("test")
	return pool.New(models, pool.Options{
		Timeout: 120 * time.Second, Health: health, Retry: pool.Retry{MaxAttempts: 4, MaxRetryWait: 30 * time.Second},
		Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 }, Observer: obs, Tracer: tracer,
	}), rec, tracer
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	out := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		out[kv.Key] = kv.Value
	}
	return out
}

func eventNames(s sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, e := range s.Events() {
		out = append(out, e.Name)
	}
	return out
}

// A failed attempt and the one after it are two client spans under the
// request's span, numbered, named as the GenAI conventions name a chat
// call; the request's span holds the retry and the failover.
func TestEachAttemptIsAClientSpanUnderTheRequest(t *testing.T) {
	c := newClock()
	east, west := &backend{name: "east", script: []error{failed()}}, &backend{name: "west", script: []error{nil}}
	obs := &heard{}
	p, rec, tracer := tracedPool(t, c, obs, one("gpt", pool.Backend{Name: "east", Provider: "azure", Priority: 1, Weight: 1, Model: east, Key: "east"},
		pool.Backend{Name: "west", Provider: "openai", Priority: 2, Weight: 1, Model: west, Key: "west"}))
	ctx, parent := tracer.Start(context.Background(), "POST /v1/chat/completions")
	temp := 0.3
	if _, err := p.Chat(ctx, ports.Conversation{Model: "gpt", Messages: conv.Messages, Sampling: domain.Sampling{Temperature: &temp, MaxCompletionTokens: intp(50)}}); err != nil {
		t.Fatal(err)
	}
	parent.End()
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want two attempts and the request", len(spans))
	}
	for i, want := range []struct {
		backend, provider string
		failed            bool
	}{{"east", "azure.ai.openai", true}, {"west", "openai", false}} {
		s := spans[i]
		a := attrs(s)
		if s.Name() != "chat gpt" || s.SpanKind() != trace.SpanKindClient || s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("attempt %d: %q kind %v parent %v", i+1, s.Name(), s.SpanKind(), s.Parent().SpanID())
		}
		if a["gen_ai.operation.name"].AsString() != "chat" || a["gen_ai.provider.name"].AsString() != want.provider ||
			a["gen_ai.request.model"].AsString() != "gpt" || a["aoai.backend"].AsString() != want.backend || a["aoai.attempt"].AsInt64() != int64(i+1) ||
			a["gen_ai.request.temperature"].AsFloat64() != 0.3 || a["gen_ai.request.max_tokens"].AsInt64() != 50 {
			t.Errorf("attempt %d attributes = %v", i+1, a)
		}
		if failed := s.Status().Code == codes.Error; failed != want.failed || (failed && a["error.type"].AsString() != string(domain.KindUpstream)) {
			t.Errorf("attempt %d status %v error.type %v", i+1, s.Status(), a["error.type"])
		}
	}
	if got := eventNames(spans[2]); len(got) != 2 || got[0] != "aoai.retry" || got[1] != "aoai.failover" {
		t.Errorf("request span events = %v, want the retry and the failover", got)
	}
	if len(obs.calls) != 2 || obs.calls[0] != "east/azure.ai.openai/upstream/" || obs.calls[1] != "west/openai//west" {
		t.Errorf("calls reported = %v", obs.calls)
	}
}

// timedScript is a stream whose pieces each take a second of the pool's clock.
type timedScript struct {
	chatmodeltest.Script
	c *clock
}

func (s *timedScript) Recv() (domain.Delta, error) {
	s.c.advance(time.Second)
	return s.Script.Recv()
}

type streamer struct {
	c      *clock
	tokens int
}

func (s streamer) Chat(context.Context, ports.Conversation) (domain.Answer, error) {
	return domain.Answer{}, errors.New("unused")
}

func (s streamer) Stream(context.Context, ports.Conversation) (ports.ChatStream, error) {
	return &timedScript{Script: chatmodeltest.Script{Texts: []string{"a", "b", "c"}, End: io.EOF, Answer: domain.Answer{
		Model: "gpt-4o", Choices: []domain.Choice{{FinishReason: "stop"}}, Tokens: domain.TokenUsage{Prompt: intp(3), Completion: intp(s.tokens), Total: intp(3 + s.tokens)},
	}}, c: s.c}, nil
}

// A stream's attempt span lasts as long as the stream, marks its first
// token, and feeds time to first token and per output token.
func TestAStreamsSpanEndsWithTheStream(t *testing.T) {
	c := newClock()
	obs := &heard{}
	p, rec, _ := tracedPool(t, c, obs, one("gpt", pool.Backend{Name: "east", Provider: "azure", Weight: 1, Model: streamer{c: c, tokens: 3}, Key: "east"}))
	st, err := p.Stream(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := st.Recv(); err != nil {
			t.Fatal(err)
		}
		if len(rec.Ended()) != 0 {
			t.Fatal("the attempt span ended while the stream was still running")
		}
	}
	if _, err := st.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
	_ = st.Close()
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Status().Code == codes.Error {
		t.Fatalf("spans = %d, status %v; want one ended cleanly", len(spans), spans[0].Status())
	}
	if got := eventNames(spans[0]); len(got) != 1 || got[0] != "gen_ai.first_token" {
		t.Errorf("events = %v, want gen_ai.first_token", got)
	}
	if spans[0].EndTime().Sub(spans[0].StartTime()) < 0 {
		t.Error("span ends before it starts")
	}
	if len(obs.firstTokens) != 1 || obs.firstTokens[0] != time.Second || len(obs.perTs) != 1 || obs.perTs[0] != 1500*time.Millisecond {
		t.Errorf("first token %v, per token %v; want 1s, and 3s from the first piece to the end over 2 more tokens", obs.firstTokens, obs.perTs)
	}
	if len(obs.calls) != 1 || obs.calls[0] != "east/azure.ai.openai//gpt-4o" {
		t.Errorf("calls = %v", obs.calls)
	}
}

// A stream closed before its end ends its span once, as canceled.
func TestAStreamClosedEarlyEndsItsSpanOnce(t *testing.T) {
	c := newClock()
	p, rec, _ := tracedPool(t, c, &heard{}, one("gpt", pool.Backend{Name: "east", Provider: "azure", Weight: 1, Model: streamer{c: c, tokens: 3}, Key: "east"}))
	st, err := p.Stream(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	_ = st.Close()
	spans := rec.Ended()
	if len(spans) != 1 || attrs(spans[0])["error.type"].AsString() != string(domain.KindCanceled) {
		t.Fatalf("spans %d, attributes %v; want one, canceled", len(spans), attrs(spans[0]))
	}
}

func intp(n int) *int { return &n }
