package http_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

func probeEngine(t *testing.T, r httpadapter.Readiness, draining <-chan struct{}) http.Handler {
	t.Helper()
	svc := mocks.NewMockCompleter(gomock.NewController(t)) // probes never reach the use case
	return httpadapter.NewHandler(zerolog.Nop(), svc, httpadapter.Options{Readiness: r, Draining: draining})
}

func TestHealthzChecksNothing(t *testing.T) {
	h := probeEngine(t, httpadapter.Readiness{Provider: "azure", Auth: "key", Problem: "incomplete", Missing: []string{"AZURE_OPENAI_ENDPOINT"}}, nil)
	rec := do(h, "GET", "/healthz", "", "")
	if rec.Code != 200 || decode(t, rec)["status"] != "ok" {
		t.Errorf("healthz = %d %s; liveness must not fail for settings", rec.Code, rec.Body)
	}
}

func TestReadyzNamesProviderAuthAndMissingKeys(t *testing.T) {
	tests := []struct {
		name     string
		ready    httpadapter.Readiness
		draining bool
		status   int
		want     map[string]any
	}{
		{"ready", httpadapter.Readiness{Provider: "azure", Auth: "entra"}, false, 200,
			map[string]any{"status": "ready", "provider": "azure", "auth": "entra"}},
		{"missing", httpadapter.Readiness{Provider: "azure", Auth: "key", Problem: "Azure OpenAI configuration incomplete",
			Missing: []string{"AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"}}, false, 503,
			map[string]any{"status": "not_ready", "provider": "azure", "auth": "key", "reason": "Azure OpenAI configuration incomplete",
				"missing": []any{"AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"}}},
		{"draining", httpadapter.Readiness{Provider: "openai", Auth: "none"}, true, 503,
			map[string]any{"status": "draining", "provider": "openai", "auth": "none", "reason": "the server is shutting down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			draining := make(chan struct{})
			if tt.draining {
				close(draining)
			}
			rec := do(probeEngine(t, tt.ready, draining), "GET", "/readyz", "", "")
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			got := decode(t, rec)
			if len(got) != len(tt.want) {
				t.Errorf("body = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if !equalJSON(got[k], v) {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Error("a probe answer must not be cached")
			}
		})
	}
}

func equalJSON(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok || bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestProbesAndScrapesLogAtDebugOnly(t *testing.T) {
	svc := mocks.NewMockCompleter(gomock.NewController(t))
	var logs strings.Builder
	h := httpadapter.NewHandler(zerolog.New(&logs).Level(zerolog.InfoLevel), svc, httpadapter.Options{})
	do(h, "GET", "/healthz", "", "")
	do(h, "GET", "/readyz", "", "")
	if logs.Len() != 0 {
		t.Errorf("probe lines at INFO: %s", logs.String())
	}
	do(h, "GET", "/healthz/x", "", "") // not a probe: logged as usual
	if !strings.Contains(logs.String(), "/healthz/x") {
		t.Errorf("ordinary 404 not logged: %q", logs.String())
	}
}
