package ports

import (
	"context"

	"github.com/aoai-api/aoai-api/internal/domain"
)

//go:generate go run github.com/golang/mock/mockgen@v1.6.0 -source=completer.go -destination=mocks/completer.go -package=mocks

// Completer is the driving port: the completion use case that HTTP calls.
// It returns *domain.Error of KindInvalid for bad input, and passes on the
// ChatModel's KindUpstream or KindMisconfigured errors.
type Completer interface {
	Complete(ctx context.Context, prompt string) (domain.Completion, error)
}
