package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// tracing is what Run hands the adapters: the provider to start spans
// from, and the flush for the drain.
//
// Off (no endpoint, or OTEL_SDK_DISABLED), the provider is nil and the
// adapters add no middleware, span or header: no exporter exists, so
// nothing can connect anywhere, and the hot path is what it was before
// tracing. A client's traceparent is then not passed on upstream either:
// the service is not in the trace, and an upstream request looks the
// same as without this feature.
type tracing struct {
	Provider trace.TracerProvider // nil while off
	Shutdown func(context.Context) error
}

// spanDrops is what the metrics adapter counts for tracing.
type spanDrops interface {
	SpansDropped(reason string, n int)
}

// newTracing builds the SDK from the settings, passing each one
// explicitly. The SDK's other variables (OTEL_BSP_SCHEDULE_DELAY,
// OTEL_EXPORTER_OTLP_TIMEOUT, _COMPRESSION, _CERTIFICATE, …) it still
// reads from the process environment itself.
func newTracing(res Resolved, drops spanDrops, log zerolog.Logger) (tracing, error) {
	ts, err := res.Config.tracing()
	if err != nil {
		return tracing{}, err
	}
	if ts.off != "" {
		log.Info().Str("reason", ts.off).Msg("tracing off")
		return tracing{Shutdown: func(context.Context) error { return nil }}, nil
	}
	exp, err := newExporter(ts)
	if err != nil {
		return tracing{}, err
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(newSampler(ts)),
		sdktrace.WithResource(newResource(ts, res)),
		sdktrace.WithSpanProcessor(newBoundedProcessor(exp, ts.queue, drops, newExportErrors(log))),
	)
	log.Info().Str("protocol", ts.protocol).Str("endpoint", maskURL(ts.endpoint)).Str("sampler", ts.sampler).
		Float64("sampler_ratio", ts.ratio).Int("queue", ts.queue).Msg("tracing on")
	return tracing{Provider: tp, Shutdown: tp.Shutdown}, nil
}

// newExporter creates no connection: the HTTP client dials on the first
// export, and the gRPC one connects lazily.
func newExporter(ts tracingSettings) (sdktrace.SpanExporter, error) {
	ctx := context.Background()
	if ts.protocol == protocolGRPC {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithHeaders(ts.headers)}
		if _, isURL := asURL(ts.endpoint); isURL {
			opts = append(opts, otlptracegrpc.WithEndpointURL(ts.endpoint))
		} else {
			opts = append(opts, otlptracegrpc.WithEndpoint(ts.endpoint)) // TLS unless OTEL_EXPORTER_OTLP_INSECURE=true
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	encoding := otlptracehttp.EncodingProtobuf
	if ts.protocol == protocolHTTPJSON {
		encoding = otlptracehttp.EncodingJSON
	}
	return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(ts.endpoint), otlptracehttp.WithHeaders(ts.headers), otlptracehttp.WithEncoding(encoding))
}

// newSampler follows the spec's names. The parent-based ones follow a
// client's sampled flag: a request whose traceparent says "not sampled"
// is not recorded, whatever the ratio.
func newSampler(ts tracingSettings) sdktrace.Sampler {
	switch ts.sampler {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ts.ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ts.ratio))
	}
	return sdktrace.ParentBased(sdktrace.AlwaysSample())
}

// newResource names the service as the spec orders it: OTEL_SERVICE_NAME
// when set, else a service.name in OTEL_RESOURCE_ATTRIBUTES, else our
// default. service.version is the build's unless the attributes say
// otherwise, as an operator who writes it means it.
func newResource(ts tracingSettings, res Resolved) *resource.Resource {
	attrs := []attribute.KeyValue{attribute.String("service.version", version)}
	named := false
	for _, a := range ts.attrs {
		named = named || a.Key == "service.name"
	}
	attrs = append(attrs, ts.attrs...) // later keys win
	if !named || explicit(res, "OTEL_SERVICE_NAME") {
		attrs = append(attrs, attribute.String("service.name", res.Config.OTelServiceName))
	}
	r, err := resource.New(context.Background(), resource.WithTelemetrySDK(), resource.WithAttributes(attrs...))
	if err != nil { // only a detector fails, and the SDK's own never does
		return resource.NewSchemaless(attrs...)
	}
	return r
}

// explicit reports whether the environment or .env gave key a value;
// an empty one counts as unset, as the spec reads OTel's variables.
func explicit(res Resolved, key string) bool {
	if res.lookup == nil {
		return false
	}
	v, ok := res.lookup(key)
	return ok && strings.TrimSpace(v) != ""
}

// minFlush is the least the drain gives pending spans, for the spans of
// requests that the shutdown deadline itself ended; it fits in the slack
// terminationGracePeriodSeconds leaves over the drain.
const minFlush = time.Second

// flushBy is when pending spans must be out: the end of the drain's
// budget, SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT after the signal, or minFlush
// from now if that is later. A collector that cannot be reached holds the
// exit no longer than that.
func flushBy(signalled, now time.Time, cfg Config) time.Time {
	end := signalled.Add(cfg.ShutdownDelay + cfg.ShutdownTimeout)
	if soonest := now.Add(minFlush); signalled.IsZero() || end.Before(soonest) {
		return soonest
	}
	return end
}

// flush exports what is pending, within the deadline.
func (t tracing) flush(deadline time.Time, log zerolog.Logger) {
	if t.Provider == nil {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.Warn().Err(fmt.Errorf("tracing: %w", err)).Msg("pending spans were not all exported before the shutdown deadline")
	}
}
