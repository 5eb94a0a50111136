package fake_test

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/fake"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

func TestModelSaysItIsOfflineAndEchoesLastUserMessage(t *testing.T) {
	req := ports.Conversation{Messages: []domain.Message{
		{Role: domain.RoleSystem, Content: "sys"},
		{Role: domain.RoleUser, Content: "first"},
		{Role: domain.RoleAssistant, Content: "reply"},
		{Role: domain.RoleUser, Content: "second"},
	}}
	a, err := fake.Model{}.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fake.Model{}.Chat(context.Background(), req)
	if !reflect.DeepEqual(a, b) {
		t.Error("fake model must be deterministic")
	}
	if a.Model != "offline-fake" || a.FinishReason() != "stop" {
		t.Errorf("result = %+v", a)
	}
	if !strings.Contains(a.Text(), "offline") || !strings.HasSuffix(a.Text(), "You said: second") {
		t.Errorf("text = %q", a.Text())
	}
	if a.Tokens.Total != nil {
		t.Error("fake model must not invent token counts")
	}
}

func TestModelHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := fake.Model{}.Chat(ctx, ports.Conversation{})
	if domain.KindOf(err) != domain.KindCanceled {
		t.Errorf("kind = %q, want canceled", domain.KindOf(err))
	}
}

func TestStreamJoinsToTheChatText(t *testing.T) {
	req := ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "  spaced   words  "}}}
	whole, _ := fake.Model{}.Chat(context.Background(), req)
	st, err := fake.Model{}.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var pieces []string
	for {
		p, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pieces = append(pieces, p.Text)
	}
	if strings.Join(pieces, "") != whole.Text() {
		t.Errorf("joined = %q, want %q", strings.Join(pieces, ""), whole.Text())
	}
	if len(pieces) < 10 {
		t.Errorf("want word-by-word pieces, got %d: %q", len(pieces), pieces)
	}
	if r := st.Result(); r.Model != "offline-fake" || r.FinishReason() != "stop" {
		t.Errorf("result = %+v", r)
	}
}

func TestStreamStopsWhenClosed(t *testing.T) {
	st, err := fake.Model{Delay: time.Hour}.Stream(context.Background(), ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	if _, err := st.Recv(); domain.KindOf(err) != domain.KindCanceled {
		t.Errorf("Recv after Close = %v, want canceled (not an hour-long wait)", err)
	}
}

// The offline model answers within any bound at any temperature, so
// those it takes; anything else, tools and formats above all, it would
// silently drop, so the pool must hear that it refuses them.
func TestModelTakesOnlyParametersItHonours(t *testing.T) {
	every := ports.Conversation{
		Sampling: domain.Sampling{
			Temperature: new(float64), TopP: new(float64), MaxTokens: new(int), MaxCompletionTokens: new(int), N: new(int),
			Stop: []string{"x"}, Seed: new(int64), PresencePenalty: new(float64), FrequencyPenalty: new(float64),
			LogitBias: map[string]int{"1": 1}, Logprobs: new(bool), TopLogprobs: new(int), User: "u",
			ReasoningEffort: "low", Prediction: domain.JSON(`{}`),
		},
		Tools:  domain.Tools{Defs: []domain.Tool{{Name: "f"}}, Choice: domain.ToolChoice{Mode: domain.ToolAuto}, Parallel: new(bool)},
		Format: &domain.Format{Type: domain.FormatJSONObject},
	}
	*every.N, *every.Logprobs = 2, true // 1 and false are no parameter at all
	names := every.Params()
	if len(names) != 19 {
		t.Fatalf("the probe sets %d parameters, want all 19: %q", len(names), names)
	}
	taken := map[string]bool{"temperature": true, "max_tokens": true, "max_completion_tokens": true}
	for _, p := range append(names, "stream", "messages", "") {
		if got := (fake.Model{}).Takes(p); got != taken[p] {
			t.Errorf("Takes(%q) = %v, want %v", p, got, taken[p])
		}
	}
}
