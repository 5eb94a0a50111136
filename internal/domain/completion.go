package domain

import "unicode/utf8"

// TokenUsage holds the model's own token counts. A nil field means the
// model did not report it; we never invent one.
type TokenUsage struct {
	Prompt     *int
	Completion *int
	Total      *int
}

// Answer is what a model said, as it reported it. From a stream, Text is
// empty: the text went out piece by piece and is never held whole.
type Answer struct {
	Text              string
	FinishReason      string
	Model             string // as the model reports it, not as configured
	Tokens            TokenUsage
	UpstreamRequestID string // the provider's id, for support tickets
}

// Usage is what one completion cost in characters, counted as the
// reference does. Token counts are the model's and stay in Answer.
type Usage struct {
	// PromptChars counts the client's own text only: the operator's
	// system prompt is added after validation and never counted.
	PromptChars   int
	ResponseChars int
}

// Completion is an answer together with its usage.
type Completion struct {
	Answer
	Usage Usage
}

// CountChars counts Unicode code points, as the reference's Python len does.
func CountChars(s string) int { return utf8.RuneCountInString(s) }

// Complete counts a whole answer's characters, once.
func Complete(promptChars int, a Answer) Completion {
	return Completion{Answer: a, Usage: Usage{PromptChars: promptChars, ResponseChars: CountChars(a.Text)}}
}

// StreamTally counts a streamed answer as its pieces pass, so usage is
// exact without holding the text.
type StreamTally struct{ usage Usage }

// NewStreamTally starts counting an answer to promptChars of client text.
func NewStreamTally(promptChars int) *StreamTally {
	return &StreamTally{usage: Usage{PromptChars: promptChars}}
}

// Add counts one piece of the answer.
func (t *StreamTally) Add(piece string) { t.usage.ResponseChars += CountChars(piece) }

// Completion joins the count with the stream's final answer.
func (t *StreamTally) Completion(a Answer) Completion { return Completion{Answer: a, Usage: t.usage} }
