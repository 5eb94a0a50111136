package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

const jsonCT = "application/json; charset=utf-8"

// engineWith builds the adapter over a fresh mocked use case, whose
// unexpected calls fail the test, logging into the returned buffer.
func engineWith(t *testing.T, opts httpadapter.Options) (http.Handler, *mocks.MockCompleter, *bytes.Buffer) {
	t.Helper()
	svc := mocks.NewMockCompleter(gomock.NewController(t))
	var logs bytes.Buffer
	return httpadapter.NewHandler(zerolog.New(&logs), svc, opts), svc, &logs
}

func newEngine(t *testing.T) (http.Handler, *mocks.MockCompleter, *bytes.Buffer) {
	t.Helper()
	return engineWith(t, httpadapter.Options{Version: "v-test", MaxBodyBytes: 1024})
}

func do(h http.Handler, method, path, contentType, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != jsonCT {
		t.Errorf("Content-Type = %q, want %q", ct, jsonCT)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, rec.Body)
	}
	return m
}

// assertError checks the shared error shape and that the correlation id
// in the body equals the X-Request-ID header.
func assertError(t *testing.T, rec *httptest.ResponseRecorder, status int, msgPart string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	m := decode(t, rec)
	msg, _ := m["error"].(string)
	if !strings.Contains(msg, msgPart) {
		t.Errorf("error = %q, want it to contain %q", msg, msgPart)
	}
	if id := rec.Header().Get("X-Request-ID"); id == "" || m["correlation_id"] != id {
		t.Errorf("correlation_id = %v, X-Request-ID = %q", m["correlation_id"], id)
	}
	if len(m) != 2 {
		t.Errorf("error body has extra fields: %v", m)
	}
}

func intp(n int) *int { return &n }

func TestCompletionsSuccess(t *testing.T) {
	h, svc, _ := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), "Hello").Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "Hi there", FinishReason: "stop"}}, Model: "gpt-4o", Tokens: domain.TokenUsage{Prompt: intp(10), Completion: intp(3), Total: intp(13)}}, Usage: domain.Usage{PromptChars: 5, ResponseChars: 8}}, nil)
	rec := do(h, "POST", "/api/completions", "application/json", `{"prompt":"Hello","extra":[1,2]}`)
	if rec.Code != 200 {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	decode(t, rec)
	want := `{"response":"Hi there","usage":{"prompt_chars":5,"response_chars":8,"prompt_tokens":10,"completion_tokens":3,"total_tokens":13},"finish_reason":"stop","model":"gpt-4o"}`
	if got := rec.Body.String(); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
}

