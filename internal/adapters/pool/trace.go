package pool

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Span events on the request's span: what the pool decided between
// attempts.
const (
	eventRetry      = "aoai.retry"    // another attempt after a failed one
	eventFailover   = "aoai.failover" // that attempt goes to another backend
	eventWait       = "aoai.wait"     // no backend available: waiting for the soonest recovery
	eventFirstToken = "gen_ai.first_token"
)

// providerNames are the GenAI conventions' gen_ai.provider.name values
// (semconv 1.37) for each backend provider.
var providerNames = map[string]string{"azure": "azure.ai.openai", "openai": "openai", "fake": "aoai-api.fake"}

// span is one attempt's client span, or nothing when tracing is off, so
// an untraced request pays for no context or span.
type span struct {
	trace.Span
}

// startAttempt opens the client span of one attempt, named as the GenAI
// conventions name a chat call, under the request's span. The backend's
// adapter adds what only the wire knows (status, response id, tokens).
func (r *request) startAttempt(ctx context.Context, m *member, conv ports.Conversation) (context.Context, span) {
	t := r.p.opts.Tracer
	if t == nil {
		return ctx, span{}
	}
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", providerNames[m.Provider]),
		attribute.String("gen_ai.request.model", r.g.name),
		attribute.String("aoai.backend", m.Name),
		attribute.Int("aoai.attempt", r.attempts),
	}
	if v := conv.Temperature; v != nil {
		attrs = append(attrs, attribute.Float64("gen_ai.request.temperature", *v))
	}
	if v := conv.MaxCompletionTokens; v != nil {
		attrs = append(attrs, attribute.Int("gen_ai.request.max_tokens", *v))
	} else if v := conv.MaxTokens; v != nil {
		attrs = append(attrs, attribute.Int("gen_ai.request.max_tokens", *v))
	}
	ctx, s := t.Start(ctx, "chat "+r.g.name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx, span{s}
}

// end closes the attempt's span with its outcome; ctx is the request's,
// to tell a departed caller from a failed backend.
func (s span) end(ctx context.Context, err error) {
	if s.Span == nil {
		return
	}
	if err != nil {
		_, label := classify(ctx, err)
		kind := string(domain.KindOf(err))
		if kind == "" {
			kind = "_OTHER"
		}
		s.SetAttributes(attribute.String("error.type", kind), attribute.String("aoai.outcome", label))
		s.SetStatus(codes.Error, label)
	}
	s.End()
}

// event marks a decision on the request's own span, when it records.
func event(ctx context.Context, name string, attrs ...attribute.KeyValue) {
	if s := trace.SpanFromContext(ctx); s.IsRecording() {
		s.AddEvent(name, trace.WithAttributes(attrs...))
	}
}

// firstToken marks the stream's first piece on its attempt's span.
func (s span) firstToken(after time.Duration) {
	if s.Span != nil {
		s.AddEvent(eventFirstToken, trace.WithAttributes(attribute.Float64("aoai.seconds", after.Seconds())))
	}
}

// called reports one attempt's call to the GenAI metrics.
func (r *request) called(m *member, start time.Time, res domain.Answer, err error) {
	errorType := ""
	if err != nil {
		errorType = string(domain.KindOf(err))
	}
	r.p.opts.Observer.Called(r.g.name, m.Name, providerNames[m.Provider], res.Model, errorType, r.p.opts.Now().Sub(start), res.Tokens)
}
