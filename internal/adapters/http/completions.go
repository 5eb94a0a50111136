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

func handleCompletions(svc ports.Completer, maxBody int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req struct {
			Prompt string `json:"prompt"`
		}
		if err := decodeJSON(c, maxBody, &req); err != nil {
			writeError(c, err)
			return
		}
		out, err := svc.Complete(c.Request.Context(), req.Prompt) // the request ctx, never *gin.Context
		if err != nil {
			writeError(c, err)
			return
		}
		if out.UpstreamRequestID != "" {
			c.Header(headerUpstreamRequestID, out.UpstreamRequestID)
		}
		c.JSON(http.StatusOK, toCompletionBody(out))
	}
}

func toCompletionBody(out domain.Completion) completionBody {
	u := out.Usage
	return completionBody{
		Response: out.Text,
		Usage: usageBody{
			PromptChars:      u.PromptChars,
			ResponseChars:    u.ResponseChars,
			PromptTokens:     u.Tokens.Prompt,
			CompletionTokens: u.Tokens.Completion,
			TotalTokens:      u.Tokens.Total,
		},
		FinishReason: out.FinishReason,
		Model:        out.Model,
	}
}
