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
	retries  int
}

func (r *recorder) Attempt(status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, status)
}

func (r *recorder) Retry() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries++
}

func TestObserverHearsEveryAttemptAndRetry(t *testing.T) {
	s := newScripted(t, status(429, "retry-after-ms", "10"), reset, ok)
	clock := at("2026-01-01T00:00:00Z")
	rec := &recorder{}
	c := llmhttp.New(s.Client(), policy, target, llmhttp.WithClock(clock.Now, clock.Sleep),
		llmhttp.WithJitter(func() float64 { return 0 }), llmhttp.WithObserver(rec))
	if _, err := send(t, context.Background(), c, s.URL); err != nil {
		t.Fatal(err)
	}
	if got := rec.statuses; len(got) != 3 || got[0] != 429 || got[1] != 0 || got[2] != 200 {
		t.Errorf("statuses = %v, want [429 0 200]", got)
	}
	if rec.retries != 2 {
		t.Errorf("retries = %d, want 2", rec.retries)
	}
}

func TestObserverHearsNoRetryWhenAttemptsAreSpent(t *testing.T) {
	s := newScripted(t, status(503))
	clock, rec := at("2026-01-01T00:00:00Z"), &recorder{}
	c := llmhttp.New(s.Client(), llmhttp.Policy{MaxRetries: 1}, target, llmhttp.WithClock(clock.Now, clock.Sleep),
		llmhttp.WithJitter(func() float64 { return 0 }), llmhttp.WithObserver(rec))
	if _, err := send(t, context.Background(), c, s.URL); err == nil {
		t.Fatal("want the last 503 as an error")
	}
	if len(rec.statuses) != 2 || rec.retries != 1 {
		t.Errorf("statuses = %v, retries = %d; want two attempts and one retry", rec.statuses, rec.retries)
	}
}
