package ports

import "github.com/aoai-api/aoai-api/internal/domain"

// Conversation is what crosses both ports: the turns to answer and the
// sampling parameters. It is a struct so that fields can grow.
type Conversation struct {
	Messages []domain.Message
	domain.Sampling
}
