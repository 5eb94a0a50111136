package ports

import (
	"context"

	"github.com/aoai-api/aoai-api/internal/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=chat_model.go -destination=mocks/chat_model.go -package=mocks

// ChatRequest is what the core asks of a model. It is a struct so that
// sampling parameters can be added without changing the interface.
type ChatRequest struct {
	Messages []domain.Message
	domain.Sampling
}

// ChatResult is a model's whole answer. From a stream, Text is empty:
// the text went out piece by piece and is never held whole.
type ChatResult struct {
	Text         string
	FinishReason string
	Model        string // as the model reports it, not as configured
	Tokens       domain.TokenUsage

	UpstreamRequestID string // the provider's id for this call, if it sent one
}

// ChatModel is the driven port fulfilled by an LLM adapter. Both methods
// return *domain.Error of KindUpstream, KindThrottled, KindTimeout,
// KindContentFiltered, KindCanceled or KindMisconfigured; a model behind
// an admission gate also KindUnavailable.
type ChatModel interface {
	Chat(ctx context.Context, req ChatRequest) (ChatResult, error)
	// Stream returns once the upstream has accepted the call (its 2xx),
	// so a failure before that is an ordinary error, not a broken stream;
	// later failures, before the first piece too, come from Recv.
	Stream(ctx context.Context, req ChatRequest) (ChatStream, error)
}

// ChatStream yields an answer as the model produces it. It is used by
// one goroutine, except Close, which may be called from any.
type ChatStream interface {
	// Recv returns the next piece of text; io.EOF after the last one. A
	// stream that ends early returns a *domain.Error instead. Recv returns
	// promptly once the context given to Stream is done, so a departing
	// client never leaves it blocked.
	Recv() (string, error)
	// Result holds finish reason, model and usage once Recv returned io.EOF.
	Result() ChatResult
	// Close stops the model's work; safe to call more than once.
	Close() error
}
