package azureopenai_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
)

func TestConformance(t *testing.T) {
	for _, surface := range []struct{ version, path, query string }{
		{"2024-10-21", "/openai/deployments/dep/chat/completions", "api-version=2024-10-21"},
		{"v1", "/openai/v1/chat/completions", ""},
	} {
		t.Run(surface.version, func(t *testing.T) {
			chatmodeltest.Run(t, chatmodeltest.Harness{HasUpstream: true,
				New: func(t *testing.T, upstream http.Handler, o chatmodeltest.Options) ports.ChatModel {
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path != surface.path || r.URL.RawQuery != surface.query || r.Header.Get("api-key") != "k" {
							t.Errorf("request %s?%s api-key %q", r.URL.Path, r.URL.RawQuery, r.Header.Get("api-key"))
						}
						upstream.ServeHTTP(w, r)
					}))
					client := llmhttp.NewHTTPClient(0) // the production client, redirect policy included
					t.Cleanup(func() { client.CloseIdleConnections(); srv.Close() })
					return azureopenai.New(azureopenai.Config{Endpoint: srv.URL, APIKey: "k", Deployment: "dep",
						APIVersion: surface.version, Timeout: o.Timeout, IdleTimeout: o.IdleTimeout}, client)
				}})
		})
	}
}
