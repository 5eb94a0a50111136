package llmhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// chatAnswer is what ChatClient.Chat makes of one 200 body.
func chatAnswer(t *testing.T, body string) domain.Answer {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c := llmhttp.NewChatClient(llmhttp.New(srv.Client(), target), llmhttp.Endpoint{URL: srv.URL, Timeout: time.Minute})
	ans, err := c.Chat(context.Background(), ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

// Logprobs are the model's: spacing and number spelling kept, so the
// client gets exactly what the model sent.
const zeroLogprobs = `{"content": [ {"token":"zero", "logprob":-1.5e-3, "bytes":[122,101,114,111], "top_logprobs":[]} ], "refusal":null}`

func TestChatParsesEveryChoiceInIndexOrder(t *testing.T) {
	ans := chatAnswer(t, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[
	 {"index":2,"message":{"role":"assistant","content":null,"tool_calls":[
	   {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},
	   {"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":"tool_calls","logprobs":null},
	 {"index":0,"message":{"role":"assistant","content":"zero","refusal":null},"finish_reason":"stop","logprobs":`+zeroLogprobs+`},
	 {"index":1,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}],
	 "usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29,
	   "prompt_tokens_details":{"cached_tokens":16},"completion_tokens_details":{"reasoning_tokens":4}}}`)

	want := []domain.Choice{
		{Text: "zero", FinishReason: "stop", Logprobs: domain.JSON(zeroLogprobs)},
		{Refusal: "I can't help with that.", FinishReason: "stop"},
		{ToolCalls: []domain.ToolCall{
			{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
			{ID: "call_2", Name: "get_time", Arguments: "{}"},
		}, FinishReason: "tool_calls"},
	}
	if !reflect.DeepEqual(ans.Choices, want) {
		t.Errorf("choices =\n%+v\nwant\n%+v", ans.Choices, want)
	}
	if string(ans.Choices[0].Logprobs) != zeroLogprobs {
		t.Errorf("logprobs = %s, want them byte for byte", ans.Choices[0].Logprobs)
	}
	if ans.Model != "gpt-4o-2024-08-06" || ans.Text() != "zero" {
		t.Errorf("answer = %+v", ans)
	}
	tok := ans.Tokens
	if tok.Prompt == nil || *tok.Prompt != 20 || *tok.Completion != 9 || *tok.Total != 29 ||
		tok.Cached == nil || *tok.Cached != 16 || tok.Reasoning == nil || *tok.Reasoning != 4 {
		t.Errorf("tokens = %s", tokens(tok))
	}
}

func TestChatTokenDetailsAreNilWhenAbsent(t *testing.T) {
	for name, usage := range map[string]string{
		"no details":    `{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}`,
		"empty details": `{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,"prompt_tokens_details":{},"completion_tokens_details":{"accepted_prediction_tokens":0}}`,
		"null details":  `{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,"prompt_tokens_details":null,"completion_tokens_details":null}`,
	} {
		t.Run(name, func(t *testing.T) {
			ans := chatAnswer(t, `{"model":"m","choices":[{"index":0,"message":{"content":"x"},"finish_reason":"stop"}],"usage":`+usage+`}`)
			if tok := ans.Tokens; tok.Total == nil || *tok.Total != 6 || tok.Cached != nil || tok.Reasoning != nil {
				t.Errorf("tokens = %s, want totals with nil details", tokens(tok))
			}
		})
	}
	ans := chatAnswer(t, `{"model":"m","choices":[{"index":0,"message":{"content":"x"},"finish_reason":"stop"}]}`)
	if ans.Tokens != (domain.TokenUsage{}) {
		t.Errorf("tokens = %s without usage, want all nil", tokens(ans.Tokens))
	}
	// A cached count of 0 is a count the provider reported, not an absent one.
	ans = chatAnswer(t, `{"model":"m","choices":[{"index":0,"message":{"content":"x"}}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,"prompt_tokens_details":{"cached_tokens":0}}}`)
	if ans.Tokens.Cached == nil || *ans.Tokens.Cached != 0 {
		t.Errorf("tokens = %s, want cached 0", tokens(ans.Tokens))
	}
}

func tokens(u domain.TokenUsage) string {
	s := func(p *int) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("prompt %s completion %s total %s cached %s reasoning %s", s(u.Prompt), s(u.Completion), s(u.Total), s(u.Cached), s(u.Reasoning))
}

// chunkOf is one chat.completion.chunk with the given choices.
func chunkOf(choices ...string) string {
	return `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[` + strings.Join(choices, ",") + `],"usage":null}`
}

func drainDeltas(t *testing.T, st *llmhttp.ChatStream) []domain.Delta {
	t.Helper()
	var out []domain.Delta
	for {
		d, err := st.Recv()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("after %d pieces: %v", len(out), err)
		}
		out = append(out, d)
	}
}

const helLogprobs = `{"content":[{"token":"Hel","logprob":-0.1,"bytes":[72,101,108],"top_logprobs":[]}]}`

// Two choices interleave: choice 0 says a word then calls a tool, choice
// 1 refuses. Role-only and finish-only chunks carry no piece.
func TestStreamYieldsEveryChoicesPieces(t *testing.T) {
	srv := sseServer(t, []string{
		filterOnlyChunk,
		chunkOf(`{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"logprobs":null}`,
			`{"index":1,"delta":{"role":"assistant","refusal":null},"finish_reason":null}`),
		chunkOf(`{"index":0,"delta":{"content":"Hel"},"finish_reason":null,"logprobs":` + helLogprobs + `}`),
		chunkOf(`{"index":1,"delta":{"refusal":"I can"},"finish_reason":null}`),
		chunkOf(`{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}`),
		chunkOf(`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}`),
		chunkOf(`{"index":1,"delta":{"refusal":"'t."},"finish_reason":null}`,
			`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}},{"index":1,"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}`),
		chunkOf(`{"index":1,"delta":{},"finish_reason":"stop"}`),
		chunkOf(`{"index":0,"delta":{},"finish_reason":"tool_calls","logprobs":null}`),
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":12,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":0}}}`,
	}, true, nil)
	st, err := open(t, context.Background(), srv.URL, generous)
	if err != nil {
		t.Fatal(err)
	}
	got := drainDeltas(t, st)
	want := []domain.Delta{
		{Choice: 0, Text: "Hel", Logprobs: domain.JSON(helLogprobs)},
		{Choice: 1, Refusal: "I can"},
		{Choice: 0, ToolCalls: []domain.ToolCallDelta{{Index: 0, ID: "call_1", Name: "get_weather", Arguments: ""}}},
		{Choice: 0, ToolCalls: []domain.ToolCallDelta{{Index: 0, Arguments: `{"city":`}}},
		{Choice: 1, Refusal: "'t."},
		{Choice: 0, ToolCalls: []domain.ToolCallDelta{{Index: 0, Arguments: `"Oslo"}`}, {Index: 1, ID: "call_2", Name: "get_time", Arguments: "{}"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pieces =\n%+v\nwant\n%+v", got, want)
	}
	r := st.Result()
	if len(r.Choices) != 2 || r.Choices[0].FinishReason != "tool_calls" || r.Choices[1].FinishReason != "stop" {
		t.Errorf("result choices = %+v, want tool_calls then stop", r.Choices)
	}
	for i, c := range r.Choices {
		if c.Text != "" || c.Refusal != "" || c.ToolCalls != nil {
			t.Errorf("result choice %d holds %+v: a stream's result holds finish reasons only", i, c)
		}
	}
	if tok := r.Tokens; tok.Total == nil || *tok.Total != 42 || tok.Cached == nil || *tok.Cached != 8 || tok.Reasoning == nil || *tok.Reasoning != 0 {
		t.Errorf("tokens = %s", tokens(tok))
	}
}

// A chunk may carry only logprobs for a piece whose text is elsewhere;
// they are still the client's to see.
func TestStreamKeepsLogprobsOnlyPieces(t *testing.T) {
	srv := sseServer(t, []string{
		chunkOf(`{"index":0,"delta":{},"finish_reason":null,"logprobs":{"content":[]}}`),
		chunkOf(`{"index":0,"delta":{},"finish_reason":"stop"}`),
	}, true, nil)
	st, err := open(t, context.Background(), srv.URL, generous)
	if err != nil {
		t.Fatal(err)
	}
	got := drainDeltas(t, st)
	if len(got) != 1 || string(got[0].Logprobs) != `{"content":[]}` || got[0].Text != "" {
		t.Errorf("pieces = %+v, want one with the logprobs", got)
	}
}

// An upstream's choice index must not make us allocate a choice for
// every index below it: finish reasons past maxChoices (128) are
// dropped, and Result holds only the choices that could be real.
func TestStreamBoundsTheChoicesItHolds(t *testing.T) {
	srv := sseServer(t, []string{
		chunkOf(`{"index":0,"delta":{"content":"x"},"finish_reason":null}`),
		chunkOf(`{"index":1000000000,"delta":{"content":"far"},"finish_reason":null}`, `{"index":-1,"delta":{"content":"neg"},"finish_reason":null}`),
		chunkOf(`{"index":0,"delta":{},"finish_reason":"stop"}`,
			`{"index":1000000000,"delta":{},"finish_reason":"stop"}`,
			`{"index":-1,"delta":{},"finish_reason":"stop"}`,
			`{"index":128,"delta":{},"finish_reason":"stop"}`),
	}, true, nil)
	st, err := open(t, context.Background(), srv.URL, generous)
	if err != nil {
		t.Fatal(err)
	}
	if got := drainDeltas(t, st); len(got) != 1 || got[0].Text != "x" {
		t.Errorf("pieces = %+v, want only choice 0's: no client asked for the others", got)
	}
	if r := st.Result(); len(r.Choices) != 1 || r.FinishReason() != "stop" {
		t.Errorf("result holds %d choices, want the one real one", len(r.Choices))
	}

	srv = sseServer(t, []string{
		chunkOf(`{"index":0,"delta":{"content":"x"},"finish_reason":null}`),
		chunkOf(`{"index":127,"delta":{},"finish_reason":"length"}`),
	}, true, nil)
	st, err = open(t, context.Background(), srv.URL, generous)
	if err != nil {
		t.Fatal(err)
	}
	drainDeltas(t, st)
	if r := st.Result(); len(r.Choices) != 128 || r.Choices[127].FinishReason != "length" {
		t.Errorf("result holds %d choices, want index 127, the last allowed, kept", len(r.Choices))
	}
}
