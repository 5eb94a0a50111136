// Package completion is the use case behind the driving port: validate,
// frame the conversation with the operator's system prompt, call the
// model, count usage through the domain. It knows only domain and ports.
package completion

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Service fulfils ports.Completer over one driven ChatModel.
type Service struct {
	model        ports.ChatModel
	systemPrompt string
	limits       domain.ChatLimits
	logText      bool
}

var _ ports.Completer = (*Service)(nil)

// Options are the operator's choices for the use case.
type Options struct {
	SystemPrompt string            // always sent first; never counted as the client's text
	Limits       domain.ChatLimits // bounds on a client conversation
	// LogText logs prompt and response text at DEBUG (LOG_PROMPTS). Off
	// by default: users' text is private.
	LogText bool
}

// New wires the use case to a driven ChatModel.
func New(model ports.ChatModel, o Options) *Service {
	return &Service{model: model, systemPrompt: o.SystemPrompt, limits: o.Limits, logText: o.LogText}
}

// Complete answers one prompt. See ports.Completer for the error kinds.
func (s *Service) Complete(ctx context.Context, prompt string) (domain.Completion, error) {
	conv, chars, err := s.promptConversation(prompt)
	if err != nil {
		return domain.Completion{}, err
	}
	return s.complete(ctx, conv, chars)
}

// CompleteStream is Complete, delivered piece by piece.
func (s *Service) CompleteStream(ctx context.Context, prompt string) (ports.CompletionStream, error) {
	conv, chars, err := s.promptConversation(prompt)
	if err != nil {
		return nil, err
	}
	return s.stream(ctx, conv, chars)
}

// Chat answers a client conversation.
func (s *Service) Chat(ctx context.Context, conv ports.Conversation) (domain.Completion, error) {
	framed, chars, err := s.chatConversation(conv)
	if err != nil {
		return domain.Completion{}, err
	}
	return s.complete(ctx, framed, chars)
}

// ChatStream is Chat, delivered piece by piece.
func (s *Service) ChatStream(ctx context.Context, conv ports.Conversation) (ports.CompletionStream, error) {
	framed, chars, err := s.chatConversation(conv)
	if err != nil {
		return nil, err
	}
	return s.stream(ctx, framed, chars)
}

func (s *Service) promptConversation(prompt string) (ports.Conversation, int, error) {
	chars, err := domain.ValidatePrompt(prompt)
	if err != nil {
		return ports.Conversation{}, 0, err
	}
	return ports.Conversation{Messages: s.withSystem([]domain.Message{{Role: domain.RoleUser, Content: prompt}})}, chars, nil
}

func (s *Service) chatConversation(conv ports.Conversation) (ports.Conversation, int, error) {
	chars, err := domain.ValidateChat(conv.Messages, conv.Sampling, s.limits)
	if err == nil {
		err = domain.ValidateTools(conv.Tools, conv.Format)
	}
	if err != nil {
		return ports.Conversation{}, 0, err
	}
	conv.Messages = s.withSystem(conv.Messages)
	return conv, chars, nil
}

func (s *Service) complete(ctx context.Context, conv ports.Conversation, promptChars int) (domain.Completion, error) {
	s.logRequest(ctx, conv)
	answer, err := s.model.Chat(ctx, conv)
	if err != nil {
		return domain.Completion{}, fmt.Errorf("chat model: %w", err) // the Kind survives %w
	}
	if s.logText {
		zerolog.Ctx(ctx).Debug().Str("response", answer.Text()).Msg("completion response")
	}
	return domain.Complete(promptChars, answer), nil
}

// logRequest logs the conversation only when LOG_PROMPTS opted in. A
// stream's answer is never held whole, so only its request is logged.
func (s *Service) logRequest(ctx context.Context, conv ports.Conversation) {
	if !s.logText {
		return
	}
	arr := zerolog.Arr()
	for _, m := range conv.Messages {
		var parts, calls []string
		for _, p := range m.Parts {
			if p.Type == domain.PartText {
				parts = append(parts, p.Text) // images stay out of logs: they are bulk, not text
			}
		}
		for _, c := range m.ToolCalls {
			calls = append(calls, c.Name+" "+c.Arguments)
		}
		arr.Dict(zerolog.Dict().Str("role", string(m.Role)).Str("content", m.Content).Strs("parts", parts).Strs("tool_calls", calls))
	}
	zerolog.Ctx(ctx).Debug().Array("messages", arr).Msg("completion prompt") // the logger carries the correlation id
}

func (s *Service) stream(ctx context.Context, conv ports.Conversation, promptChars int) (ports.CompletionStream, error) {
	s.logRequest(ctx, conv)
	st, err := s.model.Stream(ctx, conv)
	if err != nil {
		return nil, fmt.Errorf("chat model: %w", err)
	}
	tally := domain.NewStreamTally(promptChars)
	return &completionStream{ChatStream: ports.Watch(st, ports.StreamHooks{Piece: tally.Add}), tally: tally}, nil
}

// withSystem puts the configured system prompt first, always.
func (s *Service) withSystem(msgs []domain.Message) []domain.Message {
	if s.systemPrompt == "" {
		return msgs
	}
	out := make([]domain.Message, 0, len(msgs)+1)
	out = append(out, domain.Message{Role: domain.RoleSystem, Content: s.systemPrompt})
	return append(out, msgs...)
}

// completionStream counts the answer as it passes, through the domain.
type completionStream struct {
	ports.ChatStream
	tally *domain.StreamTally
}

func (c *completionStream) Completion() domain.Completion {
	return c.tally.Completion(c.ChatStream.Result())
}
