package domain_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
)

func TestCountChars(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"Hello", 5},
		{"héllo", 5},
		{"😀😀", 2},
		{"日本語", 3},
	}
	for _, tt := range tests {
		if got := domain.CountChars(tt.in); got != tt.want {
			t.Errorf("CountChars(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestCompleteCountsTheAnswer(t *testing.T) {
	p, c, tot := 3, 4, 7
	got := domain.Complete(5, domain.Answer{Choices: []domain.Choice{{Text: "añb😀", FinishReason: "stop"}}, Model: "gpt-4o", Tokens: domain.TokenUsage{Prompt: &p, Completion: &c, Total: &tot}})
	if got.Usage != (domain.Usage{PromptChars: 5, ResponseChars: 4}) {
		t.Errorf("usage = %+v, want prompt 5 response 4", got.Usage)
	}
	if *got.Tokens.Total != 7 || got.FinishReason() != "stop" || got.Model != "gpt-4o" || got.Text() != "añb😀" {
		t.Errorf("completion = %+v", got)
	}
}

func TestStreamTallyCountsEveryPieceOnce(t *testing.T) {
	tally := domain.NewStreamTally(2)
	for _, piece := range []string{"Hé", "", "llo 😀"} {
		tally.Add(domain.Delta{Text: piece})
	}
	got := tally.Completion(domain.Answer{Choices: []domain.Choice{{FinishReason: "length"}}, Model: "m"})
	if got.Usage != (domain.Usage{PromptChars: 2, ResponseChars: 7}) || got.FinishReason() != "length" {
		t.Errorf("completion = %+v", got)
	}
}

func TestKindOfSurvivesWrapping(t *testing.T) {
	cause := errors.New("dial tcp: refused")
	err := fmt.Errorf("chat model: %w", domain.Upstream("upstream unreachable", cause))
	if domain.KindOf(err) != domain.KindUpstream {
		t.Fatalf("kind = %q", domain.KindOf(err))
	}
	if !errors.Is(err, cause) {
		t.Error("cause must stay reachable through Unwrap")
	}
	if domain.KindOf(errors.New("plain")) != "" {
		t.Error("plain errors have no kind")
	}
}

func TestEndedTellsATimeoutFromADepartedCaller(t *testing.T) {
	if domain.Ended(context.Background(), "slow", nil) != nil {
		t.Error("a live context has not ended")
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if e := domain.Ended(gone, "slow", nil); domain.KindOf(e) != domain.KindCanceled || !errors.Is(e, context.Canceled) {
		t.Errorf("cancelled: %#v", e)
	}
	late, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	cause := errors.New("read tcp: i/o timeout")
	if e := domain.Ended(late, "slow", cause); domain.KindOf(e) != domain.KindTimeout || e.Error() != "slow: read tcp: i/o timeout" || !errors.Is(e, cause) {
		t.Errorf("past its deadline: %#v", e)
	}
}
