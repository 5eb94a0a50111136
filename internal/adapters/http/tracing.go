package http

import (
	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// serviceName is the server span's service, as the HTTP conventions want it.
const serviceName = "aoai-api"

// tracing opens each request's server span, continuing a client's W3C
// traceparent and tracestate. It is named by the route template ("POST
// /api/chat"), never the raw path, which would make one name per id.
// Its metrics are the registry's own (http_request_duration_seconds),
// so otelgin's are left off.
func tracing(tp trace.TracerProvider) gin.HandlerFunc {
	return otelgin.Middleware(serviceName,
		otelgin.WithTracerProvider(tp),
		otelgin.WithPropagators(propagation.TraceContext{}),
		otelgin.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelgin.WithSpanNameFormatter(routeName))
}

func routeName(c *gin.Context) string {
	if p := c.FullPath(); p != "" {
		return c.Request.Method + " " + p
	}
	return c.Request.Method // unmatched: the conventions' name when the route is unknown
}

// traced joins the request's log lines to its trace, sampled or not,
// and its span to the correlation id.
func traced(c *gin.Context, l zerolog.Logger, id string) zerolog.Logger {
	span := trace.SpanFromContext(c.Request.Context())
	sc := span.SpanContext()
	if !sc.IsValid() {
		return l
	}
	span.SetAttributes(attribute.String("aoai.correlation_id", id))
	return l.With().Str("trace_id", sc.TraceID().String()).Str("span_id", sc.SpanID().String()).Logger()
}
