package llmhttp_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
)

// recorder keeps what the client reported, in order.
type recorder struct {
	mu       sync.Mutex
	statuses []int
}

func (r *recorder) Attempt(status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, status)
}

func TestObserverHearsEachAttemptsStatus(t *testing.T) {
	s := newScripted(t, status(429), reset, ok)
	rec := &recorder{}
	c := llmhttp.New(s.Client(), target, llmhttp.WithObserver(rec))
	for range 3 {
		_, _ = send(t, context.Background(), c, s.URL)
	}
	if got := rec.statuses; len(got) != 3 || got[0] != 429 || got[1] != 0 || got[2] != 200 {
		t.Errorf("statuses = %v, want [429 0 200]: one report per attempt, 0 without a response", got)
	}
}
