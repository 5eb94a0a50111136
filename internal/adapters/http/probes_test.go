package http_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

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
			map[string]any{"status": "ready", "provider": "azure", "auth": "entra", "models": []any{}}},
		{"missing", httpadapter.Readiness{Provider: "azure", Auth: "key", Problem: "Azure OpenAI configuration incomplete",
			Missing: []string{"AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"}}, false, 503,
			map[string]any{"status": "not_ready", "provider": "azure", "auth": "key", "reason": "Azure OpenAI configuration incomplete",
				"missing": []any{"AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"}, "models": []any{}}},
		{"draining", httpadapter.Readiness{Provider: "openai", Auth: "none"}, true, 503,
			map[string]any{"status": "draining", "provider": "openai", "auth": "none", "reason": "the server is shutting down", "models": []any{}}},
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

// TestReadyzListsUsableBackendsAndFailsOnlyForConfiguration: a backend's
// upstream state never fails readiness, one that could not be built does.
func TestReadyzListsUsableBackendsAndFailsOnlyForConfiguration(t *testing.T) {
	until := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
	pool := []httpadapter.ModelBackends{
		{Name: "gpt", Backends: []httpadapter.Backend{
			{Name: "east", State: "cooling", Until: until}, {Name: "west", State: "healthy"}, {Name: "north", State: "ejected"},
		}},
		{Name: "mini", Backends: []httpadapter.Backend{{Name: "local", State: "broken", Until: until}}},
	}
	h := httpadapter.NewHandler(zerolog.Nop(), nil, httpadapter.Options{Readiness: httpadapter.Readiness{Provider: "pool", Auth: "per_backend"},
		Backends: func() []httpadapter.ModelBackends { return pool }})
	rec := do(h, "GET", "/readyz", "", "")
	want := `{"status":"ready","provider":"pool","auth":"per_backend","models":[{"name":"gpt","usable":["west","north"]},{"name":"mini","usable":[]}]}`
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("readyz = %d %s\nwant 200 %s", rec.Code, rec.Body, want)
	}
	rec = do(h, "GET", "/api/backends", "", "")
	want = `{"models":[{"name":"gpt","backends":[{"name":"east","state":"cooling","until":"2026-01-01T00:00:30Z","priority":0,"weight":0},` +
		`{"name":"west","state":"healthy","until":null,"priority":0,"weight":0},{"name":"north","state":"ejected","until":null,"priority":0,"weight":0}]},` +
		`{"name":"mini","backends":[{"name":"local","state":"broken","until":"2026-01-01T00:00:30Z","priority":0,"weight":0}]}]}`
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("backends = %d %s\nwant 200 %s", rec.Code, rec.Body, want)
	}
	pool[1].Backends[0].Problem = "Microsoft Entra ID credential unavailable"
	if rec := do(h, "GET", "/readyz", "", ""); rec.Code != 503 || decode(t, rec)["reason"] != "Microsoft Entra ID credential unavailable" {
		t.Errorf("a model with no buildable backend: %d %s, want 503 naming why", rec.Code, rec.Body)
	}
}
