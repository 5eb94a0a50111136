package http

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

type usageBody struct {
	PromptChars      int  `json:"prompt_chars"`
	ResponseChars    int  `json:"response_chars"`
	PromptTokens     *int `json:"prompt_tokens"` // null when the model reports none
	CompletionTokens *int `json:"completion_tokens"`
	TotalTokens      *int `json:"total_tokens"`
}

type completionBody struct {
	Response     string    `json:"response"`
	Usage        usageBody `json:"usage"`
	FinishReason string    `json:"finish_reason"`
	Model        string    `json:"model"`
}

type promptRequest struct {
	Prompt string `json:"prompt"`
}

func handleCompletions(svc ports.Completer, maxBody int64) gin.HandlerFunc {
	return withBody(maxBody, func(c *gin.Context, req promptRequest) {
		out, err := svc.Complete(c.Request.Context(), req.Prompt) // the request ctx, never *gin.Context
		writeCompletion(c, out, err)
	})
}

func handleCompletionsStream(svc ports.Completer, opts Options) gin.HandlerFunc {
	return withBody(opts.MaxBodyBytes, func(c *gin.Context, req promptRequest) {
		st, err := svc.CompleteStream(c.Request.Context(), req.Prompt)
		serveStream(c, st, err, opts, apiStream{})
	})
}

func writeCompletion(c *gin.Context, out domain.Completion, err error) {
	if err != nil {
		writeError(c, err)
		return
	}
	setUpstreamRequestID(c, out.UpstreamRequestID)
	c.JSON(http.StatusOK, toCompletionBody(out))
}

// setUpstreamRequestID passes the provider's id on, when it sent one.
func setUpstreamRequestID(c *gin.Context, id string) {
	if id != "" {
		c.Header(headerUpstreamRequestID, id)
	}
}

func toCompletionBody(out domain.Completion) completionBody {
	return completionBody{Response: out.Text(), Usage: toUsageBody(out), FinishReason: out.FinishReason(), Model: out.Model}
}

func toUsageBody(out domain.Completion) usageBody {
	return usageBody{
		PromptChars:      out.Usage.PromptChars,
		ResponseChars:    out.Usage.ResponseChars,
		PromptTokens:     out.Tokens.Prompt,
		CompletionTokens: out.Tokens.Completion,
		TotalTokens:      out.Tokens.Total,
	}
}
