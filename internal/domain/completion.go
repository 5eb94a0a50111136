package domain

import "unicode/utf8"

// TokenUsage holds the model's own token counts. A nil field means the
// model did not report it; we never invent one.
type TokenUsage struct {
	Prompt     *int
	Completion *int
	Total      *int
	Cached     *int // of Prompt, served from the provider's prompt cache
	Reasoning  *int // of Completion, spent reasoning before answering
}

// Answer is what a model said, as it reported it: one choice unless the
// client asked for more. From a stream, the choices hold only their
// finish reasons: the text went out piece by piece and is never held.
type Answer struct {
	Choices           []Choice
	Model             string // as the model reports it, not as configured
	Tokens            TokenUsage
	UpstreamRequestID string // the provider's id, for support tickets
}

// Choice is one of a model's answers.
type Choice struct {
	Text         string
	Refusal      string
	ToolCalls    []ToolCall
	FinishReason string
	Logprobs     JSON // as the model sent it
}

// Text is the first choice's text, which is all that /api shows.
func (a Answer) Text() string {
	if len(a.Choices) == 0 {
		return ""
	}
	return a.Choices[0].Text
}

// FinishReason is the first choice's.
func (a Answer) FinishReason() string {
	if len(a.Choices) == 0 {
		return ""
	}
	return a.Choices[0].FinishReason
}

// Chars is what a choice counts towards response_chars.
func (c Choice) Chars() int {
	n := CountChars(c.Text) + CountChars(c.Refusal)
	for _, t := range c.ToolCalls {
		n += CountChars(t.Arguments)
	}
	return n
}

// Delta is one piece of a streamed answer, for one choice.
type Delta struct {
	Choice    int
	Text      string
	Refusal   string
	ToolCalls []ToolCallDelta
	Logprobs  JSON
}

// ToolCallDelta is a piece of a tool call: its first carries the ID and
// name, later ones fragments of the arguments.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
}

// Chars is what a piece counts towards response_chars.
func (d Delta) Chars() int {
	n := CountChars(d.Text) + CountChars(d.Refusal)
	for _, t := range d.ToolCalls {
		n += CountChars(t.Arguments)
	}
	return n
}

// Usage is what one completion cost in characters, counted as the
// reference does. Token counts are the model's and stay in Answer.
type Usage struct {
	// PromptChars counts the client's own text only: the operator's
	// system prompt is added after validation and never counted.
	PromptChars int
	// ResponseChars counts every choice's text, refusal and tool-call
	// arguments.
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
	n := 0
	for _, c := range a.Choices {
		n += c.Chars()
	}
	return Completion{Answer: a, Usage: Usage{PromptChars: promptChars, ResponseChars: n}}
}

// StreamTally counts a streamed answer as its pieces pass, so usage is
// exact without holding the text.
type StreamTally struct{ usage Usage }

// NewStreamTally starts counting an answer to promptChars of client text.
func NewStreamTally(promptChars int) *StreamTally {
	return &StreamTally{usage: Usage{PromptChars: promptChars}}
}

// Add counts one piece of the answer.
func (t *StreamTally) Add(d Delta) { t.usage.ResponseChars += d.Chars() }

// Completion joins the count with the stream's final answer.
func (t *StreamTally) Completion(a Answer) Completion { return Completion{Answer: a, Usage: t.usage} }
