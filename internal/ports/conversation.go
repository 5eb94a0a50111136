package ports

import "github.com/aoai-api/aoai-api/internal/domain"

// Conversation is what crosses both ports: the turns to answer and the
// sampling parameters. It is a struct so that fields can grow.
type Conversation struct {
	// Model names the model to ask, as a /v1 client does; "" asks the
	// service's default. A name it does not serve is KindUnknownModel.
	Model    string
	Messages []domain.Message
	domain.Sampling
}
