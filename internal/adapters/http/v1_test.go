package http_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

func newV1Engine(t *testing.T) (http.Handler, *mocks.MockCompleter) {
	t.Helper()
	h, svc, _ := engineWith(t, httpadapter.Options{MaxBodyBytes: 2048, Models: models("gpt-4o", "mini"), KeepAlive: time.Hour})
	return h, svc
}

// assertOpenAIError checks OpenAI's error shape and that our correlation
// id travels only in the header.
func assertOpenAIError(t *testing.T, rec *httptest.ResponseRecorder, status int, code, param string) map[string]any {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	var body struct {
		Error map[string]any `json:"error"`
	}
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("not OpenAI's error shape: %v", err)
	}
	e := body.Error
	if _, ok := e["message"].(string); !ok || e["type"] == nil || len(e) != 4 {
		t.Errorf("error = %v, want message, type, code, param", e)
	}
	if code != "" && e["code"] != code {
		t.Errorf("code = %v, want %q", e["code"], code)
	}
	if param != "" && e["param"] != param {
		t.Errorf("param = %v, want %q", e["param"], param)
	}
	if rec.Header().Get("X-Request-ID") == "" {
		t.Error("X-Request-ID missing")
	}
	return e
}

func TestV1ChatMapsRequestAndResponse(t *testing.T) {
	h, svc := newV1Engine(t)
	temp := 0.5
	svc.EXPECT().Chat(gomock.Any(), ports.Conversation{
		Model:    "gpt-4o", // selects the pool
		Messages: []domain.Message{{Role: "user", Content: "Hi there"}, {Role: "assistant", Content: "Yo"}, {Role: "user", Content: "again"}},
		Sampling: domain.Sampling{Temperature: &temp, MaxTokens: intp(30)},
	}).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "Hello!", FinishReason: "stop"}}, Model: "gpt-4o-2024-08-06", Tokens: domain.TokenUsage{Prompt: intp(7), Completion: intp(2), Total: intp(9)}}, Usage: domain.Usage{}}, nil)
	rec := do(h, "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-4o","temperature":0.5,"max_tokens":99,"max_completion_tokens":30,"n":1,"stream":false,"user":"u1",
		"messages":[{"role":"user","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}]},{"role":"assistant","content":"Yo"},{"role":"user","content":"again"}]}`)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var got map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if id, _ := got["id"].(string); !strings.HasPrefix(id, "chatcmpl-") || got["object"] != "chat.completion" || got["model"] != "gpt-4o" {
		t.Errorf("envelope = %v", got)
	}
	if created, _ := got["created"].(float64); created < 1e9 {
		t.Errorf("created = %v", got["created"])
	}
	choice := got["choices"].([]any)[0].(map[string]any)
	msg := choice["message"].(map[string]any)
	if msg["role"] != "assistant" || msg["content"] != "Hello!" || choice["finish_reason"] != "stop" || choice["index"] != 0.0 {
		t.Errorf("choice = %v", choice)
	}
	if u := got["usage"].(map[string]any); u["prompt_tokens"] != 7.0 || u["completion_tokens"] != 2.0 || u["total_tokens"] != 9.0 {
		t.Errorf("usage = %v", u)
	}
}

func TestV1ChatOmitsUnknownUsage(t *testing.T) {
	h, svc := newV1Engine(t)
	svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "x", FinishReason: "stop"}}}}, nil)
	rec := do(h, "POST", "/v1/chat/completions", "application/json", `{"model":"mini","messages":[{"role":"user","content":"x"}]}`)
	if strings.Contains(rec.Body.String(), "usage") {
		t.Errorf("usage must be absent, not invented: %s", rec.Body)
	}
}

