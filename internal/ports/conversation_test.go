package ports_test

import (
	"slices"
	"testing"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

func ptr[T any](v T) *T { return &v }

// Params is what a backend that takes only some parameters is asked
// about, so it must name a parameter exactly when the client set one
// that changes the answer, and never one left at its default.
func TestParamsNamesExactlyTheSetParameters(t *testing.T) {
	tests := []struct {
		name string
		conv ports.Conversation
		want []string
	}{
		{"nothing set", ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}}, nil},
		{"defaults spelled out", ports.Conversation{
			Sampling: domain.Sampling{N: ptr(1), Logprobs: ptr(false), Stop: []string{}, LogitBias: map[string]int{}},
			Format:   &domain.Format{Type: domain.FormatText},
		}, nil},
		{"zero values that are still set", ports.Conversation{
			Sampling: domain.Sampling{Temperature: ptr(0.0), Seed: ptr(int64(0)), TopLogprobs: ptr(0)},
			Tools:    domain.Tools{Parallel: ptr(false)},
		}, []string{"temperature", "seed", "top_logprobs", "parallel_tool_calls"}},
		{"n above 1", ports.Conversation{Sampling: domain.Sampling{N: ptr(2)}}, []string{"n"}},
		{"an image part", ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Parts: []domain.Part{
			{Type: domain.PartText, Text: "what is this"}, {Type: domain.PartImageURL, ImageURL: "https://x/y.png"}}}}}, []string{"image_url"}},
		{"logprobs true", ports.Conversation{Sampling: domain.Sampling{Logprobs: ptr(true)}}, []string{"logprobs"}},
		{"json_object", ports.Conversation{Format: &domain.Format{Type: domain.FormatJSONObject}}, []string{"response_format"}},
		{"tool_choice none alone", ports.Conversation{Tools: domain.Tools{Choice: domain.ToolChoice{Mode: domain.ToolNone}}}, []string{"tool_choice"}},
		{"everything", ports.Conversation{
			Sampling: domain.Sampling{
				Temperature: ptr(0.5), TopP: ptr(0.9), MaxTokens: ptr(10), MaxCompletionTokens: ptr(20), N: ptr(3),
				Stop: []string{"x"}, Seed: ptr(int64(7)), PresencePenalty: ptr(0.1), FrequencyPenalty: ptr(0.2),
				LogitBias: map[string]int{"1": 2}, Logprobs: ptr(true), TopLogprobs: ptr(2), User: "u",
				ReasoningEffort: "low", Prediction: domain.JSON(`{"type":"content","content":"x"}`),
			},
			Tools:  domain.Tools{Defs: []domain.Tool{{Name: "f"}}, Choice: domain.ToolChoice{Mode: domain.ToolAuto}, Parallel: ptr(true)},
			Format: &domain.Format{Type: domain.FormatJSONSchema, Name: "a", Schema: domain.JSON(`{}`)},
		}, []string{
			"temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop", "seed",
			"presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user",
			"reasoning_effort", "prediction", "tools", "tool_choice", "parallel_tool_calls", "response_format",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.conv.Params(); !slices.Equal(got, tt.want) {
				t.Errorf("Params() = %q\nwant       %q", got, tt.want)
			}
		})
	}
}
