package limits_test

import (
	"context"
	"io"
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/limits"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
)

// model answers "hello" (5 characters), with tokens or none.
type model struct{ tokens domain.TokenUsage }

func (m model) Chat(context.Context, ports.Conversation) (domain.Answer, error) {
	return domain.Answer{Choices: []domain.Choice{{Text: "hello"}}, Tokens: m.tokens}, nil
}

func (m model) Stream(context.Context, ports.Conversation) (ports.ChatStream, error) {
	return &chatmodeltest.Script{Texts: []string{"hel", "lo"}, End: io.EOF, Answer: domain.Answer{Tokens: m.tokens}}, nil
}

// recorder is a ports.Limits that keeps what it was charged.
type recorder struct {
	ports.Limits
	got chan ports.Spent
}

func (r recorder) Charge(_ context.Context, _ ports.Caller, s ports.Spent) { r.got <- s }

func TestChargingUsesUpstreamUsageElseAnEstimate(t *testing.T) {
	n := func(v int) *int { return &v }
	conv := ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "123456789"}}} // 9 characters
	ctx := ports.WithCaller(context.Background(), alice)
	for _, tt := range []struct {
		name   string
		tokens domain.TokenUsage
		want   ports.Spent
	}{
		{"reported", domain.TokenUsage{Prompt: n(17), Completion: n(4), Total: n(21)}, ports.Spent{Prompt: 17, Completion: 4}},
		{"none: ceil(chars/4)", domain.TokenUsage{}, ports.Spent{Prompt: 3, Completion: 2, Estimated: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := recorder{got: make(chan ports.Spent, 2)}
			m := limits.Charging(model{tt.tokens}, r)
			if _, err := m.Chat(ctx, conv); err != nil {
				t.Fatal(err)
			}
			st, err := m.Stream(ctx, conv)
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := st.Recv(); err != nil {
					break
				}
			}
			for _, how := range []string{"chat", "stream"} {
				if got := <-r.got; got != tt.want {
					t.Errorf("%s charged %+v, want %+v", how, got, tt.want)
				}
			}
		})
	}
}
