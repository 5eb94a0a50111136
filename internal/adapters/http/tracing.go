package http

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the server spans.
const tracerName = "github.com/aoai-api/aoai-api/internal/adapters/http"

// tracing opens each request's server span, continuing a client's W3C
// traceparent and tracestate. It is named by the route template ("POST
// /api/chat"), never the raw path, which would make one name per id.
// It sets the HTTP server attributes an operator filters on and no
// more: each attribute is paid for on every request and every export.
// Its metrics are the registry's own (http_request_duration_seconds).
func tracing(tp trace.TracerProvider) gin.HandlerFunc {
	tracer := tp.Tracer(tracerName)
	prop := propagation.TraceContext{}
	return func(c *gin.Context) {
		ctx := prop.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		ctx, span := tracer.Start(ctx, routeName(c), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			attribute.String("http.request.method", c.Request.Method),
			attribute.String("http.route", c.FullPath()),
			attribute.String("url.scheme", "http"), // TLS ends at the ingress
			attribute.String("client.address", clientIP(c)),
		))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		// One call for what the request learnt: each call regrows the
		// span's attribute slice.
		status := c.Writer.Status()
		attrs := [3]attribute.KeyValue{
			attribute.Int("http.response.status_code", status),
			attribute.String("aoai.correlation_id", correlationID(c)), // the X-Request-ID
		}
		n := 2
		if status >= http.StatusInternalServerError { // a 4xx is the client's, not the server's, error
			attrs[n], n = attribute.String("error.type", strconv.Itoa(status)), n+1 // the conventions' value
			span.SetStatus(codes.Error, "")
		}
		span.SetAttributes(attrs[:n]...)
	}
}

func routeName(c *gin.Context) string {
	if p := c.FullPath(); p != "" {
		return c.Request.Method + " " + p
	}
	return c.Request.Method // unmatched: the conventions' name when the route is unknown
}

// traced joins the request's log lines to its trace, sampled or not.
// It adds to the logger context the correlation id is in, so the
// request's logger is built once.
func traced(c *gin.Context, l zerolog.Context) zerolog.Context {
	sc := trace.SpanContextFromContext(c.Request.Context())
	if !sc.IsValid() {
		return l
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	return l.Hex("trace_id", tid[:]).Hex("span_id", sid[:])
}
