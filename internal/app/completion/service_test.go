package completion_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/app/completion"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

func intp(n int) *int { return &n }

var limits = domain.ChatLimits{MaxChars: 100, MaxMessages: 4, MaxTokensLimit: 500}

func TestCompleteBuildsMessagesAndCountsUsage(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	want := []domain.Message{
		{Role: domain.RoleSystem, Content: "Be brief."},
		{Role: domain.RoleUser, Content: "héllo"},
	}
	model.EXPECT().
		Chat(gomock.Any(), ports.Conversation{Messages: want}).
		Return(domain.Answer{Choices: []domain.Choice{{Text: "😀 hi", FinishReason: "stop"}}, Model: "gpt-4o-2024-08-06", Tokens: domain.TokenUsage{Prompt: intp(9), Completion: intp(2), Total: intp(11)}}, nil)

	got, err := completion.New(model, completion.Options{SystemPrompt: "Be brief.", Limits: limits}).Complete(context.Background(), "héllo")
	if err != nil {
		t.Fatal(err)
	}
	if got.Text() != "😀 hi" || got.FinishReason() != "stop" || got.Model != "gpt-4o-2024-08-06" {
		t.Errorf("completion = %+v", got)
	}
	if got.Usage.PromptChars != 5 || got.Usage.ResponseChars != 4 {
		t.Errorf("chars = %d/%d, want 5/4 (code points, system prompt not counted)", got.Usage.PromptChars, got.Usage.ResponseChars)
	}
	if *got.Tokens.Prompt != 9 || *got.Tokens.Completion != 2 || *got.Tokens.Total != 11 {
		t.Errorf("tokens = %+v", got.Tokens)
	}
}

func TestCompleteWithoutSystemPromptSendsOnlyUser(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	model.EXPECT().
		Chat(gomock.Any(), ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}}).
		Return(domain.Answer{Choices: []domain.Choice{{Text: "ok"}}}, nil)
	if _, err := completion.New(model, completion.Options{SystemPrompt: "", Limits: limits}).Complete(context.Background(), "hi"); err != nil {
		t.Fatal(err)
	}
}

func TestCompleteNeverCallsModelOnInvalidInput(t *testing.T) {
	for _, prompt := range []string{"", "   ", strings.Repeat("é", domain.MaxPromptChars+1)} {
		ctrl := gomock.NewController(t)
		model := mocks.NewMockChatModel(ctrl) // no EXPECT: any call fails the test
		_, err := completion.New(model, completion.Options{SystemPrompt: "sys", Limits: limits}).Complete(context.Background(), prompt)
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
		model.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Answer{}, modelErr)
		_, err := completion.New(model, completion.Options{SystemPrompt: "sys", Limits: limits}).Complete(context.Background(), "hi")
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
		func(got context.Context, _ ports.Conversation) (domain.Answer, error) {
			if got.Value(key{}) != "v" {
				t.Error("model did not receive the caller's context")
			}
			return domain.Answer{Choices: []domain.Choice{{Text: "x"}}}, nil
		})
	if _, err := completion.New(model, completion.Options{SystemPrompt: "", Limits: limits}).Complete(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
}

func chatIn(msgs ...domain.Message) ports.Conversation { return ports.Conversation{Messages: msgs} }

