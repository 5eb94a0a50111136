package http

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// v1Stream is OpenAI's chunk format, ending with data: [DONE].
type v1Stream struct {
	id           string
	created      int64
	model        string
	includeUsage bool
	n            int // choices asked for
}

type v1Chunk struct {
	ID      string          `json:"id"`
	Object  string          `json:"object"`
	Created int64           `json:"created"`
	Model   string          `json:"model"`
	Choices []v1ChunkChoice `json:"choices"`
	// Usage is null on every chunk before the usage chunk when the
	// client asked for usage, as OpenAI sends it; absent otherwise.
	Usage any `json:"usage,omitempty"`
}

type v1ChunkChoice struct {
	Index        int         `json:"index"`
	Delta        v1Delta     `json:"delta"`
	FinishReason *string     `json:"finish_reason"`
	Logprobs     domain.JSON `json:"logprobs"`
}

type v1Delta struct {
	Role      string            `json:"role,omitempty"`
	Content   *string           `json:"content,omitempty"`
	Refusal   *string           `json:"refusal,omitempty"`
	ToolCalls []v1ToolCallDelta `json:"tool_calls,omitempty"`
}

type v1ToolCallDelta struct {
	Index    int             `json:"index"`
	ID       string          `json:"id,omitempty"`
	Type     string          `json:"type,omitempty"`
	Function v1FunctionDelta `json:"function"`
}

type v1FunctionDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

var nullUsage = json.RawMessage("null")

func (s *v1Stream) chunk(choices []v1ChunkChoice, usage *v1Usage) v1Chunk {
	ch := v1Chunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model, Choices: choices}
	switch {
	case usage != nil:
		ch.Usage = usage
	case s.includeUsage:
		ch.Usage = nullUsage
	}
	return ch
}

func (s *v1Stream) start(w *sseWriter) error {
	empty := ""
	choices := make([]v1ChunkChoice, s.n)
	for i := range choices {
		choices[i] = v1ChunkChoice{Index: i, Delta: v1Delta{Role: "assistant", Content: &empty}}
	}
	return w.event("", s.chunk(choices, nil))
}

func (s *v1Stream) delta(w *sseWriter, d domain.Delta) error {
	out := v1Delta{}
	if d.Text != "" {
		out.Content = &d.Text
	}
	if d.Refusal != "" {
		out.Refusal = &d.Refusal
	}
	for _, t := range d.ToolCalls {
		td := v1ToolCallDelta{Index: t.Index, ID: t.ID, Function: v1FunctionDelta{Name: t.Name, Arguments: t.Arguments}}
		if t.ID != "" {
			td.Type = "function"
		}
		out.ToolCalls = append(out.ToolCalls, td)
	}
	return w.event("", s.chunk([]v1ChunkChoice{{Index: d.Choice, Delta: out, Logprobs: d.Logprobs}}, nil))
}

func (s *v1Stream) done(w *sseWriter, out domain.Completion) error {
	choices := make([]v1ChunkChoice, 0, len(out.Choices))
	for i, c := range out.Choices {
		if c.FinishReason == "" {
			continue // the upstream never finished it: say nothing rather than ""
		}
		finish := c.FinishReason
		choices = append(choices, v1ChunkChoice{Index: i, FinishReason: &finish})
	}
	if err := w.event("", s.chunk(choices, nil)); err != nil {
		return err
	}
	if u := v1UsageOf(out.Tokens); s.includeUsage && u != nil {
		if err := w.event("", s.chunk([]v1ChunkChoice{}, u)); err != nil {
			return err
		}
	}
	return w.raw("", []byte("[DONE]"))
}

// fail sends OpenAI's error object as data, which the SDKs raise as an
// APIError; no [DONE] follows, so no client mistakes it for an answer.
func (s *v1Stream) fail(w *sseWriter, c *gin.Context, err error) error {
	return w.event("", openAIErrorOf(describeError(c, err)))
}
