package test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// failureRecorder stands in for *testing.T so that the contract
// transport's failures can be asserted instead of failing this test.
type failureRecorder struct {
	t    *testing.T
	mu   sync.Mutex
	msgs []string
}

func (r *failureRecorder) Cleanup(f func()) { r.t.Cleanup(f) }
func (r *failureRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *failureRecorder) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

const validCompletion = `{"response":"hi","usage":{"prompt_chars":1,"response_chars":2,"prompt_tokens":null,"completion_tokens":null,"total_tokens":null},"finish_reason":"stop","model":"m"}`

const (
	validChat   = `{"messages":[{"role":"user","content":"x"}]}`
	validStream = "data: {\"delta\":\"hi\"}\n\nevent: done\ndata: {\"usage\":{\"prompt_chars\":1,\"response_chars\":2,\"prompt_tokens\":null,\"completion_tokens\":null,\"total_tokens\":null},\"finish_reason\":\"stop\",\"model\":\"m\"}\n\n"
)

var streamHeaders = map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}

// TestContractValidatorBites sends requests through the suite's own client
// to a stand-in server that breaks the contract, and asserts that the
// transport reports each breach. It stays in the suite for good: if the
// validator ever stops biting, the rest of the suite proves nothing.
func TestContractValidatorBites(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		status                   int
		header                   map[string]string // overrides the stand-in's valid headers
		reply                    string
		want                     string // "" = the exchange honours the contract
	}{
		{"control: a valid completion", "POST", "/api/completions", `{"prompt":"x"}`,
			200, nil, validCompletion, ""},
		{"extra field", "POST", "/api/completions", `{"prompt":"x"}`,
			200, nil, strings.Replace(validCompletion, `"model":"m"`, `"model":"m","debug":"x"`, 1), `"debug"`},
		{"renamed field", "POST", "/api/completions", `{"prompt":"x"}`,
			200, nil, strings.Replace(validCompletion, "finish_reason", "finishReason", 1), "finish_reason"},
		{"string token count", "POST", "/api/completions", `{"prompt":"x"}`,
			200, nil, strings.Replace(validCompletion, `"total_tokens":null`, `"total_tokens":"3"`, 1), "total_tokens"},
		{"status not listed", "POST", "/api/completions", `{"prompt":"x"}`,
			418, nil, `{"error":"teapot","correlation_id":"c-1"}`, "status 418 is not in the document"},
		{"status the validator skips", "POST", "/api/completions", `{"prompt":"x"}`,
			304, nil, "", "status 304 is not in the document"},
		{"no X-Request-ID", "POST", "/api/completions", `{"prompt":"x"}`,
			200, map[string]string{"X-Request-ID": ""}, validCompletion, "X-Request-ID"},
		{"error without correlation_id", "POST", "/api/completions", `{}`,
			400, nil, `{"error":"'prompt' is required"}`, "correlation_id"},
		{"undocumented Content-Type", "POST", "/api/completions", `{"prompt":"x"}`,
			200, map[string]string{"Content-Type": "text/plain"}, "hi", "Content-Type"},
		{"2xx to a request the document forbids", "POST", "/api/completions", `{"prompt":""}`,
			200, nil, validCompletion, "request body has an error"},
		{"unknown path with a non-error body", "GET", "/api/nope", "",
			404, nil, `{"message":"not here"}`, "message"},
		{"405 without Allow", "PUT", "/api/completions", "",
			405, nil, `{"error":"Method not allowed","correlation_id":"c-1"}`, "Allow"},
		{"unknown path answering 200", "GET", "/api/nope", "",
			200, nil, validCompletion, "status 200 is not in the document"},
		{"429 without Retry-After", "POST", "/api/chat", validChat,
			429, nil, `{"error":"slow down","correlation_id":"c-1"}`, "Retry-After"},
		{"categories on a 502", "POST", "/api/completions", `{"prompt":"x"}`,
			502, nil, `{"error":"bad","correlation_id":"c-1","categories":["hate"]}`, `"categories"`},
		{"control: a valid stream", "POST", "/api/chat/stream", validChat,
			200, streamHeaders, validStream, ""},
		{"renamed field in a done event", "POST", "/api/chat/stream", validChat,
			200, streamHeaders, strings.Replace(validStream, "finish_reason", "finishReason", 1), "finish_reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("X-Request-ID", "c-1")
				for k, v := range tt.header { // "" removes the header
					if w.Header().Del(k); v != "" {
						w.Header().Set(k, v)
					}
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.reply))
			}))
			t.Cleanup(srv.Close)

			rec := &failureRecorder{t: t}
			req, err := http.NewRequestWithContext(withTest(t.Context(), rec), tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readAndClose(t, resp)

			got := rec.failures()
			switch {
			case tt.want == "" && got != "":
				t.Errorf("a valid exchange was reported:\n%s", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("want a failure mentioning %s, got:\n%s", tt.want, got)
			}
		})
	}
}

// TestContractTransportRefusesUnnamedRequests shows a new test cannot slip
// past the validator by using the shared client without naming itself.
func TestContractTransportRefusesUnnamedRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Error("the request reached the server")
	}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err == nil {
		readAndClose(t, resp)
		t.Fatal("the shared client sent a request that names no test")
	}
	if !strings.Contains(err.Error(), "names no test") {
		t.Errorf("err = %v", err)
	}
}

func readAndClose(t *testing.T, resp *http.Response) {
	t.Helper()
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
}
