package domain

import "unicode/utf8"

// TokenUsage holds the model's own token counts. A nil field means the
// model did not report it; we never invent one.
type TokenUsage struct {
	Prompt     *int
	Completion *int
	Total      *int
}

// Usage is what one completion cost, in characters and tokens.
type Usage struct {
	PromptChars   int
	ResponseChars int
	Tokens        TokenUsage
}

// Completion is a model's answer together with its usage.
type Completion struct {
	Text              string
	FinishReason      string
	Model             string
	Usage             Usage
	UpstreamRequestID string // the provider's id, for support tickets
}

// CountChars counts Unicode code points, as the reference's Python len does.
func CountChars(s string) int { return utf8.RuneCountInString(s) }

// NewCompletion counts the response's characters; promptChars is counted by
// the caller, which knows which input text the client supplied.
func NewCompletion(promptChars int, text, finishReason, model string, tokens TokenUsage) Completion {
	return Completion{
		Text:         text,
		FinishReason: finishReason,
		Model:        model,
		Usage: Usage{
			PromptChars:   promptChars,
			ResponseChars: CountChars(text),
			Tokens:        tokens,
		},
	}
}
