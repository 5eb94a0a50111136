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
			_, err := domain.ValidatePrompt(tt.prompt)
			if got := domain.KindOf(err); got != tt.want {
				t.Errorf("kind = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidatePromptMessages(t *testing.T) {
	if _, err := domain.ValidatePrompt("  "); err.Error() != "'prompt' is required" {
		t.Errorf("blank: %q", err)
	}
	if n, err := domain.ValidatePrompt(" é😀 "); err != nil || n != 4 {
		t.Errorf("padded prompt counts %d, %v; want 4 code points", n, err)
	}
	_, err := domain.ValidatePrompt(strings.Repeat("é", 4001))
	if !strings.Contains(err.Error(), "4000") {
		t.Errorf("over limit should name the limit: %q", err)
	}
}