func TestCompletionsNullTokensWhenModelReportsNone(t *testing.T) {
	h, svc, _ := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), "x").Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y", FinishReason: "stop"}}, Model: "offline-fake"}, Usage: domain.Usage{PromptChars: 1, ResponseChars: 1}}, nil)
	rec := do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`)
	usage := decode(t, rec)["usage"].(map[string]any)
	for _, k := range []string{"prompt_tokens", "completion_tokens", "total_tokens"} {
		if v, ok := usage[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
}

func TestCompletionsBadInput(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		status                  int
		msg                     string
	}{
		{"no content type", "", `{"prompt":"x"}`, 415, "application/json"},
		{"text/plain", "text/plain", `{"prompt":"x"}`, 415, "application/json"},
		{"broken content type", "application/", `{"prompt":"x"}`, 415, "application/json"},
		{"not json", "application/json", `prompt=x`, 400, "not valid JSON"},
		{"truncated json", "application/json", `{"prompt":"x"`, 400, "not valid JSON"},
		{"empty body", "application/json", ``, 400, "empty"},
		{"array body", "application/json", `["x"]`, 400, "JSON object"},
		{"string body", "application/json", `"x"`, 400, "JSON object"},
		{"null body", "application/json", `null`, 400, "JSON object"},
		{"trailing data", "application/json", `{"prompt":"x"} {"prompt":"y"}`, 400, "after the JSON object"},
		{"trailing garbage", "application/json", `{"prompt":"x"}garbage`, 400, "after the JSON object"},
		{"prompt number", "application/json", `{"prompt":42}`, 400, "'prompt' must be a string"},
		{"prompt object", "application/json", `{"prompt":{"a":1}}`, 400, "'prompt' must be a string"},
		{"prompt array", "application/json", `{"prompt":["a"]}`, 400, "'prompt' must be a string"},
		{"invalid utf8", "application/json", "{\"prompt\":\"\xff\xfe\"}", 400, "UTF-8"},
		{"duplicate key", "application/json", `{"prompt":"a","prompt":"b"}`, 400, "duplicate key 'prompt'"},
		{"duplicate key by case", "application/json", `{"prompt":"a","PROMPT":"b"}`, 400, "duplicate key 'PROMPT'"},
		{"duplicate key escaped", "application/json", `{"prompt":"a","\u0070rompt":"b"}`, 400, "duplicate key"},
		{"duplicate nested key", "application/json", `{"prompt":"a","x":[{"k":1,"k":2}]}`, 400, "duplicate key 'k'"},
		{"too deep", "application/json", `{"prompt":"a","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400, "deeper than 64"},
		{"too large", "application/json", `{"prompt":"` + strings.Repeat("a", 2000) + `"}`, 413, "exceeds 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, _ := newEngine(t) // the mock has no EXPECT: the service must not be called
			assertError(t, do(h, "POST", "/api/completions", tt.contentType, tt.body), tt.status, tt.msg)
		})
	}
}

func TestCompletionsJSONSuffixMediaTypeAccepted(t *testing.T) {
	h, svc, _ := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), "x").Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil)
	if rec := do(h, "POST", "/api/completions", "application/merge-patch+json; charset=utf-8", `{"prompt":"x"}`); rec.Code != 200 {
		t.Errorf("status = %d", rec.Code)
	}
}

