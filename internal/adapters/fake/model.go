// Package fake is an offline ChatModel for demos and frontend work. It
// never calls a network and says so in every answer.
package fake

import (
	"context"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// ModelName is reported instead of a real model, so no one mistakes a
// fake answer for Azure's.
const ModelName = "offline-fake"

// Model answers deterministically from the last user message.
type Model struct{}

var _ ports.ChatModel = Model{}

// Chat never fails: the offline model has no upstream to lose.
func (Model) Chat(ctx context.Context, req ports.ChatRequest) (ports.ChatResult, error) {
	if err := ctx.Err(); err != nil {
		return ports.ChatResult{}, domain.Upstream("request cancelled", err)
	}
	return ports.ChatResult{
		Text:         "[offline] This reply comes from the fake model; no Azure OpenAI call was made. You said: " + lastUser(req.Messages),
		FinishReason: "stop",
		Model:        ModelName,
	}, nil
}

func lastUser(msgs []domain.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == domain.RoleUser {
			return msgs[i].Content
		}
	}
	return ""
}
