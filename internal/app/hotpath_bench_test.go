package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/aoai-api/aoai-api/internal/adapters/metrics"
)

// cannedUpstream answers like Azure without a socket, so the benchmark
// counts only our own work.
type cannedUpstream struct{}

const cannedBody = `{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29}}`

func (cannedUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
	return &http.Response{
		StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(cannedBody)), ContentLength: int64(len(cannedBody)), Request: r,
	}, nil
}

func benchConfig() Config {
	return Config{
		AzureEndpoint: "https://bench.openai.azure.com", AzureAPIKey: "k", AzureDeployment: "d",
		AzureAPIVersion: "2024-10-21", LLMProvider: ProviderAzure, SystemPrompt: "You are a helpful assistant.",
		UpstreamTimeout: time.Minute, MaxBodyBytes: 256 << 10,
	}
}

// BenchmarkCompletionsHotPath drives the real engine, use case and Azure
// adapter, with metrics, logging JSON at INFO to a discarding writer.
// make bench parses its name: keep it.
func BenchmarkCompletionsHotPath(b *testing.B) {
	benchHotPath(b, benchConfig(), func(Config, *metrics.Metrics, zerolog.Logger) tracing { return tracing{} })
}

// BenchmarkCompletionsHotPathTracingOff configures a collector and
// OTEL_SDK_DISABLED and reads them as Run does, through newTracing: off
// must allocate exactly what no tracing at all does.
func BenchmarkCompletionsHotPathTracingOff(b *testing.B) {
	cfg := tracingConfig(b)
	cfg.OTelSDKDisabled = true
	benchHotPath(b, cfg, func(cfg Config, m *metrics.Metrics, log zerolog.Logger) tracing {
		tr, err := newTracing(Resolved{Config: cfg}, m, log)
		if err != nil {
			b.Fatal(err)
		}
		if tr.Provider != nil {
			b.Fatal("OTEL_SDK_DISABLED=true built a provider")
		}
		return tr
	})
}

// BenchmarkCompletionsHotPathTracingOn is tracing on with the default
// sampler (every root span sampled), built as newTracing builds it but
// with an exporter that drops each batch: the spans' cost on the
// request, not the wire's.
func BenchmarkCompletionsHotPathTracingOn(b *testing.B) {
	benchHotPath(b, tracingConfig(b), func(cfg Config, m *metrics.Metrics, log zerolog.Logger) tracing {
		ts, err := cfg.tracing()
		if err != nil || ts.off != "" {
			b.Fatalf("tracing settings: %v, off: %q", err, ts.off)
		}
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithSampler(newSampler(ts)),
			sdktrace.WithResource(newResource(ts, Resolved{Config: cfg})),
			sdktrace.WithSpanProcessor(newBoundedProcessor(discardSpans{}, ts.queue, m, newExportErrors(log))),
		)
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		return tracing{Provider: tp, Shutdown: tp.Shutdown}
	})
}

// tracingConfig is benchConfig with a collector, the OTel settings
// validated (their defaults filled in) as LoadConfig validates them.
func tracingConfig(b *testing.B) Config {
	cfg := benchConfig()
	cfg.OTelEndpoint, cfg.OTelMaxQueueSize = "http://127.0.0.1:4318", 2048
	if err := cfg.validateTracing(); err != nil {
		b.Fatal(err)
	}
	return cfg
}

type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

func benchHotPath(b *testing.B, cfg Config, newTr func(Config, *metrics.Metrics, zerolog.Logger) tracing) {
	m, _, err := newMetrics() // counted as in production: metrics are on the hot path too
	if err != nil {
		b.Fatal(err)
	}
	log := zerolog.New(io.Discard).Level(zerolog.InfoLevel)
	ops := operations{metrics: m, tracer: newTr(cfg, m, log).Provider}
	bs := &backends{cfg: cfg, client: &http.Client{Transport: cannedUpstream{}}, metrics: m, tracer: ops.tracerFor()}
	model, _ := bs.pool(envModels(cfg), log)
	h, err := newHandler(Resolved{Config: cfg, Models: envModels(cfg)}, log, model, ops)
	if err != nil {
		b.Fatal(err)
	}
	body := `{"prompt":"Explain Azure OpenAI in one sentence."}`
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
