package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// sdkUpstream is the Azure deployment the SDK tests talk to through the
// service. It records every body it accepts, so a test can compare what
// an SDK sent with what arrived, and answers from the request's content:
// a tool call when tools are offered, JSON for a schema, n choices,
// logprobs, streams split the way Azure splits them.
type sdkUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []map[string]any
}

// sdkOperatorPrompt is the operator's SYSTEM_PROMPT in the SDK tests: it
// must reach the upstream first, before anything the client says.
const sdkOperatorPrompt = "Operator rules: stay on topic."

// sdkEnv is the service's environment for the SDK tests: the upstream's
// 429 and 5xx reach the SDK untouched by the service's own retries.
func sdkEnv(up *sdkUpstream) map[string]string {
	return map[string]string{
		"AZURE_OPENAI_ENDPOINT":        up.URL + "/",
		"AZURE_OPENAI_API_KEY":         testAPIKey,
		"AZURE_OPENAI_DEPLOYMENT_NAME": testDeployment,
		"AZURE_OPENAI_API_VERSION":     testAPIVersion,
		"SYSTEM_PROMPT":                sdkOperatorPrompt,
		"UPSTREAM_MAX_RETRIES":         "0",
	}
}

// sdkUsage is what every answer costs, with the details the service must
// pass on.
var sdkUsage = map[string]any{
	"prompt_tokens": 17, "completion_tokens": 4, "total_tokens": 21,
	"prompt_tokens_details":     map[string]any{"cached_tokens": 8},
	"completion_tokens_details": map[string]any{"reasoning_tokens": 2},
}

// newSDKUpstream starts the deployment. intercept, when not nil, sees
// each recorded body first and may answer it itself (a throttle, a
// failure) by returning true.
func newSDKUpstream(t *testing.T, intercept func(w http.ResponseWriter, body map[string]any) bool) *sdkUpstream {
	t.Helper()
	u := &sdkUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("apim-request-id", "apim-sdk-1")
		switch {
		case r.URL.Path != "/openai/deployments/"+testDeployment+"/chat/completions":
			azureError(w, http.StatusNotFound, "DeploymentNotFound", "The API deployment for this resource does not exist.")
			return
		case r.URL.Query().Get("api-version") != testAPIVersion:
			azureError(w, http.StatusBadRequest, "BadRequest", "Unsupported api-version")
			return
		case r.Header.Get("api-key") != testAPIKey:
			azureError(w, http.StatusUnauthorized, "401", "Access denied due to invalid subscription key.")
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			azureError(w, http.StatusBadRequest, "BadRequest", "invalid JSON body")
			return
		}
		u.mu.Lock()
		u.seen = append(u.seen, body)
		u.mu.Unlock()
		if msg := azureRejects(body); msg != "" {
			azureError(w, http.StatusBadRequest, "BadRequest", msg)
			return
		}
		if intercept != nil && intercept(w, body) {
			return
		}
		sdkReply(w, body)
	}))
	t.Cleanup(u.Close)
	return u
}

// recorded is every body that carried marker in one of its messages, in
// arrival order.
func (u *sdkUpstream) recorded(marker string) []map[string]any {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []map[string]any
	for _, b := range u.seen {
		for _, m := range asSlice(b["messages"]) {
			if strings.Contains(messageText(asMap(m)), marker) {
				out = append(out, b)
				break
			}
		}
	}
	return out
}

// azureRejects says what a 2024-10-21 deployment refuses of the body's
// shape, as it would: the dated api-version knows no developer role.
func azureRejects(body map[string]any) string {
	msgs := asSlice(body["messages"])
	if len(msgs) == 0 {
		return "'messages' is a required property"
	}
	for i, m := range msgs {
		if role, _ := asMap(m)["role"].(string); !slices.Contains([]string{"system", "user", "assistant", "tool"}, role) {
			return fmt.Sprintf("Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'function', and 'tool'. (messages[%d].role)", role, i)
		}
	}
	return ""
}

// sdkAnswer is one choice's message as the script decides it.
type sdkAnswer struct {
	content  *string
	toolCall map[string]any // {id, type, function{name, arguments}}
}

func (a sdkAnswer) finish() string {
	if a.toolCall != nil {
		return "tool_calls"
	}
	return "stop"
}

// answerFor scripts the reply: the offered tool is called unless the
// conversation already holds its result; a schema gets a JSON instance;
// anything else is echoed.
func answerFor(body map[string]any, choice int) sdkAnswer {
	msgs := asSlice(body["messages"])
	last := asMap(msgs[len(msgs)-1])
	if tools := asSlice(body["tools"]); len(tools) > 0 && body["tool_choice"] != "none" && last["role"] != "tool" {
		tool := asMap(asMap(tools[0])["function"])
		if forced := asMap(asMap(body["tool_choice"])["function"]); forced["name"] != nil {
			for _, t := range tools {
				if f := asMap(asMap(t)["function"]); f["name"] == forced["name"] {
					tool = f
				}
			}
		}
		args, _ := json.Marshal(sampleOf(asMap(tool["parameters"])))
		return sdkAnswer{toolCall: map[string]any{
			"id": "call_" + tool["name"].(string), "type": "function",
			"function": map[string]any{"name": tool["name"], "arguments": string(args)},
		}}
	}
	var text string
	format := asMap(body["response_format"])
	switch format["type"] {
	case "json_schema":
		b, _ := json.Marshal(sampleOf(asMap(asMap(format["json_schema"])["schema"])))
		text = string(b)
	case "json_object":
		text = `{"ok":true}`
	default:
		text = "echo: " + lastUserText(msgs)
		if choice > 0 {
			text += fmt.Sprintf(" (choice %d)", choice)
		}
	}
	return sdkAnswer{content: &text}
}