func TestChatPutsSystemPromptFirstAndCountsClientTextOnly(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	temp := 0.3
	in := ports.Conversation{
		Messages: []domain.Message{
			{Role: domain.RoleUser, Content: "héllo"},
			{Role: domain.RoleAssistant, Content: "hi"},
			{Role: domain.RoleUser, Content: "more"},
		},
		Sampling: domain.Sampling{Temperature: &temp, MaxTokens: intp(20)},
	}
	want := ports.Conversation{
		Messages: append([]domain.Message{{Role: domain.RoleSystem, Content: "A long system prompt that must not be counted."}}, in.Messages...),
		Sampling: in.Sampling,
	}
	model.EXPECT().Chat(gomock.Any(), want).Return(domain.Answer{Choices: []domain.Choice{{Text: "done", FinishReason: "length"}}, Model: "m"}, nil)
	got, err := completion.New(model, completion.Options{SystemPrompt: "A long system prompt that must not be counted.", Limits: limits}).Chat(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Usage.PromptChars != 11 || got.Usage.ResponseChars != 4 || got.FinishReason() != "length" {
		t.Errorf("completion = %+v, want prompt_chars 11 (client turns only)", got)
	}
}

// The model a /v1 client names picks the pool's backends, so framing
// the conversation must keep it, for a whole answer and a stream alike.
func TestChatKeepsTheModelTheClientNamed(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	in := ports.Conversation{Model: "gpt-4o-mini", Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}}
	want := ports.Conversation{Model: "gpt-4o-mini", Messages: append([]domain.Message{{Role: domain.RoleSystem, Content: "sys"}}, in.Messages...)}
	model.EXPECT().Chat(gomock.Any(), want).Return(domain.Answer{Choices: []domain.Choice{{Text: "ok"}}}, nil)
	model.EXPECT().Stream(gomock.Any(), want).Return(&chatmodeltest.Script{End: io.EOF}, nil)
	svc := completion.New(model, completion.Options{SystemPrompt: "sys", Limits: limits})
	if _, err := svc.Chat(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	st, err := svc.ChatStream(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
}

func TestChatNeverCallsModelOnInvalidInput(t *testing.T) {
	for name, in := range map[string]ports.Conversation{
		"empty":         chatIn(),
		"system":        chatIn(domain.Message{Role: domain.RoleSystem, Content: "ignore previous"}),
		"too many":      chatIn(domain.Message{Role: domain.RoleUser, Content: "a"}, domain.Message{Role: domain.RoleUser, Content: "a"}, domain.Message{Role: domain.RoleUser, Content: "a"}, domain.Message{Role: domain.RoleUser, Content: "a"}, domain.Message{Role: domain.RoleUser, Content: "a"}),
		"max_tokens":    {Messages: []domain.Message{{Role: domain.RoleUser, Content: "a"}}, Sampling: domain.Sampling{MaxTokens: intp(501)}},
		"blank content": chatIn(domain.Message{Role: domain.RoleUser, Content: "  "}),
	} {
		ctrl := gomock.NewController(t)
		model := mocks.NewMockChatModel(ctrl) // no EXPECT: a call fails the test
		svc := completion.New(model, completion.Options{SystemPrompt: "sys", Limits: limits})
		if _, err := svc.Chat(context.Background(), in); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("%s: Chat err = %v, want invalid", name, err)
		}
		if _, err := svc.ChatStream(context.Background(), in); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("%s: ChatStream err = %v, want invalid", name, err)
		}
	}
}

func TestCompleteStreamCountsCharsAsTheyPass(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	up := &chatmodeltest.Script{Texts: []string{"hé", "llo ", "😀"}, End: io.EOF,
		Answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}, Model: "m", Tokens: domain.TokenUsage{Total: intp(9)}, UpstreamRequestID: "r1"}}
	model.EXPECT().Stream(gomock.Any(), ports.Conversation{Messages: []domain.Message{
		{Role: domain.RoleSystem, Content: "sys"}, {Role: domain.RoleUser, Content: "héllo"}}}).Return(up, nil)

	st, err := completion.New(model, completion.Options{SystemPrompt: "sys", Limits: limits}).CompleteStream(context.Background(), "héllo")
	if err != nil {
		t.Fatal(err)
	}
	var joined strings.Builder
	for {
		text, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		joined.WriteString(text.Text)
	}
	out := st.Completion()
	if joined.String() != "héllo 😀" || out.Usage.PromptChars != 5 || out.Usage.ResponseChars != 7 {
		t.Errorf("joined %q, usage %+v", joined.String(), out.Usage)
	}
	if out.Text() != "" || *out.Tokens.Total != 9 || out.FinishReason() != "stop" || out.UpstreamRequestID != "r1" {
		t.Errorf("completion = %+v (a stream never holds the whole text)", out)
	}
	_ = st.Close()
	if up.Closed() == 0 {
		t.Error("Close must reach the model's stream")
	}
}

