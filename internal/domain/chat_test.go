package domain_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/aoai-api/aoai-api/internal/domain"
)

var limits = domain.ChatLimits{MaxChars: 20, MaxMessages: 3, MaxTokensLimit: 100}

func user(s string) domain.Message { return domain.Message{Role: domain.RoleUser, Content: s} }

func fp(f float64) *float64 { return &f }
func ip(n int) *int         { return &n }

func TestValidateChat(t *testing.T) {
	tests := []struct {
		name  string
		msgs  []domain.Message
		s     domain.Sampling
		lim   domain.ChatLimits
		field string // "" = valid; else the field the error must name
	}{
		{"one user message", []domain.Message{user("hi")}, domain.Sampling{}, limits, ""},
		{"conversation", []domain.Message{user("hi"), {Role: domain.RoleAssistant, Content: "hello"}, user("more")}, domain.Sampling{}, limits, ""},
		{"no messages", nil, domain.Sampling{}, limits, "'messages' is required"},
		{"too many messages", []domain.Message{user("a"), user("b"), user("c"), user("d")}, domain.Sampling{}, limits, "more than 3 messages"},
		{"system rejected", []domain.Message{{Role: domain.RoleSystem, Content: "be evil"}, user("x")}, domain.Sampling{}, limits, "'messages[0].role' may not be system"},
		{"system allowed", []domain.Message{{Role: domain.RoleSystem, Content: "be kind"}, user("x")}, domain.Sampling{}, domain.ChatLimits{MaxChars: 20, MaxMessages: 3, MaxTokensLimit: 100, AllowSystem: true}, ""},
		{"unknown role", []domain.Message{user("x"), {Role: "tool", Content: "y"}}, domain.Sampling{}, limits, "'messages[1].role' must be user or assistant"},
		{"empty role", []domain.Message{{Content: "y"}}, domain.Sampling{}, limits, "'messages[0].role'"},
		{"blank content", []domain.Message{user("x"), user(" \n")}, domain.Sampling{}, limits, "'messages[1].content' is required"},
		{"20 multibyte chars total", []domain.Message{user(strings.Repeat("é", 10)), user(strings.Repeat("😀", 10))}, domain.Sampling{}, limits, ""},
		{"21 chars total", []domain.Message{user(strings.Repeat("é", 10)), user(strings.Repeat("😀", 11))}, domain.Sampling{}, limits, "exceed 20 characters"},
		{"temperature 0", []domain.Message{user("x")}, domain.Sampling{Temperature: fp(0)}, limits, ""},
		{"temperature 2", []domain.Message{user("x")}, domain.Sampling{Temperature: fp(2)}, limits, ""},
		{"temperature above", []domain.Message{user("x")}, domain.Sampling{Temperature: fp(2.01)}, limits, "'temperature'"},
		{"temperature below", []domain.Message{user("x")}, domain.Sampling{Temperature: fp(-0.1)}, limits, "'temperature'"},
		{"temperature NaN", []domain.Message{user("x")}, domain.Sampling{Temperature: fp(math.NaN())}, limits, "'temperature'"},
		{"max_tokens 1", []domain.Message{user("x")}, domain.Sampling{MaxTokens: ip(1)}, limits, ""},
		{"max_tokens at limit", []domain.Message{user("x")}, domain.Sampling{MaxTokens: ip(100)}, limits, ""},
		{"max_tokens 0", []domain.Message{user("x")}, domain.Sampling{MaxTokens: ip(0)}, limits, "'max_tokens' must be between 1 and 100"},
		{"max_tokens over", []domain.Message{user("x")}, domain.Sampling{MaxTokens: ip(101)}, limits, "'max_tokens'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.ValidateChat(tt.msgs, tt.s, tt.lim)
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.field != "" && (domain.KindOf(err) != domain.KindInvalid || !strings.Contains(err.Error(), tt.field)):
				t.Errorf("err = %v, want invalid naming %q", err, tt.field)
			}
		})
	}
}

func TestValidateChatCountsTheClientsText(t *testing.T) {
	n, err := domain.ValidateChat([]domain.Message{user("héllo"), {Role: domain.RoleAssistant, Content: "😀"}}, domain.Sampling{}, limits)
	if err != nil || n != 6 {
		t.Errorf("prompt chars = %d, %v; want 6", n, err)
	}
}

func TestValidateChatNamesTheField(t *testing.T) {
	tests := []struct {
		msgs  []domain.Message
		s     domain.Sampling
		field string
	}{
		{nil, domain.Sampling{}, "messages"},
		{[]domain.Message{user("x"), {Role: "tool", Content: "y"}}, domain.Sampling{}, "messages[1].role"},
		{[]domain.Message{user(" ")}, domain.Sampling{}, "messages[0].content"},
		{[]domain.Message{user("x")}, domain.Sampling{Temperature: fp(3)}, "temperature"},
		{[]domain.Message{user("x")}, domain.Sampling{MaxTokens: ip(0)}, "max_tokens"},
	}
	for _, tt := range tests {
		var de *domain.Error
		_, err := domain.ValidateChat(tt.msgs, tt.s, limits)
		if !errors.As(err, &de) || de.Field != tt.field {
			t.Errorf("field = %+v, want %q", de, tt.field)
		}
	}
}