func TestV1RefusesParametersItCannotHonour(t *testing.T) {
	for _, p := range []struct{ field, json string }{
		{"n", `"n":2`}, {"tools", `"tools":[{"type":"function","function":{"name":"f"}}]`}, {"functions", `"functions":[{"name":"f"}]`},
		{"response_format", `"response_format":{"type":"json_object"}`}, {"logprobs", `"logprobs":true`}, {"stop", `"stop":["\n"]`},
		{"top_p", `"top_p":0.1`}, {"seed", `"seed":7`},
	} {
		h, _ := newV1Engine(t) // no EXPECT: never reaches the use case
		rec := do(h, "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],`+p.json+`}`)
		assertOpenAIError(t, rec, 400, "unsupported_parameter", p.field)
	}
	h, svc := newV1Engine(t) // null and false mean "not set", as the SDKs send them
	svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "ok"}}}}, nil)
	if rec := do(h, "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":null,"logprobs":false}`); rec.Code != 200 {
		t.Errorf("null/false parameters: %d %s", rec.Code, rec.Body)
	}
}

func TestV1ModelChecks(t *testing.T) {
	h, _ := newV1Engine(t)
	assertOpenAIError(t, do(h, "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-5","messages":[{"role":"user","content":"x"}]}`), 404, "model_not_found", "model")
	assertOpenAIError(t, do(h, "POST", "/v1/chat/completions", "application/json", `{"messages":[{"role":"user","content":"x"}]}`), 400, "", "model")
	assertOpenAIError(t, do(h, "GET", "/v1/models/gpt-5", "", ""), 404, "model_not_found", "model")

	rec := do(h, "GET", "/v1/models", "", "")
	if rec.Body.String() != `{"object":"list","data":[{"id":"gpt-4o","object":"model","created":0,"owned_by":"aoai-api"},{"id":"mini","object":"model","created":0,"owned_by":"aoai-api"}]}` {
		t.Errorf("models = %s", rec.Body)
	}
	if rec := do(h, "GET", "/v1/models/mini", "", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"id":"mini"`) {
		t.Errorf("retrieve = %d %s", rec.Code, rec.Body)
	}
}

func TestV1ErrorsTakeOpenAIShapeEverywhere(t *testing.T) {
	tests := []struct {
		name, method, path, ct, body string
		status                       int
		code, param                  string
	}{
		{"unknown route", "GET", "/v1/nope", "", "", 404, "not_found", ""},
		{"wrong method", "DELETE", "/v1/chat/completions", "", "", 405, "method_not_allowed", ""},
		{"wrong content type", "POST", "/v1/chat/completions", "text/plain", `{}`, 415, "unsupported_media_type", ""},
		{"too large", "POST", "/v1/chat/completions", "application/json", `{"model":"` + strings.Repeat("x", 3000) + `"}`, 413, "request_too_large", ""},
		{"bad json", "POST", "/v1/chat/completions", "application/json", `{"model":`, 400, "invalid_request", ""},
		{"wrong type", "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-4o","temperature":"hot"}`, 400, "invalid_type", "temperature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newV1Engine(t)
			assertOpenAIError(t, do(h, tt.method, tt.path, tt.ct, tt.body), tt.status, tt.code, tt.param)
		})
	}
}

func TestV1StreamChunkFormat(t *testing.T) {
	svc := mocks.NewMockCompleter(gomock.NewController(t))
	srv := httptest.NewServer(httpadapter.NewHandler(zerolog.Nop(), svc, httpadapter.Options{MaxBodyBytes: 2048, Models: models("gpt-4o"), KeepAlive: time.Hour}))
	defer srv.Close()
	for _, includeUsage := range []bool{true, false} {
		st := newScriptStream()
		svc.EXPECT().ChatStream(gomock.Any(), gomock.Any()).DoAndReturn(st.open)
		body := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]`
		if includeUsage {
			body += `,"stream_options":{"include_usage":true}`
		}
		resp := postStream(t, srv.URL+"/v1/chat/completions", body+"}")
		go func() {
			st.pieces <- piece{text: "Hel"}
			st.pieces <- piece{text: "lo"}
			st.pieces <- piece{err: io.EOF}
		}()
		var lines []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() != "" {
				lines = append(lines, sc.Text())
			}
		}
		var deltas []string
		var finish any
		var usage map[string]any
		for _, l := range lines[:len(lines)-1] {
			var ch map[string]any
			if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &ch); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if ch["object"] != "chat.completion.chunk" || ch["model"] != "gpt-4o" || !strings.HasPrefix(ch["id"].(string), "chatcmpl-") {
				t.Errorf("chunk = %v", ch)
			}
			if u, ok := ch["usage"].(map[string]any); ok {
				usage = u
				continue
			}
			c := ch["choices"].([]any)[0].(map[string]any)
			if d, ok := c["delta"].(map[string]any)["content"].(string); ok {
				deltas = append(deltas, d)
			}
			if c["finish_reason"] != nil {
				finish = c["finish_reason"]
			}
		}
		if strings.Join(deltas, "|") != "|Hel|lo" || finish != "stop" || lines[len(lines)-1] != "data: [DONE]" {
			t.Errorf("deltas %q, finish %v, last %q", deltas, finish, lines[len(lines)-1])
		}
		if includeUsage != (usage != nil) || (usage != nil && usage["total_tokens"] != 5.0) {
			t.Errorf("include_usage=%v: usage chunk = %v", includeUsage, usage)
		}
	}
}

func TestV1StreamErrorIsAnOpenAIErrorEvent(t *testing.T) {
	svc := mocks.NewMockCompleter(gomock.NewController(t))
	srv := httptest.NewServer(httpadapter.NewHandler(zerolog.Nop(), svc, httpadapter.Options{MaxBodyBytes: 2048, Models: models("gpt-4o"), KeepAlive: time.Hour}))
	defer srv.Close()
	st := newScriptStream()
	svc.EXPECT().ChatStream(gomock.Any(), gomock.Any()).DoAndReturn(st.open)
	resp := postStream(t, srv.URL+"/v1/chat/completions", `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	go func() {
		st.pieces <- piece{err: domain.Upstream("Azure OpenAI ended the stream before it was complete", nil)}
	}()
	all, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(all), `data: {"error":{"message":"Azure OpenAI ended the stream before it was complete","type":"server_error","code":"upstream_error","param":null}}`) ||
		strings.Contains(string(all), "[DONE]") {
		t.Errorf("stream = %s", all)
	}
}
