package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
)

// The pool is the model port the use case sees, so it must pass the
// suite every adapter passes: with one backend, and with two of
// different providers, where each failure is failed over once before it
// reaches the caller. It is built as Run builds it: a file's models,
// each backend's own adapter on the production client, the settings'
// pool options. Each backend is tried once (UPSTREAM_MAX_RETRIES is the
// backends less one): the suite judges what a failure becomes, and the
// pool's own tests judge waits and retries.
func TestPoolConformance(t *testing.T) {
	isolate(t)
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 2} {
		t.Run(fmt.Sprintf("pool of %d", size), func(t *testing.T) {
			var second atomic.Int64 // calls on the second backend
			chatmodeltest.Run(t, chatmodeltest.Harness{HasUpstream: true,
				New: func(t *testing.T, upstream http.Handler, o chatmodeltest.Options) ports.ChatModel {
					return conformancePool(t, res.Config, size, upstream, o, &second)
				}})
			if size == 2 && second.Load() == 0 {
				t.Error("no case reached the second backend")
			}
		})
	}
}

const (
	conformanceAzureKey  = "azure-conformance-key"
	conformanceOpenAIKey = "sk-conformance-key"
)

func conformancePool(t *testing.T, cfg Config, size int, upstream http.Handler, o chatmodeltest.Options, second *atomic.Int64) ports.ChatModel {
	azure := checkedUpstream(t, upstream, "/openai/deployments/dep/chat/completions", "api-key", conformanceAzureKey)
	file := "models:\n  - name: model-x\n    backends:\n" +
		"      - {name: azure, provider: azure, endpoint: " + azure + ", deployment: dep, api_key_env: AZURE_KEY, priority: 1}\n"
	if size == 2 {
		counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { second.Add(1); upstream.ServeHTTP(w, r) })
		openai := checkedUpstream(t, counted, "/v1/chat/completions", "Authorization", "Bearer "+conformanceOpenAIKey)
		file += "      - {name: openai, provider: openai, base_url: " + openai + "/v1, model: model-x, api_key_env: OPENAI_KEY, priority: 2}\n"
	}
	f, err := parseLLMFile("pool.yaml", []byte(file), lookupFrom(map[string]string{"AZURE_KEY": conformanceAzureKey, "OPENAI_KEY": conformanceOpenAIKey}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.UpstreamTimeout, cfg.StreamIdleTimeout, cfg.UpstreamMaxRetries = o.Timeout, o.IdleTimeout, size-1
	client := llmhttp.NewHTTPClient(cfg.UpstreamAttemptTimeout)
	t.Cleanup(client.CloseIdleConnections)
	p, problems := (&backends{cfg: cfg, client: client, metrics: mustMetrics(t)}).pool(f.Models, zerolog.Nop())
	if len(problems) > 0 {
		t.Fatalf("backends not built: %v", problems)
	}
	return p
}

// checkedUpstream serves the suite's upstream where a backend of that
// provider sends its requests, and checks that it sends its own key.
func checkedUpstream(t *testing.T, upstream http.Handler, path, header, value string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path || r.Header.Get(header) != value {
			t.Errorf("request %s with %s %q; want %s with %q", r.URL.Path, header, r.Header.Get(header), path, value)
		}
		upstream.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
