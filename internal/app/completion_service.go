package app

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// CompletionService is the use case behind the driving port: validate,
// frame the conversation with the system prompt, call the model, count
// usage.
type CompletionService struct {
	model        ports.ChatModel
	systemPrompt string
	limits       domain.ChatLimits
	logText      bool
}

var _ ports.Completer = (*CompletionService)(nil)

// NewCompletionService wires the use case to a driven ChatModel.
func NewCompletionService(model ports.ChatModel, systemPrompt string, limits domain.ChatLimits) *CompletionService {
	return &CompletionService{model: model, systemPrompt: systemPrompt, limits: limits}
}

// WithTextLogging opts in to logging prompt and response text at DEBUG
// (LOG_PROMPTS). It is off by default: users' text is private.
func (s *CompletionService) WithTextLogging(on bool) *CompletionService {
	s.logText = on
	return s
}

// Complete answers one prompt. See ports.Completer for the error kinds.
func (s *CompletionService) Complete(ctx context.Context, prompt string) (domain.Completion, error) {
	req, err := s.promptRequest(prompt)
	if err != nil {
		return domain.Completion{}, err
	}
	return s.complete(ctx, req, domain.CountChars(prompt))
}

// CompleteStream is Complete, delivered piece by piece.
func (s *CompletionService) CompleteStream(ctx context.Context, prompt string) (ports.CompletionStream, error) {
	req, err := s.promptRequest(prompt)
	if err != nil {
		return nil, err
	}
	return s.stream(ctx, req, domain.CountChars(prompt))
}

// Chat answers a conversation; prompt_chars counts the client's turns only.
func (s *CompletionService) Chat(ctx context.Context, in ports.ChatInput) (domain.Completion, error) {
	req, err := s.chatRequest(in)
	if err != nil {
		return domain.Completion{}, err
	}
	return s.complete(ctx, req, domain.ChatChars(in.Messages))
}

// ChatStream is Chat, delivered piece by piece.
func (s *CompletionService) ChatStream(ctx context.Context, in ports.ChatInput) (ports.CompletionStream, error) {
	req, err := s.chatRequest(in)
	if err != nil {
		return nil, err
	}
	return s.stream(ctx, req, domain.ChatChars(in.Messages))
}

func (s *CompletionService) promptRequest(prompt string) (ports.ChatRequest, error) {
	if err := domain.ValidatePrompt(prompt); err != nil {
		return ports.ChatRequest{}, err
	}
	return ports.ChatRequest{Messages: s.withSystem([]domain.Message{{Role: domain.RoleUser, Content: prompt}})}, nil
}

func (s *CompletionService) chatRequest(in ports.ChatInput) (ports.ChatRequest, error) {
	if err := domain.ValidateChat(in.Messages, in.Sampling, s.limits); err != nil {
		return ports.ChatRequest{}, err
	}
	return ports.ChatRequest{Messages: s.withSystem(in.Messages), Sampling: in.Sampling}, nil
}

func (s *CompletionService) complete(ctx context.Context, req ports.ChatRequest, promptChars int) (domain.Completion, error) {
	s.logRequest(ctx, req)
	res, err := s.model.Chat(ctx, req)
	if err != nil {
		return domain.Completion{}, fmt.Errorf("chat model: %w", err) // the Kind survives %w
	}
	if s.logText {
		zerolog.Ctx(ctx).Debug().Str("response", res.Text).Msg("completion response")
	}
	return completionOf(res, promptChars, domain.CountChars(res.Text)), nil
}

// logRequest logs the conversation only when LOG_PROMPTS opted in. A
// stream's answer is never held whole, so only its request is logged.
func (s *CompletionService) logRequest(ctx context.Context, req ports.ChatRequest) {
	if !s.logText {
		return
	}
	arr := zerolog.Arr()
	for _, m := range req.Messages {
		arr.Dict(zerolog.Dict().Str("role", string(m.Role)).Str("content", m.Content))
	}
	zerolog.Ctx(ctx).Debug().Array("messages", arr).Msg("completion prompt") // the logger carries the correlation id
}

func (s *CompletionService) stream(ctx context.Context, req ports.ChatRequest, promptChars int) (ports.CompletionStream, error) {
	s.logRequest(ctx, req)
	st, err := s.model.Stream(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("chat model: %w", err)
	}
	return &countingStream{ChatStream: st, promptChars: promptChars}, nil
}

// withSystem puts the configured system prompt first, always.
func (s *CompletionService) withSystem(msgs []domain.Message) []domain.Message {
	if s.systemPrompt == "" {
		return msgs
	}
	out := make([]domain.Message, 0, len(msgs)+1)
	out = append(out, domain.Message{Role: domain.RoleSystem, Content: s.systemPrompt})
	return append(out, msgs...)
}

func completionOf(res ports.ChatResult, promptChars, responseChars int) domain.Completion {
	out := domain.NewCompletion(promptChars, res.Text, res.FinishReason, res.Model, res.Tokens)
	out.Usage.ResponseChars = responseChars
	out.UpstreamRequestID = res.UpstreamRequestID
	return out
}

// countingStream counts response characters as they pass, so usage is
// exact without holding the answer.
type countingStream struct {
	ports.ChatStream
	promptChars   int
	responseChars int
}

func (c *countingStream) Recv() (string, error) {
	text, err := c.ChatStream.Recv()
	c.responseChars += domain.CountChars(text)
	return text, err
}

func (c *countingStream) Completion() domain.Completion {
	return completionOf(c.ChatStream.Result(), c.promptChars, c.responseChars)
}
