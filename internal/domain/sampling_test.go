package domain_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/aoai-api/aoai-api/internal/domain"
)

func bp(b bool) *bool { return &b }

func TestValidateChatSamplingRanges(t *testing.T) {
	between := func(field, lo, hi string) wantError {
		return invalid(field, "'"+field+"' must be between "+lo+" and "+hi)
	}
	biases := func(n int) map[string]int {
		m := make(map[string]int, n)
		for i := range n {
			m[strconv.Itoa(i)] = 1
		}
		return m
	}
	lim := plainOnly // MaxTokensLimit 100, MaxN 0
	lim4 := plainOnly
	lim4.MaxN = 4
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		s    domain.Sampling
		lim  domain.ChatLimits
		want wantError
	}{
		{"none set", domain.Sampling{}, lim, wantError{}},
		{"temperature 0", domain.Sampling{Temperature: fp(0)}, lim, wantError{}},
		{"temperature 2", domain.Sampling{Temperature: fp(2)}, lim, wantError{}},
		{"temperature below 0", domain.Sampling{Temperature: fp(-0.0001)}, lim, between("temperature", "0", "2")},
		{"temperature above 2", domain.Sampling{Temperature: fp(2.0001)}, lim, between("temperature", "0", "2")},
		{"temperature NaN", domain.Sampling{Temperature: &nan}, lim, between("temperature", "0", "2")},
		{"temperature +Inf", domain.Sampling{Temperature: &inf}, lim, between("temperature", "0", "2")},
		{"top_p 0", domain.Sampling{TopP: fp(0)}, lim, wantError{}},
		{"top_p 1", domain.Sampling{TopP: fp(1)}, lim, wantError{}},
		{"top_p below 0", domain.Sampling{TopP: fp(-0.01)}, lim, between("top_p", "0", "1")},
		{"top_p above 1", domain.Sampling{TopP: fp(1.01)}, lim, between("top_p", "0", "1")},
		{"top_p NaN", domain.Sampling{TopP: &nan}, lim, between("top_p", "0", "1")},
		{"presence_penalty -2", domain.Sampling{PresencePenalty: fp(-2)}, lim, wantError{}},
		{"presence_penalty 2", domain.Sampling{PresencePenalty: fp(2)}, lim, wantError{}},
		{"presence_penalty below", domain.Sampling{PresencePenalty: fp(-2.01)}, lim, between("presence_penalty", "-2", "2")},
		{"presence_penalty above", domain.Sampling{PresencePenalty: fp(2.01)}, lim, between("presence_penalty", "-2", "2")},
		{"presence_penalty NaN", domain.Sampling{PresencePenalty: &nan}, lim, between("presence_penalty", "-2", "2")},
		{"frequency_penalty -2", domain.Sampling{FrequencyPenalty: fp(-2)}, lim, wantError{}},
		{"frequency_penalty 2", domain.Sampling{FrequencyPenalty: fp(2)}, lim, wantError{}},
		{"frequency_penalty below", domain.Sampling{FrequencyPenalty: fp(-2.01)}, lim, between("frequency_penalty", "-2", "2")},
		{"frequency_penalty above", domain.Sampling{FrequencyPenalty: fp(2.01)}, lim, between("frequency_penalty", "-2", "2")},
		{"frequency_penalty NaN", domain.Sampling{FrequencyPenalty: &nan}, lim, between("frequency_penalty", "-2", "2")},
		{"max_tokens 1", domain.Sampling{MaxTokens: ip(1)}, lim, wantError{}},
		{"max_tokens at the limit", domain.Sampling{MaxTokens: ip(100)}, lim, wantError{}},
		{"max_tokens 0", domain.Sampling{MaxTokens: ip(0)}, lim, between("max_tokens", "1", "100")},
		{"max_tokens over the limit", domain.Sampling{MaxTokens: ip(101)}, lim, between("max_tokens", "1", "100")},
		{"max_completion_tokens 1", domain.Sampling{MaxCompletionTokens: ip(1)}, lim, wantError{}},
		{"max_completion_tokens at the limit", domain.Sampling{MaxCompletionTokens: ip(100)}, lim, wantError{}},
		{"max_completion_tokens 0", domain.Sampling{MaxCompletionTokens: ip(0)}, lim, between("max_completion_tokens", "1", "100")},
		{"max_completion_tokens over the limit", domain.Sampling{MaxCompletionTokens: ip(101)}, lim, between("max_completion_tokens", "1", "100")},
		{"n 1 with MaxN 0", domain.Sampling{N: ip(1)}, lim, wantError{}},
		{"n 2 with MaxN 0, which means 1", domain.Sampling{N: ip(2)}, lim, between("n", "1", "1")},
		{"n at MaxN", domain.Sampling{N: ip(4)}, lim4, wantError{}},
		{"n over MaxN", domain.Sampling{N: ip(5)}, lim4, between("n", "1", "4")},
		{"n 0", domain.Sampling{N: ip(0)}, lim4, between("n", "1", "4")},
		{"n negative", domain.Sampling{N: ip(-1)}, lim4, between("n", "1", "4")},
		{"logprobs alone", domain.Sampling{Logprobs: bp(true)}, lim, wantError{}},
		{"logprobs false", domain.Sampling{Logprobs: bp(false)}, lim, wantError{}},
		{"top_logprobs 0", domain.Sampling{Logprobs: bp(true), TopLogprobs: ip(0)}, lim, wantError{}},
		{"top_logprobs 20", domain.Sampling{Logprobs: bp(true), TopLogprobs: ip(20)}, lim, wantError{}},
		{"top_logprobs 21", domain.Sampling{Logprobs: bp(true), TopLogprobs: ip(21)}, lim, between("top_logprobs", "0", "20")},
		{"top_logprobs -1", domain.Sampling{Logprobs: bp(true), TopLogprobs: ip(-1)}, lim, between("top_logprobs", "0", "20")},
		{"top_logprobs without logprobs", domain.Sampling{TopLogprobs: ip(5)}, lim, invalid("top_logprobs", "'top_logprobs' needs 'logprobs' set to true")},
		{"top_logprobs with logprobs false", domain.Sampling{Logprobs: bp(false), TopLogprobs: ip(5)}, lim, invalid("top_logprobs", "'top_logprobs' needs 'logprobs' set to true")},
		{"stop empty list", domain.Sampling{Stop: []string{}}, lim, wantError{}},
		{"stop 4", domain.Sampling{Stop: []string{"a", "b", "c", "\n"}}, lim, wantError{}},
		{"stop 5", domain.Sampling{Stop: []string{"a", "b", "c", "d", "e"}}, lim, invalid("stop", "'stop' may hold at most 4 sequences")},
		{"stop empty sequence", domain.Sampling{Stop: []string{"a", ""}}, lim, invalid("stop", "'stop' sequences may not be empty")},
		{"logit_bias bounds", domain.Sampling{LogitBias: map[string]int{"50256": -100, "1": 100}}, lim, wantError{}},
		{"logit_bias above", domain.Sampling{LogitBias: map[string]int{"1": 101}}, lim, between("logit_bias[1]", "-100", "100")},
		{"logit_bias below", domain.Sampling{LogitBias: map[string]int{"9999999999": -101}}, lim, between("logit_bias[9999999999]", "-100", "100")},
		{"logit_bias word key", domain.Sampling{LogitBias: map[string]int{"hello": 5}}, lim, invalid("logit_bias", "'logit_bias' keys must be token ids")},
		{"logit_bias negative key", domain.Sampling{LogitBias: map[string]int{"-1": 5}}, lim, invalid("logit_bias", "'logit_bias' keys must be token ids")},
		{"logit_bias 11-digit key", domain.Sampling{LogitBias: map[string]int{"12345678901": 5}}, lim, invalid("logit_bias", "'logit_bias' keys must be token ids")},
		// A bad key is named as one even when its bias is out of range
		// too, so no client text is echoed (or cut mid-character).
		{"logit_bias word key, bias out of range", domain.Sampling{LogitBias: map[string]int{"aéééééééééé": 500}}, lim, invalid("logit_bias", "'logit_bias' keys must be token ids")},
		{"logit_bias 1024 entries", domain.Sampling{LogitBias: biases(1024)}, lim, wantError{}},
		{"logit_bias 1025 entries", domain.Sampling{LogitBias: biases(1025)}, lim, invalid("logit_bias", "'logit_bias' may hold at most 1024 tokens")},
		{"reasoning_effort unknown", domain.Sampling{ReasoningEffort: "max"}, lim, invalid("reasoning_effort", "'reasoning_effort' must be one of none, minimal, low, medium, high or xhigh")},
		{"reasoning_effort is case-sensitive", domain.Sampling{ReasoningEffort: "High"}, lim, invalid("reasoning_effort", "'reasoning_effort' must be one of none, minimal, low, medium, high or xhigh")},
		{"free fields", domain.Sampling{Seed: new(int64), User: "u-1", Prediction: domain.JSON(`{"type":"content","content":"x"}`)}, lim, wantError{}},
	}
	for _, effort := range domain.ReasoningEfforts {
		tests = append(tests, struct {
			name string
			s    domain.Sampling
			lim  domain.ChatLimits
			want wantError
		}{"reasoning_effort " + effort, domain.Sampling{ReasoningEffort: effort}, lim, wantError{}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.ValidateChat([]domain.Message{user("x")}, tt.s, tt.lim)
			checkError(t, err, tt.want)
		})
	}
}

