package ports

import (
	"context"

	"github.com/aoai-api/aoai-api/internal/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=chat_model.go -destination=mocks/chat_model.go -package=mocks

// ChatModel is the driven port fulfilled by an LLM adapter. Both methods
// return *domain.Error of KindUpstream, KindThrottled, KindTimeout,
// KindContentFiltered, KindCanceled or KindMisconfigured; a model behind
// an admission gate also KindUnavailable.
type ChatModel interface {
	Chat(ctx context.Context, conv Conversation) (domain.Answer, error)
	// Stream returns once the upstream has accepted the call (its 2xx),
	// so a failure before that is an ordinary error, not a broken stream;
	// later failures, before the first piece too, come from Recv.
	Stream(ctx context.Context, conv Conversation) (ChatStream, error)
}

// ChatStream yields an answer as the model produces it. It is used by
// one goroutine, except Close, which may be called from any.
type ChatStream interface {
	// Recv returns the next piece of the answer; io.EOF after the last. A
	// stream that ends early returns a *domain.Error instead. Recv returns
	// promptly once the context given to Stream is done, so a departing
	// client never leaves it blocked.
	Recv() (domain.Delta, error)
	// Result holds finish reasons, model and tokens once Recv returned
	// io.EOF; its choices hold no text.
	Result() domain.Answer
	// Close stops the model's work; safe to call more than once.
	Close() error
}
