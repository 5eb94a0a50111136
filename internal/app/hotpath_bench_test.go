package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
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
// reports the log lines each request writes.
func BenchmarkCompletionsHotPath(b *testing.B) {
	m, _, err := newMetrics() // counted as in production: metrics are on the hot path too
	if err != nil {
		b.Fatal(err)
	}
	cfg := benchConfig()
	lines := &countedLines{}
	log := zerolog.New(lines).Level(zerolog.InfoLevel)
	model, _ := (&backends{cfg: cfg, client: &http.Client{Transport: cannedUpstream{}}, metrics: m}).pool(envModels(cfg), log)
	h, err := newHandler(Resolved{Config: cfg, Models: envModels(cfg)}, log, model, operations{metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	body := `{"prompt":"Explain Azure OpenAI in one sentence."}`
	b.ReportAllocs()
	b.ResetTimer()
	lines.n = 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(lines.n)/float64(b.N), "loglines/op")
}
