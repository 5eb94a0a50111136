package test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// compatUpstream speaks the OpenAI-compatible wire at path, checking the
// auth header it must carry and that the body names the model.
func compatUpstream(t *testing.T, path, authHeader, authValue, model string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var req struct {
			wireRequest
			Model string `json:"model"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		switch {
		case r.URL.Path != path || r.URL.RawQuery != "":
			azureError(w, http.StatusNotFound, "not_found", "no such path "+r.URL.Path)
		case r.Header.Get(authHeader) != authValue:
			azureError(w, http.StatusUnauthorized, "invalid_api_key", "bad credentials")
		case req.Model != model:
			azureError(w, http.StatusNotFound, "model_not_found", "no such model")
		default:
			azureReply(w, req.wireRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestProviderSwitchesThroughTheEnvironmentAlone(t *testing.T) {
	classic := newAzureUpstream(t, azureReply)
	v1, v1Calls := compatUpstream(t, "/openai/v1/chat/completions", "api-key", testAPIKey, testDeployment)
	oai, oaiCalls := compatUpstream(t, "/v1/chat/completions", "Authorization", "Bearer sk-openai-test", "llama3")
	local, localCalls := compatUpstream(t, "/v1/chat/completions", "Authorization", "", "qwen2")

	v1Env := azureEnv(classic)
	v1Env["AZURE_OPENAI_ENDPOINT"], v1Env["AZURE_OPENAI_API_VERSION"] = v1.URL, "v1"
	tests := []struct {
		name  string
		env   map[string]string
		calls func() int32
		model string
	}{
		{"azure classic", azureEnv(classic), classic.calls.Load, "gpt-4o-2024-08-06"},
		{"azure v1", v1Env, v1Calls.Load, "gpt-4o-2024-08-06"},
		{"openai with key", map[string]string{"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": oai.URL + "/v1", "OPENAI_API_KEY": "sk-openai-test", "OPENAI_MODEL": "llama3"}, oaiCalls.Load, "gpt-4o-2024-08-06"},
		{"openai local without key", map[string]string{"LLM_PROVIDER": "openai", "OPENAI_BASE_URL": local.URL + "/v1/", "OPENAI_MODEL": "qwen2"}, localCalls.Load, "gpt-4o-2024-08-06"},
		{"fake", map[string]string{"LLM_PROVIDER": "fake", "FAKE_STREAM_DELAY": "0s"}, func() int32 { return 0 }, "offline-fake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.calls()
			svc := startService(t, tt.env)
			r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"ping"}`)
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if m := r.JSON(t); m["model"] != tt.model || !strings.Contains(m["response"].(string), "ping") {
				t.Errorf("body = %s", r.Body)
			}
			s := openStream(t, t.Context(), svc.URL+"/api/chat/stream", `{"messages":[{"role":"user","content":"ping"}]}`)
			var joined strings.Builder
			for ev := s.next(t); ev.Name != "done"; ev = s.next(t) {
				if ev.Name == "error" {
					t.Fatalf("stream error: %v", ev.Data)
				}
				joined.WriteString(ev.Data["delta"].(string))
			}
			if !strings.Contains(joined.String(), "ping") {
				t.Errorf("stream = %q, want the echoed prompt", joined.String())
			}
			if tt.name != "fake" && tt.calls()-before != 2 {
				t.Errorf("upstream calls = %d, want 2: this provider's upstream must serve both", tt.calls()-before)
			}
		})
	}
}

func TestOpenAIProviderMissingModelNamesIt(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "openai"})
	assertErrorResponse(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`), 500,
		"OpenAI-compatible configuration incomplete: missing OPENAI_MODEL")
}

func TestEntraModeNeedsNoKeyAndSaysSoAtStartup(t *testing.T) {
	svc := startService(t, map[string]string{"AZURE_OPENAI_AUTH": "entra", "AZURE_OPENAI_DEPLOYMENT_NAME": testDeployment})
	assertErrorResponse(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`), 500,
		"Azure OpenAI configuration incomplete: missing AZURE_OPENAI_ENDPOINT")
	start := svc.waitFor(t, "starting aoai-api")
	if start["azure_auth"] != "entra" {
		t.Errorf("start-up line = %v, want azure_auth=entra", start)
	}
}
