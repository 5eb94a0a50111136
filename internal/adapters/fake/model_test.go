package fake_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/fake"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

func TestModelSaysItIsOfflineAndEchoesLastUserMessage(t *testing.T) {
	req := ports.ChatRequest{Messages: []domain.Message{
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
	if a != b {
		t.Error("fake model must be deterministic")
	}
	if a.Model != "offline-fake" || a.FinishReason != "stop" {
		t.Errorf("result = %+v", a)
	}
	if !strings.Contains(a.Text, "offline") || !strings.HasSuffix(a.Text, "You said: second") {
		t.Errorf("text = %q", a.Text)
	}
	if a.Tokens.Total != nil {
		t.Error("fake model must not invent token counts")
	}
}

func TestModelHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := fake.Model{}.Chat(ctx, ports.ChatRequest{})
	if domain.KindOf(err) != domain.KindUpstream {
		t.Errorf("kind = %q, want upstream", domain.KindOf(err))
	}
}