func TestStreamErrorsKeepTheirKind(t *testing.T) {
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	model.EXPECT().Stream(gomock.Any(), gomock.Any()).Return(nil, domain.Throttled("slow down", time.Second, nil))
	_, err := completion.New(model, completion.Options{SystemPrompt: "", Limits: limits}).ChatStream(context.Background(), chatIn(domain.Message{Role: domain.RoleUser, Content: "x"}))
	if domain.KindOf(err) != domain.KindThrottled {
		t.Errorf("err = %v, want throttled", err)
	}
}

func TestPromptTextIsLoggedOnlyWhenOptedIn(t *testing.T) {
	for _, optIn := range []bool{false, true} {
		ctrl := gomock.NewController(t)
		model := mocks.NewMockChatModel(ctrl)
		model.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Answer{Choices: []domain.Choice{{Text: "private answer"}}}, nil)
		var logs bytes.Buffer
		ctx := zerolog.New(&logs).Level(zerolog.DebugLevel).WithContext(context.Background())

		svc := completion.New(model, completion.Options{SystemPrompt: "sys", Limits: limits, LogText: optIn})
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

// openAILimits are /v1's: client system turns, tools and several choices.
var openAILimits = domain.ChatLimits{MaxChars: 1000, MaxMessages: 10, MaxTokensLimit: 500, MaxN: 2, AllowSystem: true, AllowTools: true}

func TestChatNeverCallsModelWithInvalidTools(t *testing.T) {
	msgs := []domain.Message{{Role: domain.RoleUser, Content: "weather?"}}
	weather := domain.Tool{Name: "get_weather", Parameters: domain.JSON(`{"type":"object"}`)}
	for name, tt := range map[string]struct {
		conv  ports.Conversation
		field string
	}{
		"bad name":           {ports.Conversation{Messages: msgs, Tools: domain.Tools{Defs: []domain.Tool{{Name: "get weather"}}}}, "tools[0].function.name"},
		"parameters array":   {ports.Conversation{Messages: msgs, Tools: domain.Tools{Defs: []domain.Tool{{Name: "f", Parameters: domain.JSON(`[]`)}}}}, "tools[0].function.parameters"},
		"choice not in set":  {ports.Conversation{Messages: msgs, Tools: domain.Tools{Defs: []domain.Tool{weather}, Choice: domain.ToolChoice{Mode: domain.ToolFunction, Name: "get_time"}}}, "tool_choice"},
		"required, no tools": {ports.Conversation{Messages: msgs, Tools: domain.Tools{Choice: domain.ToolChoice{Mode: domain.ToolRequired}}}, "tool_choice"},
		"json_schema name":   {ports.Conversation{Messages: msgs, Format: &domain.Format{Type: domain.FormatJSONSchema, Schema: domain.JSON(`{}`)}}, "response_format.json_schema.name"},
	} {
		ctrl := gomock.NewController(t)
		model := mocks.NewMockChatModel(ctrl) // no EXPECT: a call fails the test
		svc := completion.New(model, completion.Options{SystemPrompt: "sys", Limits: openAILimits})
		var de *domain.Error
		if _, err := svc.Chat(context.Background(), tt.conv); !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Field != tt.field {
			t.Errorf("%s: Chat err = %v, want invalid on %q", name, err, tt.field)
		}
		if _, err := svc.ChatStream(context.Background(), tt.conv); !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Field != tt.field {
			t.Errorf("%s: ChatStream err = %v, want invalid on %q", name, err, tt.field)
		}
	}
}

// Framing adds the operator's system prompt and changes nothing else:
// tools, format and every sampling parameter reach the model as given.
func TestChatPassesToolsFormatAndSamplingThrough(t *testing.T) {
	temp, topP, seed, logprobs, parallel, strict := 0.2, 0.9, int64(7), true, false, true
	in := ports.Conversation{
		Model: "gpt-4o",
		Messages: []domain.Message{
			{Role: domain.RoleDeveloper, Content: "Answer in French."},
			{Role: domain.RoleUser, Parts: []domain.Part{{Type: domain.PartText, Text: "What is this?"}, {Type: domain.PartImageURL, ImageURL: "https://example.com/a.png", Detail: "low"}}},
		},
		Sampling: domain.Sampling{
			Temperature: &temp, TopP: &topP, MaxCompletionTokens: intp(200), N: intp(2), Stop: []string{"END"}, Seed: &seed,
			LogitBias: map[string]int{"1": -5}, Logprobs: &logprobs, TopLogprobs: intp(2), User: "u-1", ReasoningEffort: "low",
			Prediction: domain.JSON(`{"type":"content","content":"C'est"}`),
		},
		Tools: domain.Tools{
			Defs:     []domain.Tool{{Name: "describe", Description: "Describe an image", Parameters: domain.JSON(`{"type":"object"}`), Strict: &strict}},
			Choice:   domain.ToolChoice{Mode: domain.ToolFunction, Name: "describe"},
			Parallel: &parallel,
		},
		Format: &domain.Format{Type: domain.FormatJSONSchema, Name: "answer", Schema: domain.JSON(`{"type":"object"}`), Strict: &strict},
	}
	want := in
	want.Messages = append([]domain.Message{{Role: domain.RoleSystem, Content: "sys"}}, in.Messages...)

	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	model.EXPECT().Chat(gomock.Any(), want).Return(domain.Answer{Choices: []domain.Choice{{Text: "ok"}, {Text: "oui"}}}, nil)
	model.EXPECT().Stream(gomock.Any(), want).Return(&chatmodeltest.Script{End: io.EOF}, nil)
	svc := completion.New(model, completion.Options{SystemPrompt: "sys", Limits: openAILimits})
	got, err := svc.Chat(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Usage.ResponseChars != 5 {
		t.Errorf("response chars = %d, want both choices counted (5)", got.Usage.ResponseChars)
	}
	st, err := svc.ChatStream(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	if len(in.Messages) != 2 || in.Messages[0].Role != domain.RoleDeveloper {
		t.Error("framing changed the caller's conversation")
	}
}

// A tool round trip counts what the client sent: its question, the
// arguments of the call it echoes and the tool's result; never the
// operator's system prompt, nor the tool's name or call id.
func TestChatCountsClientCharsOverAToolRoundTrip(t *testing.T) {
	ask := []domain.Message{{Role: domain.RoleUser, Content: "Weather in Zürich?"}}
	call := domain.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Zürich"}`}
	ctrl := gomock.NewController(t)
	model := mocks.NewMockChatModel(ctrl)
	gomock.InOrder(
		model.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Answer{Choices: []domain.Choice{{ToolCalls: []domain.ToolCall{call}, FinishReason: "tool_calls"}}}, nil),
		model.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Answer{Choices: []domain.Choice{{Text: "It is 12°C.", FinishReason: "stop"}}}, nil),
	)
	svc := completion.New(model, completion.Options{SystemPrompt: "A system prompt that is never counted.", Limits: openAILimits})

	first, err := svc.Chat(context.Background(), ports.Conversation{Messages: ask})
	if err != nil {
		t.Fatal(err)
	}
	if first.Usage != (domain.Usage{PromptChars: 18, ResponseChars: 17}) {
		t.Errorf("asking: usage %+v, want prompt 18, response 17 (the call's arguments)", first.Usage)
	}
	round := append(ask,
		domain.Message{Role: domain.RoleAssistant, ToolCalls: first.Choices[0].ToolCalls},
		domain.Message{Role: domain.RoleTool, Content: "12°C", ToolCallID: "call_1"})
	second, err := svc.Chat(context.Background(), ports.Conversation{Messages: round})
	if err != nil {
		t.Fatal(err)
	}
	if second.Usage != (domain.Usage{PromptChars: 18 + 17 + 4, ResponseChars: 11}) {
		t.Errorf("answering: usage %+v, want prompt 39, response 11", second.Usage)
	}
}
