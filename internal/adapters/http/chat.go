package http

import (
	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

type chatRequest struct {
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Temperature *float64 `json:"temperature"`
	MaxTokens   *int     `json:"max_tokens"`
}

func (r chatRequest) input() ports.Conversation {
	msgs := make([]domain.Message, len(r.Messages))
	for i, m := range r.Messages {
		msgs[i] = domain.Message{Role: domain.Role(m.Role), Content: m.Content}
	}
	return ports.Conversation{Messages: msgs, Sampling: domain.Sampling{Temperature: r.Temperature, MaxTokens: r.MaxTokens}}
}

func handleChat(svc ports.Completer, maxBody int64) gin.HandlerFunc {
	return withBody(maxBody, func(c *gin.Context, req chatRequest) {
		out, err := svc.Chat(c.Request.Context(), req.input())
		writeCompletion(c, out, err)
	})
}

func handleChatStream(svc ports.Completer, opts Options) gin.HandlerFunc {
	return withBody(opts.MaxBodyBytes, func(c *gin.Context, req chatRequest) {
		st, err := svc.ChatStream(c.Request.Context(), req.input())
		serveStream(c, st, err, opts, apiStream{})
	})
}
