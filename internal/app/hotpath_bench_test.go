package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
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

// countedLines discards log lines, counting them: each is one write to
// stdout in production, a syscall on the hot path.
type countedLines struct{ n int }

func (c *countedLines) Write(p []byte) (int, error) {
	c.n++
	return len(p), nil
}

func benchConfig() Config {
	return Config{
		AzureEndpoint: "https://bench.openai.azure.com", AzureAPIKey: "k", AzureDeployment: "d",
		AzureAPIVersion: "2024-10-21", LLMProvider: ProviderAzure, SystemPrompt: "You are a helpful assistant.",
		UpstreamTimeout: time.Minute, MaxBodyBytes: 256 << 10,
	}
}

// BenchmarkCompletionsHotPath drives the real engine, use case and Azure
// adapter, with metrics, logging JSON at INFO to a discarding writer; it
// reports the log lines each request writes. make bench parses its
// name: keep it.
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
	lines := &countedLines{}
	log := zerolog.New(lines).Level(zerolog.InfoLevel)
	ops := operations{metrics: m, tracer: newTr(cfg, m, log).Provider}
	bs := &backends{cfg: cfg, client: &http.Client{Transport: cannedUpstream{}}, metrics: m, tracer: ops.tracerFor()}
	model, _ := bs.pool(envModels(cfg), log)
	h, err := newHandler(Resolved{Config: cfg, Models: envModels(cfg)}, log, model, ops)
	if err != nil {
		b.Fatal(err)
	}
	body := `{"prompt":"Explain Azure OpenAI in one sentence."}`
	target, _ := url.Parse("/api/completions")
	w := &benchWriter{}
	b.ReportAllocs()
	b.ResetTimer()
	lines.n = 0
	for b.Loop() {
		req, done := serverRequest(target, body)
		h.ServeHTTP(w.reset(), req)
		done()
		if w.status != http.StatusOK {
			b.Fatalf("status %d: %s", w.status, w.body.String())
		}
	}
	b.ReportMetric(float64(lines.n)/float64(b.N), "loglines/op")
}

// serverRequest allocates what net/http's server does for each request
// on a kept-alive connection: the request, its URL, its header map, its
// body and its cancellable context. httptest.NewRequest would also parse
// the request through a new 4 KB bufio.Reader, which the server keeps
// per connection, and the benchmark would count it per request.
func serverRequest(target *url.URL, body string) (*http.Request, context.CancelFunc) {
	u := *target
	ctx, cancel := context.WithCancel(context.Background()) // the server's, cancelled when the handler returns
	r := &http.Request{
		Method: http.MethodPost, URL: &u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Host: "bench", RemoteAddr: "192.0.2.1:1234", RequestURI: target.Path,
	}
	return r.WithContext(ctx), cancel
}

// benchWriter is a ResponseWriter with net/http's costs and no more:
// a fresh header map per response, the body discarded after the
// benchmark's check. httptest's recorder also snapshots the headers and
// refuses write deadlines with an error value, per request.
type benchWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *benchWriter) reset() *benchWriter {
	w.header, w.status = http.Header{}, 0
	w.body.Reset()
	return w
}

func (w *benchWriter) Header() http.Header { return w.header }

func (w *benchWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func (w *benchWriter) Flush()                           {}
func (w *benchWriter) SetWriteDeadline(time.Time) error { return nil }
