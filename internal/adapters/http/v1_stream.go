package http

import (
	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// v1Stream is OpenAI's chunk format, ending with data: [DONE].
type v1Stream struct {
	id           string
	created      int64
	model        string
	includeUsage bool
}

type v1Chunk struct {
	ID      string          `json:"id"`
	Object  string          `json:"object"`
	Created int64           `json:"created"`
	Model   string          `json:"model"`
	Choices []v1ChunkChoice `json:"choices"`
	Usage   *v1Usage        `json:"usage,omitempty"`
}

type v1ChunkChoice struct {
	Index        int       `json:"index"`
	Delta        v1Delta   `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *struct{} `json:"logprobs"`
}

type v1Delta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

func (s *v1Stream) chunk(choices []v1ChunkChoice, usage *v1Usage) v1Chunk {
	return v1Chunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model, Choices: choices, Usage: usage}
}

func (s *v1Stream) start(w *sseWriter) error {
	empty := ""
	return w.event("", s.chunk([]v1ChunkChoice{{Delta: v1Delta{Role: "assistant", Content: &empty}}}, nil))
}

func (s *v1Stream) delta(w *sseWriter, text string) error {
	return w.event("", s.chunk([]v1ChunkChoice{{Delta: v1Delta{Content: &text}}}, nil))
}

func (s *v1Stream) done(w *sseWriter, out domain.Completion) error {
	finish := out.FinishReason
	if err := w.event("", s.chunk([]v1ChunkChoice{{FinishReason: &finish}}, nil)); err != nil {
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
