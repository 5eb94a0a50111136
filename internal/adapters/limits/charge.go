package limits

import (
	"context"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Charging decorates the model port: each answer, streamed or not, is
// charged to the caller in ctx (ports.WithCaller) when it ends.
func Charging(m ports.ChatModel, l ports.Limits) ports.ChatModel { return &charging{m, l} }

type charging struct {
	ports.ChatModel
	limits ports.Limits
}

func (c *charging) Chat(ctx context.Context, conv ports.Conversation) (domain.Answer, error) {
	a, err := c.ChatModel.Chat(ctx, conv)
	if err == nil {
		c.charge(ctx, conv, a, domain.Complete(0, a).Usage.ResponseChars)
	}
	return a, err
}

func (c *charging) Stream(ctx context.Context, conv ports.Conversation) (ports.ChatStream, error) {
	st, err := c.ChatModel.Stream(ctx, conv)
	if err != nil {
		return nil, err
	}
	chars := 0 // Piece and End run on the one goroutine that calls Recv, or End on Close's
	return ports.Watch(st, ports.StreamHooks{
		Piece: func(d domain.Delta) { chars += d.Chars() },
		End: func(a domain.Answer, _ error) {
			// An early end still cost what the model said: charge that.
			c.charge(ctx, conv, a, chars)
		},
	}), nil
}

func (c *charging) charge(ctx context.Context, conv ports.Conversation, a domain.Answer, answerChars int) {
	caller, ok := ports.CallerFrom(ctx)
	if !ok {
		return
	}
	c.limits.Charge(ctx, caller, spentOf(conv, a, answerChars))
}

// spentOf is the upstream's own usage, or, when it reported none, an
// estimate of a token per 4 characters, rounded up, marked as such.
func spentOf(conv ports.Conversation, a domain.Answer, answerChars int) ports.Spent {
	if t := a.Tokens; t.Total != nil || t.Prompt != nil {
		s := ports.Spent{}
		if t.Prompt != nil {
			s.Prompt = int64(*t.Prompt)
		}
		if t.Completion != nil {
			s.Completion = int64(*t.Completion)
		} else if t.Total != nil {
			s.Completion = int64(*t.Total) - s.Prompt
		}
		return s
	}
	prompt := 0
	for _, m := range conv.Messages {
		prompt += m.ClientChars() // the system prompt included: it costs tokens too
	}
	return ports.Spent{Prompt: int64((prompt + 3) / 4), Completion: int64((answerChars + 3) / 4), Estimated: true}
}