func TestValidateTools(t *testing.T) {
	fn := func(name, params string) domain.Tool { return domain.Tool{Name: name, Parameters: domain.JSON(params)} }
	weather := fn("get_weather", `{"type":"object","properties":{"city":{"type":"string"}}}`)
	many := func(n int) []domain.Tool {
		out := make([]domain.Tool, n)
		for i := range out {
			out[i] = fn("f"+strconv.Itoa(i), "")
		}
		return out
	}
	badName := func(i int) wantError {
		f := "tools[" + strconv.Itoa(i) + "].function.name"
		return invalid(f, "'"+f+"' must be 1 to 64 letters, digits, '_' or '-'")
	}
	badParams := func(i int) wantError {
		f := "tools[" + strconv.Itoa(i) + "].function.parameters"
		return invalid(f, "'"+f+"' must be a JSON Schema object")
	}
	schema := func(name, s string) *domain.Format {
		return &domain.Format{Type: domain.FormatJSONSchema, Name: name, Schema: domain.JSON(s), Strict: bp(true)}
	}
	tests := []struct {
		name  string
		tools domain.Tools
		f     *domain.Format
		want  wantError
	}{
		{"nothing", domain.Tools{}, nil, wantError{}},
		{"a function", domain.Tools{Defs: []domain.Tool{weather}}, nil, wantError{}},
		{"name of 64", domain.Tools{Defs: []domain.Tool{fn(strings.Repeat("a", 64), "")}}, nil, wantError{}},
		{"name with - and _", domain.Tools{Defs: []domain.Tool{fn("A-b_9", "")}}, nil, wantError{}},
		{"name of 65", domain.Tools{Defs: []domain.Tool{fn(strings.Repeat("a", 65), "")}}, nil, badName(0)},
		{"empty name", domain.Tools{Defs: []domain.Tool{weather, fn("", "")}}, nil, badName(1)},
		{"name with a space", domain.Tools{Defs: []domain.Tool{fn("get weather", "")}}, nil, badName(0)},
		{"name with a dot", domain.Tools{Defs: []domain.Tool{fn("tools.get", "")}}, nil, badName(0)},
		{"name not ASCII", domain.Tools{Defs: []domain.Tool{fn("météo", "")}}, nil, badName(0)},
		{"parameters null", domain.Tools{Defs: []domain.Tool{fn("f", "null")}}, nil, wantError{}},
		{"parameters after whitespace", domain.Tools{Defs: []domain.Tool{fn("f", " \n\t{}")}}, nil, wantError{}},
		{"parameters an array", domain.Tools{Defs: []domain.Tool{weather, fn("f", `[{"type":"object"}]`)}}, nil, badParams(1)},
		{"parameters a string", domain.Tools{Defs: []domain.Tool{fn("f", `"object"`)}}, nil, badParams(0)},
		{"parameters a number", domain.Tools{Defs: []domain.Tool{fn("f", `1`)}}, nil, badParams(0)},
		{"parameters true", domain.Tools{Defs: []domain.Tool{fn("f", `true`)}}, nil, badParams(0)},
		{"128 tools", domain.Tools{Defs: many(128)}, nil, wantError{}},
		{"a name twice", domain.Tools{Defs: []domain.Tool{weather, fn("a", ""), weather}}, nil, invalid("tools[2].function.name", "'tools[2].function.name' repeats an earlier function's name")},
		{"129 tools", domain.Tools{Defs: many(129)}, nil, invalid("tools", "'tools' may hold at most 128 functions")},
		{"tool_choice none without tools", domain.Tools{Choice: domain.ToolChoice{Mode: domain.ToolNone}}, nil, wantError{}},
		{"tool_choice auto without tools", domain.Tools{Choice: domain.ToolChoice{Mode: domain.ToolAuto}}, nil, wantError{}},
		{"tool_choice required without tools", domain.Tools{Choice: domain.ToolChoice{Mode: domain.ToolRequired}}, nil, invalid("tool_choice", "'tool_choice' needs 'tools'")},
		{"tool_choice function without tools", domain.Tools{Choice: domain.ToolChoice{Mode: domain.ToolFunction, Name: "get_weather"}}, nil, invalid("tool_choice", "'tool_choice' needs 'tools'")},
		{"tool_choice required", domain.Tools{Defs: []domain.Tool{weather}, Choice: domain.ToolChoice{Mode: domain.ToolRequired}}, nil, wantError{}},
		{"tool_choice function in tools", domain.Tools{Defs: []domain.Tool{fn("a", ""), weather}, Choice: domain.ToolChoice{Mode: domain.ToolFunction, Name: "get_weather"}}, nil, wantError{}},
		{"tool_choice function not in tools", domain.Tools{Defs: []domain.Tool{weather}, Choice: domain.ToolChoice{Mode: domain.ToolFunction, Name: "get_time"}}, nil, invalid("tool_choice", "'tool_choice' names a function that is not in 'tools'")},
		{"format text", domain.Tools{}, &domain.Format{Type: domain.FormatText}, wantError{}},
		{"format json_object", domain.Tools{}, &domain.Format{Type: domain.FormatJSONObject}, wantError{}},
		{"format json_schema", domain.Tools{}, schema("answer", `{"type":"object"}`), wantError{}},
		{"format json_schema without name", domain.Tools{}, schema("", `{"type":"object"}`), invalid("response_format.json_schema.name", "'response_format.json_schema.name' must be 1 to 64 letters, digits, '_' or '-'")},
		{"format json_schema bad name", domain.Tools{}, schema("my answer", `{"type":"object"}`), invalid("response_format.json_schema.name", "'response_format.json_schema.name' must be 1 to 64 letters, digits, '_' or '-'")},
		{"format json_schema schema an array", domain.Tools{}, schema("answer", `[]`), invalid("response_format.json_schema.schema", "'response_format.json_schema.schema' must be a JSON Schema object")},
		{"format json_schema schema a string", domain.Tools{}, schema("answer", `"x"`), invalid("response_format.json_schema.schema", "'response_format.json_schema.schema' must be a JSON Schema object")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, domain.ValidateTools(tt.tools, tt.f), tt.want)
		})
	}
}
