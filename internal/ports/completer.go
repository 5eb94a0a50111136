package ports

import (
	"context"

	"github.com/aoai-api/aoai-api/internal/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=completer.go -destination=mocks/completer.go -package=mocks

// Completer is the driving port: the use cases that HTTP calls. Methods
// return *domain.Error of KindInvalid for bad input, and pass on the
// ChatModel's error kinds. A Chat conversation holds the client's turns
// only; the use case adds the operator's system prompt.
type Completer interface {
	Complete(ctx context.Context, prompt string) (domain.Completion, error)
	CompleteStream(ctx context.Context, prompt string) (CompletionStream, error)
	Chat(ctx context.Context, conv Conversation) (domain.Completion, error)
	ChatStream(ctx context.Context, conv Conversation) (CompletionStream, error)
}

// CompletionStream is a ChatStream seen from the driving side: after
// io.EOF, Completion carries usage counted over the streamed text. Like
// ChatStream.Recv, Recv returns promptly once the call's context is done.
type CompletionStream interface {
	Recv() (domain.Delta, error)
	Completion() domain.Completion
	Close() error
}
