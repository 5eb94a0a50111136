package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

type v1Usage struct {
	PromptTokens            int                  `json:"prompt_tokens"`
	CompletionTokens        int                  `json:"completion_tokens"`
	TotalTokens             int                  `json:"total_tokens"`
	PromptTokensDetails     *v1PromptDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *v1CompletionDetails `json:"completion_tokens_details,omitempty"`
}

type v1PromptDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type v1CompletionDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// v1UsageOf is nil when the model reported no tokens: never invented,
// and details only when the model sent them.
func v1UsageOf(t domain.TokenUsage) *v1Usage {
	if t.Prompt == nil || t.Completion == nil || t.Total == nil {
		return nil
	}
	u := &v1Usage{PromptTokens: *t.Prompt, CompletionTokens: *t.Completion, TotalTokens: *t.Total}
	if t.Cached != nil {
		u.PromptTokensDetails = &v1PromptDetails{CachedTokens: *t.Cached}
	}
	if t.Reasoning != nil {
		u.CompletionTokensDetails = &v1CompletionDetails{ReasoningTokens: *t.Reasoning}
	}
	return u
}

// v1Answer is one choice's assistant message, in OpenAI's spelling:
// content and refusal are null when absent.
type v1Answer struct {
	Role      string           `json:"role"`
	Content   *string          `json:"content"`
	Refusal   *string          `json:"refusal"`
	ToolCalls []v1ToolCallBody `json:"tool_calls,omitempty"`
}

type v1ToolCallBody struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Function v1FunctionBody `json:"function"`
}

type v1FunctionBody struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type v1Completion struct {
	ID      string     `json:"id"`
	Object  string     `json:"object"`
	Created int64      `json:"created"`
	Model   string     `json:"model"`
	Choices []v1Choice `json:"choices"`
	Usage   *v1Usage   `json:"usage,omitempty"`
}

type v1Choice struct {
	Index        int         `json:"index"`
	Message      v1Answer    `json:"message"`
	FinishReason string      `json:"finish_reason"`
	Logprobs     domain.JSON `json:"logprobs"`
}

func v1ChoiceOf(i int, c domain.Choice) v1Choice {
	m := v1Answer{Role: "assistant"}
	if c.Text != "" || len(c.ToolCalls) == 0 && c.Refusal == "" {
		m.Content = &c.Text
	}
	if c.Refusal != "" {
		m.Refusal = &c.Refusal
	}
	for _, t := range c.ToolCalls {
		m.ToolCalls = append(m.ToolCalls, v1ToolCallBody{ID: t.ID, Type: "function", Function: v1FunctionBody{Name: t.Name, Arguments: t.Arguments}})
	}
	return v1Choice{Index: i, Message: m, FinishReason: c.FinishReason, Logprobs: c.Logprobs}
}

func handleV1Chat(svc ports.Completer, opts Options) gin.HandlerFunc {
	return withBody(opts.MaxBodyBytes, func(c *gin.Context, req v1ChatRequest) {
		in, err := req.input(opts.serves)
		if err != nil {
			writeError(c, err)
			return
		}
		id, created := "chatcmpl-"+uuid.NewString(), time.Now().Unix()
		if req.Stream {
			st, err := svc.ChatStream(c.Request.Context(), in)
			includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
			serveStream(c, st, err, opts, &v1Stream{id: id, created: created, model: req.Model, includeUsage: includeUsage, n: max(1, deref(in.N))})
			return
		}
		out, err := svc.Chat(c.Request.Context(), in)
		if err != nil {
			writeError(c, err)
			return
		}
		setUpstreamRequestID(c, out.UpstreamRequestID)
		body := v1Completion{ID: id, Object: "chat.completion", Created: created, Model: req.Model, Usage: v1UsageOf(out.Tokens)}
		for i, ch := range out.Choices {
			body.Choices = append(body.Choices, v1ChoiceOf(i, ch))
		}
		c.JSON(http.StatusOK, body)
	})
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
