package ports

import (
	"context"

	"github.com/aoai-api/aoai-api/internal/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=chat_model.go -destination=mocks/chat_model.go -package=mocks

// ChatRequest is what the core asks of a model. It is a struct so that
// sampling parameters can be added without changing the interface.
type ChatRequest struct {
	Messages    []domain.Message
	Temperature *float64 // nil: the model's default
	MaxTokens   *int     // nil: the model's default
}

// ChatResult is a model's whole answer.
type ChatResult struct {
	Text         string
	FinishReason string
	Model        string // as the model reports it, not as configured
	Tokens       domain.TokenUsage

	UpstreamRequestID string // the provider's id for this call, if it sent one
}

// ChatModel is the driven port fulfilled by an LLM adapter. It returns
// *domain.Error of KindUpstream, KindThrottled, KindTimeout,
// KindContentFiltered, KindCanceled or KindMisconfigured. A streaming
// call arrives later as a second method beside Chat.
type ChatModel interface {
	Chat(ctx context.Context, req ChatRequest) (ChatResult, error)
}
