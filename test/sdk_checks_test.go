package test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

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
