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
