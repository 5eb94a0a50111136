package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// FuzzRequests drives the whole engine, decoder, validation and use case
// on the offline model, with any body on any chat route. Whatever comes
// in, the answer is a documented status, and never a 500.
// Seeds: testdata/fuzz/FuzzRequests.
func FuzzRequests(f *testing.F) {
	cfg := Config{
		LLMProvider: ProviderFake, SystemPrompt: "You are a helpful assistant.", MaxBodyBytes: 8 << 10,
		ChatMaxChars: 16000, ChatMaxMessages: 50, MaxTokensLimit: 4096, UpstreamTimeout: time.Minute,
	}
	m, _, err := newMetrics()
	if err != nil {
		f.Fatal(err)
	}
	model, _ := (&backends{cfg: cfg, client: http.DefaultClient, metrics: m}).pool(envModels(cfg), zerolog.Nop())
	h, err := newHandler(Resolved{Config: cfg, Models: envModels(cfg)}, zerolog.Nop(), model, operations{metrics: m})
	if err != nil {
		f.Fatal(err)
	}
	routes := []string{"/api/completions", "/api/chat", "/v1/chat/completions", "/api/completions/stream", "/api/chat/stream"}
	documented := map[int]bool{200: true, 400: true, 404: true, 413: true}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := routes[int(route)%len(routes)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !documented[rec.Code] {
			t.Fatalf("%s answered %d: %s", path, rec.Code, rec.Body)
		}
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/event-stream") {
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "data: ") {
				t.Fatalf("%s: a stream with status %d: %s", path, rec.Code, rec.Body)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s answered %d with a body that is not JSON: %s", path, rec.Code, rec.Body)
		}
		if rec.Code != 200 && m["error"] == nil {
			t.Fatalf("%s answered %d without an error: %s", path, rec.Code, rec.Body)
		}
	})
}
