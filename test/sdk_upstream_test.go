package test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
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

// sdkSent is one request an SDK script made, as its logging fetch saw it.
type sdkSent struct {
	Step    string            `json:"step"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"` // x-should-retry, retry-after
	Body    map[string]any    `json:"body"`
}

// sdkRun is what a script printed: "ok <step>" per passed step,
// "FAIL <step>: why" per failed one and "sent {...}" per request.
type sdkRun struct {
	out    string
	sent   []sdkSent
	passed map[string]bool
	failed map[string]string
}

// runSDKScript runs one script in test/sdk against svc. A failing script
// is reported, not fatal, so every step's verdict and the upstream checks
// still show.
func runSDKScript(t *testing.T, svc *service, script string, env ...string) sdkRun {
	t.Helper()
	node := exec.CommandContext(t.Context(), "node", script)
	node.Dir = "sdk"
	node.Env = append(node.Environ(), append(env, "AOAI_API_BASE_URL="+svc.URL+"/v1", "AOAI_API_MODEL="+testDeployment)...)
	out, err := node.CombinedOutput()
	if err != nil {
		t.Errorf("%s: %v", script, err)
	}
	run := sdkRun{out: string(out), passed: map[string]bool{}, failed: map[string]string{}}
	for line := range strings.Lines(run.out) {
		line = strings.TrimSuffix(line, "\n")
		if step, ok := strings.CutPrefix(line, "ok "); ok {
			run.passed[step] = true
		}
		if rest, ok := strings.CutPrefix(line, "FAIL "); ok {
			step, why, _ := strings.Cut(rest, ": ")
			run.failed[step] = why
		}
		if rest, ok := strings.CutPrefix(line, "sent "); ok {
			var s sdkSent
			if err := json.Unmarshal([]byte(rest), &s); err != nil {
				t.Fatalf("%s printed a bad sent line %q: %v", script, line, err)
			}
			run.sent = append(run.sent, s)
		}
	}
	return run
}

// checkSteps fails for each step that did not print "ok <step>",
// quoting the script's own failure line for it.
func (r sdkRun) checkSteps(t *testing.T, steps ...string) {
	t.Helper()
	for _, step := range steps {
		if r.passed[step] {
			continue
		}
		why, ok := r.failed[step]
		if !ok {
			why = "it never ran:\n" + r.out
		}
		t.Errorf("step %s did not pass: %s", step, why)
	}
}

// requestsOf is what the script sent in one step.
func (r sdkRun) requestsOf(step string) []sdkSent {
	var out []sdkSent
	for _, s := range r.sent {
		if s.Step == step && s.Body != nil {
			out = append(out, s)
		}
	}
	return out
}

// checkUpstream pairs each step's requests with what the upstream
// recorded under the step's marker: a request the service refused (400,
// 404) must not have reached it; every other one must have, once, with
// what it sent forwarded or translated as the spec says.
func (r sdkRun) checkUpstream(t *testing.T, up *sdkUpstream, operator string) {
	t.Helper()
	steps := []string{}
	for _, s := range r.sent {
		if s.Body != nil && !slices.Contains(steps, s.Step) {
			steps = append(steps, s.Step)
		}
	}
	for _, step := range steps {
		sent := r.requestsOf(step)
		var reached []sdkSent
		for _, s := range sent {
			if s.Status != http.StatusBadRequest && s.Status != http.StatusNotFound {
				reached = append(reached, s)
			}
		}
		got := up.recorded("[" + step + "]")
		if len(got) != len(reached) {
			t.Errorf("%s: the upstream saw %d calls for %d requests the service accepted (sent statuses %v)", step, len(got), len(reached), statuses(sent))
			continue
		}
		for i, s := range reached {
			var diffs []string
			switch s.Path {
			case "/v1/chat/completions":
				diffs = forwardDiffs(s.Body, got[i], operator)
			case "/v1/responses":
				diffs = translateDiffs(s.Body, got[i], operator)
			default:
				diffs = []string{"unexpected path " + s.Path}
			}
			for _, d := range diffs {
				t.Errorf("%s (request %d): %s\n sent: %s\n upstream: %s", step, i+1, d, compact(s.Body), compact(got[i]))
			}
		}
	}
}

