package http_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

func newResponsesEngine(t *testing.T) (http.Handler, *mocks.MockCompleter) {
	t.Helper()
	h, svc, _ := engineWith(t, httpadapter.Options{MaxBodyBytes: 1 << 16, Models: models("gpt-4o", "mini"), KeepAlive: time.Hour})
	return h, svc
}

func postResponses(h http.Handler, body string) *httptest.ResponseRecorder {
	return do(h, "POST", "/v1/responses", "application/json", body)
}

var answered = domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "ok", FinishReason: "stop"}}}}

func TestResponsesTranslatesEveryFieldAndItem(t *testing.T) {
	h, svc := newResponsesEngine(t)
	temp, topP, yes, no := 0.5, 0.9, true, false
	svc.EXPECT().Chat(gomock.Any(), ports.Conversation{
		Model: "gpt-4o",
		Messages: []domain.Message{
			{Role: "system", Content: "be brief"},
			{Role: "user", Content: "hi"},
			{Role: "user", Parts: []domain.Part{{Type: "text", Text: "what is "}, {Type: "image_url", ImageURL: "data:image/png;base64,AA", Detail: "low"}}},
			{Role: "assistant", Parts: []domain.Part{{Type: "text", Text: "let me look"}}, ToolCalls: []domain.ToolCall{
				{ID: "call_1", Name: "get", Arguments: `{"a":1}`}, {ID: "call_2", Name: "get", Arguments: `{"a":2}`}}},
			{Role: "tool", ToolCallID: "call_1", Content: "one"},
			{Role: "tool", ToolCallID: "call_2", Parts: []domain.Part{{Type: "text", Text: "two"}}},
			{Role: "assistant", ToolCalls: []domain.ToolCall{{ID: "call_3", Name: "get", Arguments: "{}"}}},
			{Role: "tool", ToolCallID: "call_3", Content: "three"},
			{Role: "assistant", Parts: []domain.Part{{Type: "refusal", Text: "no"}}},
			{Role: "developer", Content: "terse"},
		},
		Sampling: domain.Sampling{Temperature: &temp, TopP: &topP, MaxCompletionTokens: intp(300), User: "u1", ReasoningEffort: "low"},
		Tools: domain.Tools{
			Defs:     []domain.Tool{{Name: "get", Description: "fetch", Parameters: domain.JSON(`{"type":"object"}`), Strict: &yes}},
			Choice:   domain.ToolChoice{Mode: domain.ToolFunction, Name: "get"},
			Parallel: &no,
		},
		Format: &domain.Format{Type: "json_schema", Name: "out", Description: "d", Schema: domain.JSON(`{"type":"object"}`), Strict: &yes},
	}).Return(answered, nil)
	rec := postResponses(h, `{"model":"gpt-4o","instructions":"be brief","temperature":0.5,"top_p":0.9,"max_output_tokens":300,"user":"u1",
		"reasoning":{"effort":"low","summary":null},"stream":false,"store":false,"background":false,"include":[],"metadata":null,"previous_response_id":null,
		"tools":[{"type":"function","name":"get","description":"fetch","parameters":{"type":"object"},"strict":true}],
		"tool_choice":{"type":"function","name":"get"},"parallel_tool_calls":false,
		"text":{"format":{"type":"json_schema","name":"out","description":"d","schema":{"type":"object"},"strict":true}},
		"input":[
			{"role":"user","content":"hi"},
			{"type":"message","role":"user","content":[{"type":"input_text","text":"what is "},{"type":"input_image","image_url":"data:image/png;base64,AA","detail":"low"}]},
			{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"let me look","annotations":[],"logprobs":[]}]},
			{"type":"function_call","id":"fc_1","status":"completed","call_id":"call_1","name":"get","arguments":"{\"a\":1}"},
			{"type":"function_call","call_id":"call_2","name":"get","arguments":"{\"a\":2}"},
			{"type":"function_call_output","call_id":"call_1","output":"one"},
			{"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"two"}]},
			{"type":"function_call","call_id":"call_3","name":"get","arguments":"{}"},
			{"type":"function_call_output","call_id":"call_3","output":"three"},
			{"role":"assistant","content":[{"type":"refusal","refusal":"no"}]},
			{"role":"developer","content":"terse"}]}`)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// The bodies the SDKs send by default (see the SDK notes) all translate.
func TestResponsesTakesWhatTheSDKsSend(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       ports.Conversation
	}{
		{"openai responses.create", `{"model":"mini","input":"hi"}`,
			ports.Conversation{Model: "mini", Messages: []domain.Message{{Role: "user", Content: "hi"}}}},
		{"empty instructions ask for none", `{"model":"mini","instructions":"","input":"hi"}`,
			ports.Conversation{Model: "mini", Messages: []domain.Message{{Role: "user", Content: "hi"}}}},
		{"langchain useResponsesApi", `{"input":[{"type":"message","role":"user","content":"hi"}],"model":"mini","stream":false,"text":{}}`,
			ports.Conversation{Model: "mini", Messages: []domain.Message{{Role: "user", Content: "hi"}}}},
		{"ai sdk generateText", `{"model":"mini","input":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"input_text","text":"hi"}]}]}`,
			ports.Conversation{Model: "mini", Messages: []domain.Message{{Role: "system", Content: "be brief"}, {Role: "user", Parts: []domain.Part{{Type: "text", Text: "hi"}}}}}},
		{"ai sdk store false on a reasoning model", `{"model":"mini","input":[{"role":"developer","content":"x"},{"role":"user","content":"y"}],"store":false,"include":["reasoning.encrypted_content"],"reasoning":{"effort":"low"}}`,
			ports.Conversation{Model: "mini", Messages: []domain.Message{{Role: "developer", Content: "x"}, {Role: "user", Content: "y"}}, Sampling: domain.Sampling{ReasoningEffort: "low"}}},
		{"ai sdk tools", `{"model":"mini","input":"hi","tools":[{"type":"function","name":"w","description":"d","parameters":{"type":"object","additionalProperties":false}}],"tool_choice":"auto"}`,
			ports.Conversation{Model: "mini", Messages: []domain.Message{{Role: "user", Content: "hi"}}, Tools: domain.Tools{
				Defs: []domain.Tool{{Name: "w", Description: "d", Parameters: domain.JSON(`{"type":"object","additionalProperties":false}`)}}, Choice: domain.ToolChoice{Mode: "auto"}}}},
		{"ai sdk generateObject", `{"model":"mini","input":"hi","text":{"format":{"type":"json_schema","strict":true,"name":"response","schema":{"type":"object"}}}}`,
			ports.Conversation{Model: "mini", Messages: []domain.Message{{Role: "user", Content: "hi"}}, Format: &domain.Format{Type: "json_schema", Name: "response", Schema: domain.JSON(`{"type":"object"}`), Strict: boolp(true)}}},
		{"json_object and plain text formats", `{"model":"mini","input":"hi","text":{"format":{"type":"json_object"}}}`,
			ports.Conversation{Model: "mini", Messages: []domain.Message{{Role: "user", Content: "hi"}}, Format: &domain.Format{Type: "json_object"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, svc := newResponsesEngine(t)
			svc.EXPECT().Chat(gomock.Any(), tt.want).Return(answered, nil)
			if rec := postResponses(h, tt.body); rec.Code != 200 {
				t.Errorf("%d %s", rec.Code, rec.Body)
			}
		})
	}
}

func boolp(b bool) *bool { return &b }

func TestResponsesRefusesWhatItCannotHonour(t *testing.T) {
	for _, p := range []struct{ field, json, says string }{
		{"previous_response_id", `"previous_response_id":"resp_1"`, "stores no responses"},
		{"store", `"store":true`, "stores no responses"},
		{"conversation", `"conversation":"conv_1"`, "stores no conversations"},
		{"metadata", `"metadata":{"a":"b"}`, "stores no responses"},
		{"background", `"background":true`, "while the client waits"},
		{"include[0]", `"include":["file_search_call.results"]`, "no extra output data"},
		{"modalities", `"modalities":["audio"]`, "no backend relays audio"},
		{"truncation", `"truncation":"auto"`, "never drops turns"},
		{"frobnicate", `"frobnicate":1`, "'frobnicate' is not supported"},
		{"reasoning.summary", `"reasoning":{"effort":"low","summary":"auto"}`, "no reasoning summaries"},
		{"text.verbosity", `"text":{"verbosity":"low"}`, "'text.verbosity' is not supported"},
		{"tools[0].type", `"tools":[{"type":"web_search","search_context_size":"low"}]`, "function tools only"},
		{"tools[1].type", `"tools":[{"type":"function","name":"f"},{"type":"file_search","vector_store_ids":["v"]}]`, "function tools only"},
		{"tool_choice.type", `"tool_choice":{"type":"web_search_preview"}`, "function tools only"},
		{"input[1].type", `"input":[{"role":"user","content":"x"},{"type":"item_reference","id":"msg_1"}]`, "stores no items"},
		{"input[0].type", `"input":[{"type":"reasoning","id":"rs_1","summary":[]}]`, "message, function_call and function_call_output items"},
		{"input[0].content[0].type", `"input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]`, "input_text, input_image, output_text and refusal parts"},
		{"input[0].content[0].file_id", `"input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]`, "'input[0].content[0].file_id' is not supported"},
		{"input[0].phase", `"input":[{"role":"assistant","content":"x","phase":"final_answer"}]`, "'input[0].phase' is not supported"},
		{"input[0].call_id", `"input":[{"role":"user","content":"x","call_id":"c"}]`, "'input[0].call_id' is not supported"},
	} {
		h, _ := newResponsesEngine(t) // no EXPECT: never reaches the use case
		body := `{"model":"gpt-4o","input":"x",` + p.json + `}`
		if strings.HasPrefix(p.json, `"input"`) {
			body = `{"model":"gpt-4o",` + p.json + `}`
		}
		rec := postResponses(h, body)
		if e := assertOpenAIError(t, rec, 400, "unsupported_parameter", p.field); !strings.Contains(e["message"].(string), p.says) {
			t.Errorf("%s: message %q, want it to say %q", p.field, e["message"], p.says)
		}
	}
}

func TestResponsesChecksModelAndInput(t *testing.T) {
	h, _ := newResponsesEngine(t)
	assertOpenAIError(t, postResponses(h, `{"model":"gpt-5","input":"x"}`), 404, "model_not_found", "model")
	assertOpenAIError(t, postResponses(h, `{"input":"x"}`), 400, "missing_required_parameter", "model")
	assertOpenAIError(t, postResponses(h, `{"model":"mini"}`), 400, "missing_required_parameter", "input")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":[]}`), 400, "missing_required_parameter", "input")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":7}`), 400, "invalid_type", "input")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":[{"role":"user","content":7}]}`), 400, "invalid_type", "input[0].content")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":[{"role":"user","content":[{"type":"input_text","text":1}]}]}`), 400, "invalid_type", "input[0].content[0].text")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":[{"type":"function_call","call_id":"c","name":"f","arguments":{}}]}`), 400, "invalid_type", "input[0].arguments")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":"x","tool_choice":"sometimes"}`), 400, "invalid_value", "tool_choice")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":"x","text":{"format":{"type":"yaml"}}}`), 400, "invalid_value", "text.format.type")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":[{"role":"user","content":[{"type":"output_text","text":"x"}]}]}`), 400, "invalid_value", "input[0].content[0].type")
	assertOpenAIError(t, postResponses(h, `{"model":"mini","input":[{"role":"tool","content":"x"}]}`), 400, "invalid_value", "input[0].role")
}

// The use case words its checks in chat terms; the client is told the
// field it sent.
func TestResponsesNamesTheClientsFieldInDomainErrors(t *testing.T) {
	body := `{"model":"mini","instructions":"sys","max_output_tokens":9,"tools":[{"type":"function","name":"f"}],
		"input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"ftp://x"}]},
			{"type":"function_call","call_id":"","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":""}]}`
	for _, tt := range []struct{ chat, ours string }{
		{"messages[0].role", "instructions"},
		{"messages[1].content[1].image_url.url", "input[0].content[1].image_url"},
		{"messages[2].tool_calls[0].id", "input[1].call_id"},
		{"messages[3].content", "input[2].output"},
		{"messages[3].tool_call_id", "input[2].call_id"},
		{"messages", "input"},
		{"max_completion_tokens", "max_output_tokens"},
		{"reasoning_effort", "reasoning.effort"},
		{"tools[0].function.name", "tools[0].name"},
		{"response_format.json_schema.schema", "text.format.schema"},
		{"temperature", "temperature"},
	} {
		h, svc := newResponsesEngine(t)
		svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Completion{}, domain.InvalidField(tt.chat, "'"+tt.chat+"' is wrong"))
		e := assertOpenAIError(t, postResponses(h, body), 400, "invalid_value", tt.ours)
		if e["message"] != "'"+tt.ours+"' is wrong" {
			t.Errorf("%s: message %q", tt.chat, e["message"])
		}
	}
}

// ids are fresh per response; the tests compare them as placeholders.
var itemIDs = regexp.MustCompile(`"(resp|msg|fc)_[0-9a-f]{32}"`)

// normalizeIDs numbers ids in order of first appearance: "msg_1".
func normalizeIDs(s string) string {
	seen, n := map[string]string{}, map[string]int{}
	return itemIDs.ReplaceAllStringFunc(s, func(id string) string {
		if r, ok := seen[id]; ok {
			return r
		}
		kind := id[1:strings.IndexByte(id, '_')]
		n[kind]++
		seen[id] = `"` + kind + "_" + string(rune('0'+n[kind])) + `"`
		return seen[id]
	})
}

const echoDefaults = `"instructions":null,"max_output_tokens":null,"temperature":null,"top_p":null,"tools":[],"tool_choice":"auto","parallel_tool_calls":true,` +
	`"text":{"format":{"type":"text"}},"reasoning":{"effort":null,"summary":null},"user":null,"store":false,"background":false,` +
	`"previous_response_id":null,"truncation":"disabled","metadata":{}`

func TestResponsesBodyFromCompletion(t *testing.T) {
	usage := domain.TokenUsage{Prompt: intp(7), Completion: intp(2), Total: intp(9)}
	call := domain.ToolCall{ID: "call_9", Name: "get", Arguments: `{"a":1}`}
	text := func(s string) string {
		return `{"type":"output_text","text":"` + s + `","annotations":[],"logprobs":[]}`
	}
	for _, tt := range []struct {
		name   string
		choice domain.Choice
		tokens domain.TokenUsage
		want   string // from status to usage
	}{
		{"text", domain.Choice{Text: "Hello!", FinishReason: "stop"}, usage,
			`"status":"completed","error":null,"incomplete_details":null,"model":"gpt-4o",` +
				`"output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[` + text("Hello!") + `]}],"output_text":"Hello!",` +
				`"usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":0},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":9}`},
		{"tool call only, usage details as reported", domain.Choice{ToolCalls: []domain.ToolCall{call}, FinishReason: "tool_calls"},
			domain.TokenUsage{Prompt: intp(7), Completion: intp(2), Total: intp(9), Cached: intp(4), Reasoning: intp(1)},
			`"status":"completed","error":null,"incomplete_details":null,"model":"gpt-4o",` +
				`"output":[{"type":"function_call","id":"fc_1","call_id":"call_9","name":"get","arguments":"{\"a\":1}","status":"completed"}],"output_text":"",` +
				`"usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":4},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":1},"total_tokens":9}`},
		{"text then tool calls, no usage reported", domain.Choice{Text: "Looking", ToolCalls: []domain.ToolCall{call, {ID: "call_8", Name: "put", Arguments: "{}"}}, FinishReason: "tool_calls"}, domain.TokenUsage{},
			`"status":"completed","error":null,"incomplete_details":null,"model":"gpt-4o",` +
				`"output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[` + text("Looking") + `]},` +
				`{"type":"function_call","id":"fc_1","call_id":"call_9","name":"get","arguments":"{\"a\":1}","status":"completed"},` +
				`{"type":"function_call","id":"fc_2","call_id":"call_8","name":"put","arguments":"{}","status":"completed"}],"output_text":"Looking","usage":null`},
		{"refusal", domain.Choice{Refusal: "I can't", FinishReason: "stop"}, usage,
			`"status":"completed","error":null,"incomplete_details":null,"model":"gpt-4o",` +
				`"output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"refusal","refusal":"I can't"}]}],"output_text":"",` +
				`"usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":0},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":9}`},
		{"cut at the token limit", domain.Choice{Text: "Hel", FinishReason: "length"}, domain.TokenUsage{},
			`"status":"incomplete","error":null,"incomplete_details":{"reason":"max_output_tokens"},"model":"gpt-4o",` +
				`"output":[{"type":"message","id":"msg_1","status":"incomplete","role":"assistant","content":[` + text("Hel") + `]}],"output_text":"Hel","usage":null`},
		{"filtered", domain.Choice{FinishReason: "content_filter"}, domain.TokenUsage{},
			`"status":"incomplete","error":null,"incomplete_details":{"reason":"content_filter"},"model":"gpt-4o",` +
				`"output":[{"type":"message","id":"msg_1","status":"incomplete","role":"assistant","content":[` + text("") + `]}],"output_text":"","usage":null`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, svc := newResponsesEngine(t)
			svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{
				Choices: []domain.Choice{tt.choice, {Text: "second choice: never shown"}}, Model: "gpt-4o-2024-08-06", Tokens: tt.tokens, UpstreamRequestID: "up-1"}}, nil)
			rec := postResponses(h, `{"model":"gpt-4o","input":"x"}`)
			if rec.Code != 200 || rec.Header().Get("X-Upstream-Request-ID") != "up-1" {
				t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
			}
			var created struct {
				CreatedAt float64 `json:"created_at"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &created)
			got := strings.Replace(normalizeIDs(rec.Body.String()), `"created_at":`+jsonNumber(created.CreatedAt), `"created_at":0`, 1)
			want := `{"id":"resp_1","object":"response","created_at":0,` + tt.want + `,` + echoDefaults + `}`
			if created.CreatedAt < 1e9 || got != want {
				t.Errorf("body =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// The response repeats what the client asked, in Responses' shapes.
func TestResponsesBodyEchoesTheRequest(t *testing.T) {
	h, svc := newResponsesEngine(t)
	svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(answered, nil)
	rec := postResponses(h, `{"model":"gpt-4o","input":"x","instructions":"sys","max_output_tokens":5,"temperature":0.2,"top_p":1,"user":"u",
		"tools":[{"type":"function","name":"get","parameters":{"type":"object"}}],"tool_choice":"required","parallel_tool_calls":false,
		"text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}},"reasoning":{"effort":"high"}}`)
	body := decode(t, rec)
	delete(body, "id")
	delete(body, "created_at")
	delete(body, "output")
	got, _ := json.Marshal(body)
	want := `{"background":false,"error":null,"incomplete_details":null,"instructions":"sys","max_output_tokens":5,"metadata":{},"model":"gpt-4o",` +
		`"object":"response","output_text":"ok","parallel_tool_calls":false,"previous_response_id":null,"reasoning":{"effort":"high","summary":null},` +
		`"status":"completed","store":false,"temperature":0.2,"text":{"format":{"name":"out","schema":{"type":"object"},"strict":true,"type":"json_schema"}},` +
		`"tool_choice":"required","tools":[{"description":null,"name":"get","parameters":{"type":"object"},"strict":null,"type":"function"}],"top_p":1,` +
		`"truncation":"disabled","usage":null,"user":"u"}`
	if string(got) != want {
		t.Errorf("echo =\n%s\nwant\n%s", got, want)
	}
}

// FuzzResponsesRequest holds any body to a 200 or a 4xx: decoding,
// translation and renaming never fail the server.
func FuzzResponsesRequest(f *testing.F) {
	for _, seed := range []string{
		`{"model":"mini","input":"hi"}`,
		`{"model":"mini","instructions":"s","input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"https://x"}]},` +
			`{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"r"}]}]}`,
		`{"model":"mini","input":"x","tools":[{"type":"function","name":"f","parameters":{}}],"tool_choice":{"type":"function","name":"f"},"text":{"format":{"type":"json_schema","name":"n","schema":{}}}}`,
		`{"model":"mini","input":[{"type":"item_reference","id":"x"},7,null],"reasoning":{"effort":"low"},"include":["x"]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		h, svc := newResponsesEngine(t)
		svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(answered, nil).AnyTimes()
		svc.EXPECT().ChatStream(gomock.Any(), gomock.Any()).Return(nil, domain.InvalidField("messages[0].content", "'messages[0].content' is required")).AnyTimes()
		if rec := postResponses(h, body); rec.Code != 200 && rec.Code/100 != 4 {
			t.Fatalf("%s: %d %s", body, rec.Code, rec.Body)
		}
	})
}
