package openai_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/adapters/openai"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
)

func TestConformance(t *testing.T) {
	for _, key := range []string{"sk-test", ""} {
		t.Run("key "+map[bool]string{true: "set", false: "unset"}[key != ""], func(t *testing.T) {
			chatmodeltest.Run(t, chatmodeltest.Harness{HasUpstream: true, New: harness(key)})
		})
	}
}

// harness serves the suite's upstream behind an OpenAI-style base URL
// and checks what an OpenAI-compatible server would check.
func harness(key string) func(*testing.T, http.Handler, chatmodeltest.Options) ports.ChatModel {
	return func(t *testing.T, upstream http.Handler, o chatmodeltest.Options) ports.ChatModel {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/chat/completions" {
				t.Errorf("path = %s", r.URL.Path)
			}
			want := ""
			if key != "" {
				want = "Bearer " + key
			}
			if got := r.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization = %q, want %q", got, want)
			}
			upstream.ServeHTTP(w, r)
		}))
		client := llmhttp.NewHTTPClient(0) // the production client, redirect policy included
		t.Cleanup(func() { client.CloseIdleConnections(); srv.Close() })
		return openai.New(openai.Config{BaseURL: srv.URL + "/v1/", APIKey: key, Model: "model-x", Timeout: o.Timeout, IdleTimeout: o.IdleTimeout}, client)
	}
}
