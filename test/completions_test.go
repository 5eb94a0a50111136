package test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCompletionsThroughAzure(t *testing.T) {
	var seen atomic.Value
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		seen.Store([2]string{req.Messages[0].Content, req.Messages[1].Content})
		azureReply(w, req)
	})
	env := azureEnv(up)
	env["SYSTEM_PROMPT"] = "You answer in haiku."
	svc := startService(t, env)

	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"héllo 😀"}`, "X-Request-ID", "e2e-trace-1")
	if r.Status != 200 {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if r.Header.Get("X-Request-ID") != "e2e-trace-1" {
		t.Errorf("X-Request-ID = %q", r.Header.Get("X-Request-ID"))
	}
	want := `{"response":"echo: héllo 😀","usage":{"prompt_chars":7,"response_chars":13,"prompt_tokens":17,"completion_tokens":4,"total_tokens":21},"finish_reason":"stop","model":"gpt-4o-2024-08-06"}`
	if string(r.Body) != want {
		t.Errorf("body =\n%s\nwant\n%s", r.Body, want)
	}
	if got, _ := seen.Load().([2]string); got != [2]string{"You answer in haiku.", "héllo 😀"} {
		t.Errorf("upstream messages (system, user) = %q", got)
	}
}

func TestCompletionsKeyFallsBackToV1(t *testing.T) {
	up := newAzureUpstream(t, azureReply)
	env := azureEnv(up)
	env["AZURE_OPENAI_API_KEY_V1"] = env["AZURE_OPENAI_API_KEY"]
	delete(env, "AZURE_OPENAI_API_KEY")
	svc := startService(t, env)
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`); r.Status != 200 {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
}

func TestCompletionsErrors(t *testing.T) {
	up := newAzureUpstream(t, azureReply)
	svc := startService(t, azureEnv(up))
	tests := []struct {
		name, method, path, contentType, body string
		status                                int
		msg                                   string
	}{
		{"missing prompt", "POST", "/api/completions", "application/json", `{}`, 400, "'prompt' is required"},
		{"blank prompt", "POST", "/api/completions", "application/json", `{"prompt":"  \n"}`, 400, "'prompt' is required"},
		{"4001 chars", "POST", "/api/completions", "application/json", `{"prompt":"` + strings.Repeat("é", 4001) + `"}`, 400, "4000"},
		{"prompt not string", "POST", "/api/completions", "application/json", `{"prompt":true}`, 400, "must be a string"},
		{"not json", "POST", "/api/completions", "application/json", `{prompt}`, 400, "not valid JSON"},
		{"trailing data", "POST", "/api/completions", "application/json", `{"prompt":"a"}]`, 400, "after the JSON object"},
		{"wrong content type", "POST", "/api/completions", "text/plain", `{"prompt":"a"}`, 415, "application/json"},
		{"unknown route", "GET", "/api/nope", "", "", 404, "Resource not found"},
		{"wrong method", "PUT", "/api/completions", "", "", 405, "Method not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.method, svc.URL+tt.path, tt.contentType, tt.body)
			assertErrorResponse(t, r, tt.status, tt.msg)
		})
	}
	if n := up.calls.Load(); n != 0 {
		t.Errorf("upstream called %d times for invalid requests", n)
	}
}

func TestAzureMisconfiguredStillBootsAndNamesMissingKeys(t *testing.T) {
	svc := startService(t, map[string]string{"AZURE_OPENAI_API_KEY": testAPIKey})
	if r := call(t, "GET", svc.URL+"/api/", "", ""); r.Status != 200 {
		t.Fatalf("welcome status = %d", r.Status)
	}
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`)
	assertErrorResponse(t, r, 500, "Azure OpenAI configuration incomplete: missing AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME")
	if strings.Contains(string(r.Body), testAPIKey) {
		t.Error("the key leaked")
	}
}

func TestUpstreamFailureIs502(t *testing.T) {
	up := newAzureUpstream(t, func(w http.ResponseWriter, _ wireRequest) {
		azureError(w, http.StatusInternalServerError, "InternalServerError", "The server had an error")
	})
	svc := startService(t, azureEnv(up))
	assertErrorResponse(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`), 502, "Azure OpenAI")
}

func TestWrongDeploymentIs502NotClientError(t *testing.T) {
	up := newAzureUpstream(t, azureReply)
	env := azureEnv(up)
	env["AZURE_OPENAI_DEPLOYMENT_NAME"] = "no-such-deployment"
	svc := startService(t, env)
	assertErrorResponse(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`), 502, "")
}

func TestFakeProviderNeedsNoAzure(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"Hello"}`)
	if r.Status != 200 {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	if m["model"] != "offline-fake" || !strings.Contains(m["response"].(string), "offline") {
		t.Errorf("body = %s", r.Body)
	}
}

func TestWelcomeRoutes(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake"})
	for _, p := range []string{"/", "/api", "/api/"} {
		r := call(t, "GET", svc.URL+p, "", "")
		if r.Status != 200 {
			t.Fatalf("%s: status = %d", p, r.Status)
		}
		if m := r.JSON(t); m["service"] != "aoai-api" || m["endpoints"] == nil {
			t.Errorf("%s: body = %s", p, r.Body)
		}
	}
}

func TestInvalidConfigStopsStartupWithOneClearLine(t *testing.T) {
	for _, env := range []map[string]string{{"PORT": "http"}, {"LLM_PROVIDER": "bedrock"}, {"UPSTREAM_TIMEOUT": "soon"}} {
		s := mustLaunch(t, env)
		if code := s.waitExit(t); code != 1 {
			t.Errorf("%v: exit code = %d, want 1", env, code)
		}
		out := s.lines()
		var name string
		for k := range env {
			name = k
		}
		if len(out) != 1 || !strings.Contains(out[0], name) {
			t.Errorf("%v: output = %q, want one line naming %s", env, out, name)
		}
	}
}

// assertErrorResponse checks the shared error shape: status, JSON body,
// message, and correlation_id equal to X-Request-ID.
func assertErrorResponse(t *testing.T, r response, status int, msgPart string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	m := r.JSON(t)
	if msg, _ := m["error"].(string); !strings.Contains(msg, msgPart) {
		t.Errorf("error = %q, want it to contain %q", msg, msgPart)
	}
	if id := r.Header.Get("X-Request-ID"); id == "" || m["correlation_id"] != id {
		t.Errorf("correlation_id = %v, X-Request-ID = %q", m["correlation_id"], id)
	}
}
