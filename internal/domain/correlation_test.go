package domain_test

import (
	"strings"
	"testing"

	"github.com/aoai-api/aoai-api/internal/domain"
)

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"req-9_a.b:c", true},
		{strings.Repeat("a", 128), true},
		{"", false},
		{strings.Repeat("a", 129), false},
		{"a b", false},
		{"a\nb", false},
		{"a\x1b[31m", false},
		{"é", false},
		{"a/b", false},
	}
	for _, tt := range tests {
		if got := domain.ValidRequestID(tt.id); got != tt.want {
			t.Errorf("ValidRequestID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
