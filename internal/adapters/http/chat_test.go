package http_test

import (
	"testing"

	"github.com/golang/mock/gomock"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

func TestChatMapsTheRequest(t *testing.T) {
	h, svc, _ := newEngine(t)
	temp := 0.7
	svc.EXPECT().Chat(gomock.Any(), ports.Conversation{
		Messages: []domain.Message{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "hello"}, {Role: "user", Content: "more"}},
		Sampling: domain.Sampling{Temperature: &temp, MaxTokens: intp(64)},
	}).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "ok", FinishReason: "stop"}}, Model: "m"}, Usage: domain.Usage{PromptChars: 11, ResponseChars: 2}}, nil)
	rec := do(h, "POST", "/api/chat", "application/json",
		`{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"more"}],"temperature":0.7,"max_tokens":64,"unknown":1}`)
	want := `{"response":"ok","usage":{"prompt_chars":11,"response_chars":2,"prompt_tokens":null,"completion_tokens":null,"total_tokens":null},"finish_reason":"stop","model":"m"}`
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func TestChatBadTypes(t *testing.T) {
	tests := []struct{ body, msg string }{
		{`{"messages":"hi"}`, "'messages' must be an array"},
		{`{"messages":[{"role":"user","content":5}]}`, "'messages[0].content' must be a string"},
		{`{"messages":[],"temperature":"hot"}`, "'temperature' must be a number"},
		{`{"messages":[],"max_tokens":1.5}`, "'max_tokens' must be an integer"},
	}
	for _, tt := range tests {
		h, _, _ := newEngine(t) // no EXPECT: the use case is never reached
		assertError(t, do(h, "POST", "/api/chat", "application/json", tt.body), 400, tt.msg)
	}
}

func TestChatDomainErrorIs400(t *testing.T) {
	h, svc, _ := newEngine(t)
	svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Completion{}, domain.InvalidField("messages[0].role", "'messages[0].role' may not be system"))
	assertError(t, do(h, "POST", "/api/chat", "application/json", `{"messages":[{"role":"system","content":"x"}]}`), 400, "may not be system")
}
