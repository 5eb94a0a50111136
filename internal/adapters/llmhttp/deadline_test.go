package llmhttp_test

import (
	"context"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
)

// A call adds its own deadline only when the caller's ends later.
func TestEndsWithin(t *testing.T) {
	if llmhttp.EndsWithin(context.Background(), time.Minute) {
		t.Error("a context without a deadline ends within a minute")
	}
	soon, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if !llmhttp.EndsWithin(soon, time.Minute) {
		t.Error("a context ending in a second does not end within a minute")
	}
	if llmhttp.EndsWithin(soon, time.Millisecond) {
		t.Error("a context ending in a second ends within a millisecond")
	}
}
