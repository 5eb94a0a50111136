package domain_test

import (
	"strings"
	"testing"

	"github.com/aoai-api/aoai-api/internal/domain"
)

func TestValidatePrompt(t *testing.T) {
	tests := []struct {
		name, prompt string
		want         domain.Kind // "" = valid
	}{
		{"empty", "", domain.KindInvalid},
		{"blank", " \t\n", domain.KindInvalid},
		{"unicode spaces only", "\u00a0\u2003", domain.KindInvalid},
		{"one char", "a", ""},
		{"4000 ascii", strings.Repeat("a", 4000), ""},
		{"4001 ascii", strings.Repeat("a", 4001), domain.KindInvalid},
		{"4000 é", strings.Repeat("é", 4000), ""},
		{"4001 é", strings.Repeat("é", 4001), domain.KindInvalid},
		{"4000 emoji", strings.Repeat("😀", 4000), ""},
		{"4001 emoji", strings.Repeat("😀", 4001), domain.KindInvalid},
		{"padded but within limit", " " + strings.Repeat("x", 3998) + " ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.KindOf(domain.ValidatePrompt(tt.prompt)); got != tt.want {
				t.Errorf("kind = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidatePromptMessages(t *testing.T) {
	if err := domain.ValidatePrompt("  "); err.Error() != "'prompt' is required" {
		t.Errorf("blank: %q", err)
	}
	err := domain.ValidatePrompt(strings.Repeat("é", 4001))
	if !strings.Contains(err.Error(), "4000") {
		t.Errorf("over limit should name the limit: %q", err)
	}
}