func statuses(sent []sdkSent) []int {
	var out []int
	for _, s := range sent {
		out = append(out, s.Status)
	}
	return out
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// chatForwarded is what /v1/chat/completions passes upstream unchanged.
var chatForwarded = []string{
	"tools", "tool_choice", "parallel_tool_calls", "response_format", "stop", "top_p", "seed",
	"presence_penalty", "frequency_penalty", "logit_bias", "user", "prediction", "reasoning_effort",
	"n", "logprobs", "top_logprobs", "temperature", "max_tokens", "max_completion_tokens",
}

// forwardDiffs lists how the upstream body differs from what the client
// sent to /v1/chat/completions.
func forwardDiffs(sent, got map[string]any, operator string) []string {
	var diffs []string
	for k, v := range sent {
		switch {
		case k == "model" || k == "messages" || k == "stream" || k == "stream_options":
		case !slices.Contains(chatForwarded, k):
			diffs = append(diffs, fmt.Sprintf("the service accepted %q, which it must refuse", k))
		case !jsonEqual(v, got[k]):
			diffs = append(diffs, fmt.Sprintf("%s arrived as %s, sent %s", k, compact(got[k]), compact(v)))
		}
	}
	diffs = append(diffs, streamDiffs(sent["stream"] == true, got)...)
	for k := range got {
		if _, ok := sent[k]; (!ok || k == "model") && k != "messages" && k != "stream" && k != "stream_options" {
			diffs = append(diffs, fmt.Sprintf("the upstream got %q=%s, which it must not", k, compact(got[k])))
		}
	}
	want := []any{map[string]any{"role": "system", "content": operator}}
	for _, m := range asSlice(sent["messages"]) {
		m := maps.Clone(asMap(m))
		if m["role"] == "developer" {
			m["role"] = "system" // the dated api-version knows no developer
		}
		want = append(want, m)
	}
	return append(diffs, messageDiffs(want, asSlice(got["messages"]), false)...)
}

func streamDiffs(stream bool, got map[string]any) []string {
	if (got["stream"] == true) != stream {
		return []string{fmt.Sprintf("stream arrived as %v, want %v", got["stream"], stream)}
	}
	if stream && asMap(got["stream_options"])["include_usage"] != true {
		return []string{"a stream went upstream without stream_options.include_usage=true: " + compact(got["stream_options"])}
	}
	return nil
}

// messageDiffs compares messages key by key, a null the same as an
// absent key. loose compares content by its text and image parts alone,
// for translated messages whose content may be a string or parts.
func messageDiffs(want, got []any, loose bool) []string {
	if len(want) != len(got) {
		return []string{fmt.Sprintf("the upstream got %d messages, want %d:\n want %s", len(got), len(want), compact(want))}
	}
	var diffs []string
	for i := range want {
		w, g := asMap(want[i]), asMap(got[i])
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		for k := range keys {
			a, b := w[k], g[k]
			if k == "content" && loose {
				a, b = contentParts(a), contentParts(b)
			}
			// Beside tool calls an empty content says no more than a null
			// one (LangChain sends "", the AI SDK null).
			if k == "content" && w["tool_calls"] != nil && a == "" {
				a = nil
			}
			if !jsonEqual(a, b) {
				diffs = append(diffs, fmt.Sprintf("messages[%d].%s arrived as %s, want %s", i, k, compact(b), compact(a)))
			}
		}
	}
	return diffs
}

// contentParts is content as a list of text and image parts, so "x" and
// [{"type":"text","text":"x"}] compare equal.
func contentParts(c any) any {
	if s, ok := c.(string); ok {
		return []any{map[string]any{"type": "text", "text": s}}
	}
	if c == nil {
		return nil
	}
	var out []any
	for _, p := range asSlice(c) {
		p := asMap(p)
		switch p["type"] {
		case "text", "input_text", "output_text":
			out = append(out, map[string]any{"type": "text", "text": p["text"]})
		case "image_url":
			out = append(out, map[string]any{"type": "image_url", "url": asMap(p["image_url"])["url"]})
		case "input_image":
			out = append(out, map[string]any{"type": "image_url", "url": p["image_url"]})
		default:
			out = append(out, p)
		}
	}
	return out
}

// translateDiffs lists how the upstream chat body differs from the
// translation of what the client sent to /v1/responses.
func translateDiffs(sent, got map[string]any, operator string) []string {
	want := map[string]any{}
	msgs := []any{map[string]any{"role": "system", "content": operator}}
	if s, ok := sent["instructions"].(string); ok {
		msgs = append(msgs, map[string]any{"role": "system", "content": s})
	}
	var diffs []string
	if s, ok := sent["input"].(string); ok {
		msgs = append(msgs, map[string]any{"role": "user", "content": s})
	}
	for _, it := range asSlice(sent["input"]) {
		it := asMap(it)
		switch it["type"] {
		case nil, "message":
			role := it["role"]
			if role == "developer" {
				role = "system"
			}
			msgs = append(msgs, map[string]any{"role": role, "content": it["content"]})
		case "function_call":
			call := map[string]any{"id": it["call_id"], "type": "function",
				"function": map[string]any{"name": it["name"], "arguments": it["arguments"]}}
			if prev := asMap(msgs[len(msgs)-1]); prev["role"] == "assistant" && prev["tool_calls"] != nil {
				prev["tool_calls"] = append(asSlice(prev["tool_calls"]), call)
				continue
			}
			msgs = append(msgs, map[string]any{"role": "assistant", "tool_calls": []any{call}})
		case "function_call_output":
			msgs = append(msgs, map[string]any{"role": "tool", "tool_call_id": it["call_id"], "content": it["output"]})
		default:
			diffs = append(diffs, fmt.Sprintf("the service accepted an input item of type %v", it["type"]))
		}
	}
	for k, v := range sent {
		switch k {
		case "model", "input", "instructions", "stream":
		case "max_output_tokens":
			want["max_completion_tokens"] = v
		case "temperature", "top_p":
			want[k] = v
		case "tools":
			var tools []any
			for _, tl := range asSlice(v) {
				fn := maps.Clone(asMap(tl))
				delete(fn, "type")
				tools = append(tools, map[string]any{"type": "function", "function": fn})
			}
			want[k] = tools
		case "tool_choice":
			if c := asMap(v); c != nil {
				v = map[string]any{"type": "function", "function": map[string]any{"name": c["name"]}}
			}
			want[k] = v
		case "text":
			f := maps.Clone(asMap(asMap(v)["format"]))
			if f["type"] == "json_schema" {
				delete(f, "type")
				want["response_format"] = map[string]any{"type": "json_schema", "json_schema": f}
			}
		default:
			diffs = append(diffs, fmt.Sprintf("the service accepted %q, which the spec does not translate", k))
		}
	}
	for k, v := range want {
		if !jsonEqual(v, got[k]) {
			diffs = append(diffs, fmt.Sprintf("%s arrived as %s, want %s", k, compact(got[k]), compact(v)))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && k != "messages" && k != "stream" && k != "stream_options" {
			diffs = append(diffs, fmt.Sprintf("the upstream got %q=%s, which the translation does not produce", k, compact(got[k])))
		}
	}
	diffs = append(diffs, streamDiffs(sent["stream"] == true, got)...)
	return append(diffs, messageDiffs(msgs, asSlice(got["messages"]), true)...)
}

// jsonEqual compares two decoded JSON values, null the same as absent.
func jsonEqual(a, b any) bool {
	return reflect.DeepEqual(normalJSON(a), normalJSON(b))
}

func normalJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// expectSent checks a value at a dotted path in the step's first request:
// that the SDK still sends what the step is meant to exercise.
func (r sdkRun) expectSent(t *testing.T, step, path string, want any) {
	t.Helper()
	sent := r.requestsOf(step)
	if len(sent) == 0 {
		t.Errorf("%s sent nothing", step)
		return
	}
	var v any = sent[0].Body
	for key := range strings.SplitSeq(path, ".") {
		if i, err := strconv.Atoi(key); err == nil {
			if s := asSlice(v); i < len(s) {
				v = s[i]
				continue
			}
			v = nil
			continue
		}
		v = asMap(v)[key]
	}
	if !jsonEqual(v, want) {
		t.Errorf("%s: the SDK sent %s=%s, want %s; the step no longer exercises what it is named for", step, path, compact(v), compact(want))
	}
}
