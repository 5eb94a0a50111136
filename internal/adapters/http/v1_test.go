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
	temp, topP, pres, freq, seed, yes := 0.5, 0.9, 0.1, -0.2, int64(7), true
	svc.EXPECT().Chat(gomock.Any(), ports.Conversation{
		Model: "gpt-4o", // selects the pool
		Messages: []domain.Message{
			{Role: "developer", Content: "terse"},
			{Role: "user", Parts: []domain.Part{{Type: "text", Text: "Hi "}, {Type: "image_url", ImageURL: "https://x/y.png", Detail: "low"}}, Name: "ann"},
			{Role: "assistant", ToolCalls: []domain.ToolCall{{ID: "call_1", Name: "get", Arguments: `{"a":1}`}}},
			{Role: "tool", Content: "42", ToolCallID: "call_1"},
		},
		Sampling: domain.Sampling{
			Temperature: &temp, TopP: &topP, MaxTokens: intp(99), MaxCompletionTokens: intp(30), N: intp(2), Stop: []string{"END"},
			Seed: &seed, PresencePenalty: &pres, FrequencyPenalty: &freq, LogitBias: map[string]int{"50256": -100},
			Logprobs: &yes, TopLogprobs: intp(2), User: "u1", ReasoningEffort: "low",
			Prediction: domain.JSON(`{"type":"content","content":"draft"}`),
		},
		Tools: domain.Tools{
			Defs:     []domain.Tool{{Name: "get", Description: "fetch", Parameters: domain.JSON(`{"type":"object"}`), Strict: &yes}},
			Choice:   domain.ToolChoice{Mode: domain.ToolFunction, Name: "get"},
			Parallel: &yes,
		},
		Format: &domain.Format{Type: "json_schema", Name: "out", Schema: domain.JSON(`{"type":"object"}`), Strict: &yes},
	}).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{
		{Text: "Hello!", FinishReason: "stop", Logprobs: domain.JSON(`{"content":[]}`)},
		{ToolCalls: []domain.ToolCall{{ID: "call_2", Name: "get", Arguments: "{}"}}, FinishReason: "tool_calls"},
		{Refusal: "no", FinishReason: "stop"},
	}, Model: "gpt-4o-2024-08-06", Tokens: domain.TokenUsage{Prompt: intp(7), Completion: intp(2), Total: intp(9), Cached: intp(3), Reasoning: intp(1)}}}, nil)
	rec := do(h, "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-4o","temperature":0.5,"top_p":0.9,"max_tokens":99,"max_completion_tokens":30,"n":2,
		"stop":"END","seed":7,"presence_penalty":0.1,"frequency_penalty":-0.2,"logit_bias":{"50256":-100},"logprobs":true,"top_logprobs":2,"user":"u1",
		"reasoning_effort":"low","prediction":{"type":"content","content":"draft"},"stream":false,"store":false,"modalities":null,
		"tools":[{"type":"function","function":{"name":"get","description":"fetch","parameters":{"type":"object"},"strict":true}}],
		"tool_choice":{"type":"function","function":{"name":"get"}},"parallel_tool_calls":true,
		"response_format":{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}},
		"messages":[{"role":"developer","content":"terse"},{"role":"user","name":"ann","content":[{"type":"text","text":"Hi "},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]},
			{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":1}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"42"}]}`)
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
	want := `[{"finish_reason":"stop","index":0,"logprobs":{"content":[]},"message":{"content":"Hello!","refusal":null,"role":"assistant"}},` +
		`{"finish_reason":"tool_calls","index":1,"logprobs":null,"message":{"content":null,"refusal":null,"role":"assistant","tool_calls":[{"function":{"arguments":"{}","name":"get"},"id":"call_2","type":"function"}]}},` +
		`{"finish_reason":"stop","index":2,"logprobs":null,"message":{"content":null,"refusal":"no","role":"assistant"}}]`
	if choices, _ := json.Marshal(got["choices"]); string(choices) != want {
		t.Errorf("choices =\n%s\nwant\n%s", choices, want)
	}
	wantUsage := `{"completion_tokens":2,"completion_tokens_details":{"reasoning_tokens":1},"prompt_tokens":7,"prompt_tokens_details":{"cached_tokens":3},"total_tokens":9}`
	if u, _ := json.Marshal(got["usage"]); string(u) != wantUsage {
		t.Errorf("usage = %s, want %s", u, wantUsage)
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
	for _, p := range []struct{ field, json, says string }{
		{"modalities", `"modalities":["text","audio"]`, "no backend relays audio"},
		{"audio", `"audio":{"voice":"alloy","format":"mp3"}`, "no backend relays audio"},
		{"functions", `"functions":[{"name":"f"}]`, "send tools"},
		{"store", `"store":true`, "stores no completions"},
		{"frobnicate", `"frobnicate":1`, "'frobnicate' is not supported by this service"},
		{"messages[0].audio", `"messages":[{"role":"user","content":"x","audio":{"id":"a"}}]`, "'messages[0].audio' is not supported"},
		{"tools[0].type", `"tools":[{"type":"web_search"}]`, "function tools only"},
	} {
		h, _ := newV1Engine(t) // no EXPECT: never reaches the use case
		body := `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],` + p.json + `}`
		if strings.HasPrefix(p.json, `"messages"`) {
			body = `{"model":"gpt-4o",` + p.json + `}`
		}
		rec := do(h, "POST", "/v1/chat/completions", "application/json", body)
		if e := assertOpenAIError(t, rec, 400, "unsupported_parameter", p.field); !strings.Contains(e["message"].(string), p.says) {
			t.Errorf("%s: message %q, want it to say %q", p.field, e["message"], p.says)
		}
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

func TestV1TellsSDKsWhetherToRetry(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		status int
		retry  string
	}{
		{"upstream failed after our retries", domain.Upstream("boom", nil), 502, "false"},
		{"upstream timed out", domain.Timeout("slow", nil), 504, "false"},
		{"misconfigured", domain.Misconfigured("no key"), 500, "false"},
		{"throttled upstream", domain.Throttled("busy", 2*time.Second, nil), 429, "true"},
		{"at capacity", domain.Unavailable("full", time.Second), 503, "true"},
		{"quota spent", &domain.Error{Kind: "insufficient_quota", Msg: "spent"}, 429, "false"},
		{"bad input: the SDK's own rules", domain.InvalidField("messages", "bad"), 400, ""},
	} {
		h, svc := newV1Engine(t)
		svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Completion{}, tt.err)
		rec := do(h, "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`)
		if rec.Code != tt.status || rec.Header().Get("X-Should-Retry") != tt.retry {
			t.Errorf("%s: %d x-should-retry %q, want %d %q", tt.name, rec.Code, rec.Header().Get("X-Should-Retry"), tt.status, tt.retry)
		}
		if tt.retry == "true" && rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: retry without Retry-After", tt.name)
		}
	}
}

func TestV1StreamRelaysToolCallsAndEveryChoice(t *testing.T) {
	svc := mocks.NewMockCompleter(gomock.NewController(t))
	srv := httptest.NewServer(httpadapter.NewHandler(zerolog.Nop(), svc, httpadapter.Options{MaxBodyBytes: 2048, Models: models("gpt-4o"), KeepAlive: time.Hour}))
	defer srv.Close()
	st := newScriptStream()
	st.completion.Choices = []domain.Choice{{FinishReason: "tool_calls"}, {FinishReason: "stop"}}
	svc.EXPECT().ChatStream(gomock.Any(), gomock.Any()).DoAndReturn(st.open)
	resp := postStream(t, srv.URL+"/v1/chat/completions", `{"model":"gpt-4o","stream":true,"n":2,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`)
	go func() {
		st.pieces <- piece{delta: domain.Delta{ToolCalls: []domain.ToolCallDelta{{Index: 0, ID: "call_1", Name: "get"}}}}
		st.pieces <- piece{delta: domain.Delta{Choice: 1, Text: "Hi", Logprobs: domain.JSON(`{"content":[]}`)}}
		st.pieces <- piece{delta: domain.Delta{ToolCalls: []domain.ToolCallDelta{{Index: 0, Arguments: `{"a":`}}}}
		st.pieces <- piece{delta: domain.Delta{Choice: 1, Refusal: "no"}}
		st.pieces <- piece{err: io.EOF}
	}()
	all, _ := io.ReadAll(resp.Body)
	var choices, usages []string
	for _, l := range strings.Split(strings.TrimSpace(string(all)), "\n\n") {
		if l == "data: [DONE]" {
			continue
		}
		var ch struct {
			Choices json.RawMessage `json:"choices"`
			Usage   json.RawMessage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &ch); err != nil {
			t.Fatalf("event %q: %v", l, err)
		}
		choices, usages = append(choices, string(ch.Choices)), append(usages, string(ch.Usage))
	}
	want := []string{
		`[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"logprobs":null},{"index":1,"delta":{"role":"assistant","content":""},"finish_reason":null,"logprobs":null}]`,
		`[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get","arguments":""}}]},"finish_reason":null,"logprobs":null}]`,
		`[{"index":1,"delta":{"content":"Hi"},"finish_reason":null,"logprobs":{"content":[]}}]`,
		`[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]},"finish_reason":null,"logprobs":null}]`,
		`[{"index":1,"delta":{"refusal":"no"},"finish_reason":null,"logprobs":null}]`,
		`[{"index":0,"delta":{},"finish_reason":"tool_calls","logprobs":null},{"index":1,"delta":{},"finish_reason":"stop","logprobs":null}]`,
		`[]`,
	}
	if strings.Join(choices, "\n") != strings.Join(want, "\n") {
		t.Errorf("choices:\n%s\nwant:\n%s", strings.Join(choices, "\n"), strings.Join(want, "\n"))
	}
	for i, u := range usages {
		if last := i == len(usages)-1; last != (u != "null") {
			t.Errorf("chunk %d usage = %s: null on every chunk before the usage chunk", i, u)
		}
	}
	if !strings.HasSuffix(string(all), "data: [DONE]\n\n") {
		t.Errorf("stream does not end with [DONE]: %s", all)
	}
}
