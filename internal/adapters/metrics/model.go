package metrics

import (
	"context"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

const (
	tokenPrompt     = "prompt"
	tokenCompletion = "completion"
	stagePrompt     = "prompt"
	stageCompletion = "completion"

	finishContentFilter = "content_filter"
)

// CountModel wraps a ChatModel to count what only its answers know:
// tokens spent and content-filter blocks. Answers pass through untouched.
func (m *Metrics) CountModel(next ports.ChatModel) ports.ChatModel {
	return countingModel{next: next, m: m}
}

type countingModel struct {
	next ports.ChatModel
	m    *Metrics
}

func (c countingModel) Chat(ctx context.Context, req ports.Conversation) (domain.Answer, error) {
	res, err := c.next.Chat(ctx, req)
	if err != nil {
		c.m.countFailure(err)
		return res, err
	}
	c.m.countResult(res)
	return res, nil
}

func (c countingModel) Stream(ctx context.Context, req ports.Conversation) (ports.ChatStream, error) {
	st, err := c.next.Stream(ctx, req)
	if err != nil {
		c.m.countFailure(err)
		return nil, err
	}
	// Only the end knows the usage, and a stream cut short reports none.
	return ports.Watch(st, ports.StreamHooks{End: func(res domain.Answer, err error) {
		if err == nil {
			c.m.countResult(res)
		}
	}}), nil
}

func (m *Metrics) countResult(res domain.Answer) {
	if t := res.Tokens.Prompt; t != nil {
		m.tokens.WithLabelValues(tokenPrompt).Add(float64(*t))
	}
	if t := res.Tokens.Completion; t != nil {
		m.tokens.WithLabelValues(tokenCompletion).Add(float64(*t))
	}
	if res.FinishReason() == finishContentFilter {
		m.filtered.WithLabelValues(stageCompletion).Inc()
	}
}

func (m *Metrics) countFailure(err error) {
	if domain.KindOf(err) == domain.KindContentFiltered {
		m.filtered.WithLabelValues(stagePrompt).Inc()
	}
}
