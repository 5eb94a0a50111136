package llmhttp

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// The attempt's client span is the pool's; this package adds what only
// the wire knows, and carries the span to the upstream. otelhttp's
// transport is not used: it would open a second client span for the
// same attempt.

// traceContext is W3C Trace Context, so that Azure API Management or a
// self-hosted model server can join the trace.
var traceContext = propagation.TraceContext{}

// propagate writes the attempt span's traceparent (and tracestate) on
// the upstream request; without a span it writes nothing.
func propagate(ctx context.Context, h http.Header) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		traceContext.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// traceResponse records the upstream's answer on the attempt span.
func (c *Client) traceResponse(ctx context.Context, resp *http.Response, err error) {
	s := trace.SpanFromContext(ctx)
	if !s.IsRecording() {
		return
	}
	s.SetAttributes(c.appendResponse(make([]attribute.KeyValue, 0, 3), resp, err)...)
}

func (c *Client) appendResponse(attrs []attribute.KeyValue, resp *http.Response, err error) []attribute.KeyValue {
	attrs = append(attrs, attribute.String("server.address", c.host(resp)))
	if err == nil {
		attrs = append(attrs, attribute.Int("http.response.status_code", resp.StatusCode))
		if id := c.RequestID(resp.Header); id != "" {
			attrs = append(attrs, attribute.String("aoai.upstream_request_id", id))
		}
	}
	return attrs
}

func (c *Client) host(resp *http.Response) string {
	if resp != nil && resp.Request != nil {
		return resp.Request.URL.Hostname()
	}
	return ""
}

// traceAnswer records what the model said of its answer: the GenAI
// conventions' response attributes and token usage, with the response's
// own when resp is not nil (a whole answer's, traced once it is read).
// One call per span: each call regrows the span's attribute slice.
func (c *Client) traceAnswer(ctx context.Context, resp *http.Response, id string, a domain.Answer) {
	s := trace.SpanFromContext(ctx)
	if !s.IsRecording() {
		return
	}
	reasons := make([]string, 0, len(a.Choices))
	for _, ch := range a.Choices {
		reasons = append(reasons, ch.FinishReason)
	}
	attrs := make([]attribute.KeyValue, 0, 8)
	if resp != nil {
		attrs = c.appendResponse(attrs, resp, nil)
	}
	attrs = append(attrs,
		attribute.String("gen_ai.response.model", a.Model),
		attribute.StringSlice("gen_ai.response.finish_reasons", reasons),
	)
	if id != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.id", id))
	}
	if t := a.Tokens.Prompt; t != nil {
		attrs = append(attrs, attribute.Int("gen_ai.usage.input_tokens", *t))
	}
	if t := a.Tokens.Completion; t != nil {
		attrs = append(attrs, attribute.Int("gen_ai.usage.output_tokens", *t))
	}
	s.SetAttributes(attrs...)
}