// sampleOf is an instance of a JSON schema: what a model obeying strict
// structured output would write.
func sampleOf(schema map[string]any) any {
	if alts := asSlice(schema["anyOf"]); len(alts) > 0 {
		return sampleOf(asMap(alts[0]))
	}
	if enum := asSlice(schema["enum"]); len(enum) > 0 {
		return enum[0]
	}
	typ := schema["type"]
	if alts := asSlice(typ); len(alts) > 0 {
		typ = alts[0]
	}
	switch typ {
	case "object":
		o := map[string]any{}
		for k, v := range asMap(schema["properties"]) {
			o[k] = sampleOf(asMap(v))
		}
		return o
	case "array":
		return []any{sampleOf(asMap(schema["items"]))}
	case "number", "integer":
		return 3
	case "boolean":
		return true
	case "null":
		return nil
	}
	return "Paris"
}

func sdkChoices(body map[string]any) int {
	if n, ok := body["n"].(float64); ok && n > 1 {
		return int(n)
	}
	return 1
}

func sdkReply(w http.ResponseWriter, body map[string]any) {
	if body["stream"] == true {
		sdkStream(w, body)
		return
	}
	var choices []any
	for i := range sdkChoices(body) {
		a := answerFor(body, i)
		msg := map[string]any{"role": "assistant", "content": a.content, "refusal": nil}
		if a.toolCall != nil {
			msg["tool_calls"] = []any{a.toolCall}
		}
		choices = append(choices, map[string]any{
			"index": i, "finish_reason": a.finish(), "message": msg, "logprobs": sdkLogprobs(body),
			"content_filter_results": map[string]any{},
		})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-sdk", "object": "chat.completion", "created": 1732500000, "model": "gpt-4o-2024-08-06",
		"system_fingerprint": "fp_sdk", "choices": choices, "usage": sdkUsage,
		"prompt_filter_results": []any{map[string]any{"prompt_index": 0, "content_filter_results": map[string]any{}}},
	})
}

// sdkLogprobs answers logprobs:true with one token and top_logprobs
// alternatives.
func sdkLogprobs(body map[string]any) any {
	if body["logprobs"] != true {
		return nil
	}
	top := []any{}
	k, _ := body["top_logprobs"].(float64)
	for i := range int(k) {
		top = append(top, map[string]any{"token": fmt.Sprintf("alt%d", i), "logprob": -1.5 - float64(i), "bytes": []int{97}})
	}
	return map[string]any{"refusal": nil, "content": []any{map[string]any{
		"token": "echo", "logprob": -0.25, "bytes": []int{101, 99, 104, 111}, "top_logprobs": top,
	}}}
}

// sdkStream streams the answer as Azure does: a filter-only first chunk,
// a role chunk, fragments, a finish chunk, the usage chunk when asked,
// then [DONE]. A tool call's first chunk names it with empty arguments;
// later ones carry only the index and argument fragments.
func sdkStream(w http.ResponseWriter, body map[string]any) {
	w.Header().Set("Content-Type", "text/event-stream")
	writeEvent(w, map[string]any{"choices": []any{}, "created": 0, "id": "", "model": "", "object": "",
		"prompt_filter_results": []any{map[string]any{"prompt_index": 0, "content_filter_results": map[string]any{}}}})
	chunk := func(choices ...any) {
		writeEvent(w, map[string]any{"id": "chatcmpl-sdk", "object": "chat.completion.chunk", "created": 1732500000,
			"model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_sdk", "choices": choices})
	}
	delta := func(i int, d map[string]any) any {
		return map[string]any{"index": i, "delta": d, "finish_reason": nil, "logprobs": nil, "content_filter_results": map[string]any{}}
	}
	n := sdkChoices(body)
	answers := make([]sdkAnswer, n)
	for i := range n {
		answers[i] = answerFor(body, i)
		a := answers[i]
		if a.toolCall == nil {
			chunk(delta(i, map[string]any{"role": "assistant", "content": "", "refusal": nil}))
			for _, frag := range fragments(*a.content) {
				chunk(delta(i, map[string]any{"content": frag}))
			}
			continue
		}
		chunk(delta(i, map[string]any{"role": "assistant", "content": nil, "refusal": nil}))
		fn := asMap(a.toolCall["function"])
		chunk(delta(i, map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": a.toolCall["id"], "type": "function",
			"function": map[string]any{"name": fn["name"], "arguments": ""}}}}))
		for _, frag := range fragments(fn["arguments"].(string)) {
			chunk(delta(i, map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": frag}}}}))
		}
	}
	for i, a := range answers {
		chunk(map[string]any{"index": i, "delta": map[string]any{}, "finish_reason": a.finish(), "logprobs": nil,
			"content_filter_results": map[string]any{}})
	}
	if asMap(body["stream_options"])["include_usage"] == true {
		writeEvent(w, map[string]any{"id": "chatcmpl-sdk", "object": "chat.completion.chunk", "created": 1732500000,
			"model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_sdk", "choices": []any{}, "usage": sdkUsage})
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
}

// fragments cuts s into three pieces on rune boundaries, so a client has
// to join them.
func fragments(s string) []string {
	r := []rune(s)
	a, b := len(r)/3, 2*len(r)/3
	var out []string
	for _, p := range []string{string(r[:a]), string(r[a:b]), string(r[b:])} {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lastUserText(msgs []any) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := asMap(msgs[i]); m["role"] == "user" {
			return messageText(m)
		}
	}
	return ""
}

// messageText is a message's text, its parts' texts joined.
func messageText(m map[string]any) string {
	if s, ok := m["content"].(string); ok {
		return s
	}
	var b strings.Builder
	for _, p := range asSlice(m["content"]) {
		if s, ok := asMap(p)["text"].(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
