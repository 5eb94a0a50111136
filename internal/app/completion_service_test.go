package app_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/app"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

func intp(n int) *int { return &n }

func TestCompleteBuildsMessagesAndCountsUsage(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	want := []domain.Message{
		{Role: domain.RoleSystem, Content: "Be brief."},
		{Role: domain.RoleUser, Content: "héllo"},
	}
	model.EXPECT().
		Chat(gomock.Any(), ports.ChatRequest{Messages: want}).
		Return(ports.ChatResult{
			Text: "😀 hi", FinishReason: "stop", Model: "gpt-4o-2024-08-06",
			Tokens: domain.TokenUsage{Prompt: intp(9), Completion: intp(2), Total: intp(11)},
		}, nil)

	got, err := app.NewCompletionService(model, "Be brief.").Complete(context.Background(), "héllo")
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "😀 hi" || got.FinishReason != "stop" || got.Model != "gpt-4o-2024-08-06" {
		t.Errorf("completion = %+v", got)
	}
	if got.Usage.PromptChars != 5 || got.Usage.ResponseChars != 4 {
		t.Errorf("chars = %d/%d, want 5/4 (code points, system prompt not counted)", got.Usage.PromptChars, got.Usage.ResponseChars)
	}
	if *got.Usage.Tokens.Prompt != 9 || *got.Usage.Tokens.Completion != 2 || *got.Usage.Tokens.Total != 11 {
		t.Errorf("tokens = %+v", got.Usage.Tokens)
	}
}

func TestCompleteWithoutSystemPromptSendsOnlyUser(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	model.EXPECT().
		Chat(gomock.Any(), ports.ChatRequest{Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}}).
		Return(ports.ChatResult{Text: "ok"}, nil)
	if _, err := app.NewCompletionService(model, "").Complete(context.Background(), "hi"); err != nil {
		t.Fatal(err)
	}
}

func TestCompleteNeverCallsModelOnInvalidInput(t *testing.T) {
	for _, prompt := range []string{"", "   ", strings.Repeat("é", domain.MaxPromptChars+1)} {
		ctrl := gomock.NewController(t)
		model := mocks.NewMockChatModel(ctrl) // no EXPECT: any call fails the test
		_, err := app.NewCompletionService(model, "sys").Complete(context.Background(), prompt)
		if domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("prompt of %d bytes: kind = %q, want invalid", len(prompt), domain.KindOf(err))
		}
	}
}

func TestCompletePropagatesModelErrorKinds(t *testing.T) {
	for _, modelErr := range []error{
		domain.Upstream("upstream returned 500", errors.New("boom")),
		domain.Misconfigured("configuration incomplete"),
	} {
		ctrl := gomock.NewController(t)
		model := mocks.NewMockChatModel(ctrl)
		model.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(ports.ChatResult{}, modelErr)
		_, err := app.NewCompletionService(model, "sys").Complete(context.Background(), "hi")
		if !errors.Is(err, modelErr) || domain.KindOf(err) != domain.KindOf(modelErr) {
			t.Errorf("err = %v, want wrapped %v", err, modelErr)
		}
	}
}

func TestCompletePassesContextToModel(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	model.EXPECT().Chat(gomock.Any(), gomock.Any()).DoAndReturn(
		func(got context.Context, _ ports.ChatRequest) (ports.ChatResult, error) {
			if got.Value(key{}) != "v" {
				t.Error("model did not receive the caller's context")
			}
			return ports.ChatResult{Text: "x"}, nil
		})
	if _, err := app.NewCompletionService(model, "").Complete(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
}

func TestPromptTextIsLoggedOnlyWhenOptedIn(t *testing.T) {
	for _, optIn := range []bool{false, true} {
		ctrl := gomock.NewController(t)
		model := mocks.NewMockChatModel(ctrl)
		model.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(ports.ChatResult{Text: "private answer"}, nil)
		var logs bytes.Buffer
		ctx := zerolog.New(&logs).Level(zerolog.DebugLevel).WithContext(context.Background())

		svc := app.NewCompletionService(model, "sys").WithTextLogging(optIn)
		if _, err := svc.Complete(ctx, "private question"); err != nil {
			t.Fatal(err)
		}
		logged := strings.Contains(logs.String(), "private question") && strings.Contains(logs.String(), "private answer")
		if logged != optIn {
			t.Errorf("opt-in %v: logs = %q", optIn, logs.String())
		}
		if optIn && strings.Count(strings.ToLower(logs.String()), `"level":"debug"`) != 2 { // the name's case is the process's choice
			t.Errorf("prompt and response must be logged at DEBUG: %q", logs.String())
		}
		if !optIn && logs.Len() != 0 {
			t.Errorf("nothing must be logged by default, got %q", logs.String())
		}
	}
}