func TestPanicIsMasked500(t *testing.T) {
	h, svc, logs := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).DoAndReturn(
		func(context.Context, string) (domain.Completion, error) { panic("kaboom at handler.go:42") })
	rec := do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`)
	assertError(t, rec, 500, "Internal server error")
	if strings.Contains(rec.Body.String(), "kaboom") || strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("panic detail leaked: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Error("the panic must be logged for operators")
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	h, _, _ := newEngine(t)
	assertError(t, do(h, "GET", "/nope", "", ""), 404, "Resource not found")
	assertError(t, do(h, "GET", "/api/completions/", "", ""), 404, "Resource not found")
	rec := do(h, "GET", "/api/completions", "", "")
	assertError(t, rec, 405, "Method not allowed")
	if allow := rec.Header().Get("Allow"); allow != "POST" {
		t.Errorf("Allow = %q, want POST", allow)
	}
	rec = do(h, "DELETE", "/api/", "", "")
	assertError(t, rec, 405, "Method not allowed")
	if allow := rec.Header().Get("Allow"); allow != "GET" {
		t.Errorf("Allow = %q, want GET", allow)
	}
}

func TestWelcomeOnEveryRootWithoutRedirect(t *testing.T) {
	h, _, _ := newEngine(t)
	for _, path := range []string{"/", "/api", "/api/"} {
		rec := do(h, "GET", path, "", "")
		if rec.Code != 200 {
			t.Fatalf("%s: status = %d (Location %q)", path, rec.Code, rec.Header().Get("Location"))
		}
		m := decode(t, rec)
		if m["service"] != "aoai-api" || m["version"] != "v-test" {
			t.Errorf("%s: body = %v", path, m)
		}
		eps, _ := json.Marshal(m["endpoints"])
		if !strings.Contains(string(eps), `{"method":"POST","path":"/api/completions"}`) {
			t.Errorf("%s: endpoints = %s", path, eps)
		}
	}
}

func TestRequestID(t *testing.T) {
	long := strings.Repeat("a", 128)
	tests := []struct {
		name, in string
		echoed   bool
	}{
		{"simple", "abc-123", true},
		{"all allowed chars", "AZaz09._:-", true},
		{"128 chars", long, true},
		{"129 chars", long + "a", false},
		{"space", "abc 123", false},
		{"slash", "a/b", false},
		{"newline injection", "a\r\nSet-Cookie: x", false},
		{"non ascii", "café", false},
		{"missing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, _ := newEngine(t)
			var rec *httptest.ResponseRecorder
			if tt.in == "" {
				rec = do(h, "GET", "/nope", "", "")
			} else {
				rec = do(h, "GET", "/nope", "", "", "X-Request-ID", tt.in)
			}
			got := rec.Header().Get("X-Request-ID")
			if tt.echoed && got != tt.in {
				t.Errorf("X-Request-ID = %q, want echo of %q", got, tt.in)
			}
			if !tt.echoed && (got == tt.in || len(got) != 36 || got[14] != '4') {
				t.Errorf("X-Request-ID = %q, want a fresh UUIDv4", got)
			}
			if decode(t, rec)["correlation_id"] != got {
				t.Error("correlation_id must equal X-Request-ID")
			}
		})
	}
}

func TestRequestLoggerCarriesCorrelationID(t *testing.T) {
	h, svc, logs := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), "x").DoAndReturn(func(ctx context.Context, _ string) (domain.Completion, error) {
		zerolog.Ctx(ctx).Info().Msg("inside the use case")
		return domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil
	})
	do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, "X-Request-ID", "trace-1")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines (use case, access), got %d: %s", len(lines), logs)
	}
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["correlation_id"] != "trace-1" {
			t.Errorf("line lacks the correlation id: %s", line)
		}
	}
	var access map[string]any
	_ = json.Unmarshal([]byte(lines[1]), &access)
	if access[zerolog.MessageFieldName] != "POST /api/completions 200" || access["status"] != 200.0 || access["method"] != "POST" {
		t.Errorf("access line = %v", access)
	}
	if _, ok := access["latency_ms"].(float64); !ok {
		t.Errorf("latency_ms must be a number: %v", access["latency_ms"])
	}
}

func TestServesTheContractItIsGiven(t *testing.T) {
	ctrl := gomock.NewController(t)
	h := httpadapter.NewHandler(zerolog.Nop(), mocks.NewMockCompleter(ctrl), httpadapter.Options{
		OpenAPIYAML: []byte("openapi: 3.0.3\n"),
		OpenAPIJSON: []byte(`{"openapi":"3.0.3"}`),
	})
	for _, tt := range []struct{ path, contentType, body string }{
		{"/api/openapi.yaml", "application/yaml", "openapi: 3.0.3\n"},
		{"/api/openapi.json", "application/json", `{"openapi":"3.0.3"}`},
	} {
		rec := do(h, "GET", tt.path, "", "")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tt.contentType || rec.Body.String() != tt.body {
			t.Errorf("%s: status %d, Content-Type %q, body %q", tt.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		if rec.Header().Get("X-Request-ID") == "" {
			t.Errorf("%s: no X-Request-ID", tt.path)
		}
	}
}

func TestUpstreamRequestIDOnSuccess(t *testing.T) {
	h, svc, _ := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}, UpstreamRequestID: "apim-ok"}}, nil)
	rec := do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`)
	if got := rec.Header().Get("X-Upstream-Request-ID"); got != "apim-ok" {
		t.Errorf("X-Upstream-Request-ID = %q", got)
	}
}

func TestCorrelationIDReachesTheUseCaseContext(t *testing.T) {
	h, svc, _ := newEngine(t)
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, _ string) (domain.Completion, error) {
		if got := domain.CorrelationID(ctx); got != "corr-1" {
			t.Errorf("CorrelationID(ctx) = %q", got)
		}
		return domain.Completion{}, nil
	})
	do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, "X-Request-ID", "corr-1")
}

// models is a fixed model catalog, as Options.Models wants it.
func models(names ...string) func() []string { return func() []string { return names } }
