package app

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// CompletionService is the use case behind the driving port: validate,
// frame the prompt with the system prompt, call the model, count usage.
type CompletionService struct {
	model        ports.ChatModel
	systemPrompt string
	logText      bool
}

var _ ports.Completer = (*CompletionService)(nil)

// NewCompletionService wires the use case to a driven ChatModel.
func NewCompletionService(model ports.ChatModel, systemPrompt string) *CompletionService {
	return &CompletionService{model: model, systemPrompt: systemPrompt}
}

// WithTextLogging opts in to logging prompt and response text at DEBUG
// (LOG_PROMPTS). It is off by default: users' text is private.
func (s *CompletionService) WithTextLogging(on bool) *CompletionService {
	s.logText = on
	return s
}

// Complete answers one prompt. See ports.Completer for the error kinds.
func (s *CompletionService) Complete(ctx context.Context, prompt string) (domain.Completion, error) {
	if err := domain.ValidatePrompt(prompt); err != nil {
		return domain.Completion{}, err
	}
	log := zerolog.Ctx(ctx) // carries the request's correlation id
	if s.logText {
		log.Debug().Str("prompt", prompt).Msg("completion prompt")
	}
	res, err := s.model.Chat(ctx, ports.ChatRequest{Messages: s.messages(prompt)})
	if err != nil {
		return domain.Completion{}, fmt.Errorf("chat model: %w", err) // the Kind survives %w
	}
	if s.logText {
		log.Debug().Str("response", res.Text).Msg("completion response")
	}
	return domain.NewCompletion(domain.CountChars(prompt), res.Text, res.FinishReason, res.Model, res.Tokens), nil
}

// messages puts the configured system prompt first, as the reference does.
func (s *CompletionService) messages(prompt string) []domain.Message {
	msgs := make([]domain.Message, 0, 2)
	if s.systemPrompt != "" {
		msgs = append(msgs, domain.Message{Role: domain.RoleSystem, Content: s.systemPrompt})
	}
	return append(msgs, domain.Message{Role: domain.RoleUser, Content: prompt})
}
