// Package fake is an offline ChatModel for demos and frontend work. It
// never calls a network and says so in every answer.
package fake

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// timedOut is the offline model's word for a spent deadline.
const timedOut = "the offline model did not answer in time"

// ModelName is reported instead of a real model, so no one mistakes a
// fake answer for Azure's.
const ModelName = "offline-fake"

// Model answers deterministically from the last user message. Delay is
// the pause before each streamed word, so frontends see a real stream.
type Model struct {
	Delay time.Duration
}

var (
	_ ports.ChatModel  = Model{}
	_ ports.ParamTaker = Model{}
)

// takes are the parameters the offline model honours, trivially: it
// answers within any token bound, at any temperature. Anything else,
// tools or formats above all, it would drop, so it refuses them.
var takes = map[string]bool{"temperature": true, "max_tokens": true, "max_completion_tokens": true}

// Takes is true for the parameters the offline model honours.
func (Model) Takes(param string) bool { return takes[param] }

// Chat never fails on its own: the offline model has no upstream to lose.
func (Model) Chat(ctx context.Context, req ports.Conversation) (domain.Answer, error) {
	if err := domain.Ended(ctx, timedOut, nil); err != nil {
		return domain.Answer{}, err
	}
	return domain.Answer{Choices: []domain.Choice{{Text: answer(req.Messages), FinishReason: "stop"}}, Model: ModelName}, nil
}

// Stream sends the same answer as Chat, a word at a time.
func (m Model) Stream(ctx context.Context, req ports.Conversation) (ports.ChatStream, error) {
	if err := domain.Ended(ctx, timedOut, nil); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	return &stream{ctx: ctx, cancel: cancel, rest: answer(req.Messages), delay: m.Delay}, nil
}

func answer(msgs []domain.Message) string {
	return "[offline] This reply comes from the fake model; no Azure OpenAI call was made. You said: " + lastUser(msgs)
}

func lastUser(msgs []domain.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == domain.RoleUser {
			return msgs[i].Content
		}
	}
	return ""
}

type stream struct {
	ctx    context.Context
	cancel context.CancelFunc
	rest   string
	delay  time.Duration
}

// Recv returns the next word with the space before it, so the pieces
// join to exactly the Chat text.
func (s *stream) Recv() (domain.Delta, error) {
	if err := domain.Ended(s.ctx, timedOut, nil); err != nil {
		return domain.Delta{}, err
	}
	if s.rest == "" {
		return domain.Delta{}, io.EOF
	}
	if err := s.wait(); err != nil {
		return domain.Delta{}, err
	}
	n := strings.IndexByte(s.rest[1:], ' ') + 1
	if n == 0 {
		n = len(s.rest)
	}
	word := s.rest[:n]
	s.rest = s.rest[n:]
	return domain.Delta{Text: word}, nil
}

func (s *stream) wait() error {
	if s.delay <= 0 {
		return nil
	}
	t := time.NewTimer(s.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.ctx.Done():
		return domain.Ended(s.ctx, timedOut, nil)
	}
}

func (s *stream) Result() domain.Answer {
	return domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}, Model: ModelName}
}

func (s *stream) Close() error {
	s.cancel()
	return nil
}
