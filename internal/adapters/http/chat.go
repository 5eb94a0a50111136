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

func (r chatRequest) input() ports.ChatInput {
	msgs := make([]domain.Message, len(r.Messages))
	for i, m := range r.Messages {
		msgs[i] = domain.Message{Role: domain.Role(m.Role), Content: m.Content}
	}
	return ports.ChatInput{Messages: msgs, Sampling: domain.Sampling{Temperature: r.Temperature, MaxTokens: r.MaxTokens}}
}

func handleChat(svc ports.Completer, maxBody int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req chatRequest
		if err := decodeJSON(c, maxBody, &req); err != nil {
			writeError(c, err)
			return
		}
		out, err := svc.Chat(c.Request.Context(), req.input())
		writeCompletion(c, out, err)
	}
}

func handleChatStream(svc ports.Completer, opts Options) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req chatRequest
		if err := decodeJSON(c, opts.MaxBodyBytes, &req); err != nil {
			writeError(c, err)
			return
		}
		st, err := svc.ChatStream(c.Request.Context(), req.input())
		serveStream(c, st, err, opts)
	}
}
