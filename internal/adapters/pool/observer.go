package pool

import (
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// Outcomes of one attempt, as metrics and logs name them.
const (
	OutcomeOK        = "ok"        // the backend answered
	OutcomeRejected  = "rejected"  // the backend refused the request itself (a 400)
	OutcomeThrottled = "throttled" // a 429, or a 503 naming a wait
	OutcomeFailed    = "failed"    // a 5xx, a broken connection, a timeout
	OutcomeBroken    = "broken"    // a 401, 403 or 404: the backend's configuration
	OutcomeAbandoned = "abandoned" // the caller left, or the request's time ran out
)

// Observer hears what the pool decides, so that the composition root
// can count it without this package naming a metrics library.
type Observer interface {
	Attempt(model, backend, outcome string, elapsed time.Duration)
	Failover(model string)
	// Retried reports an attempt after a request's first, on a backend of
	// that provider.
	Retried(provider string)
	// State reports a backend's state (a State) when it changes, and once
	// for each backend a pool is built or reloaded with.
	State(model, backend, state string)
	// Removed reports a backend that a reload dropped.
	Removed(model, backend string)
	// Called reports one attempt's call as the GenAI conventions measure
	// it: provider is gen_ai.provider.name, responseModel as the backend
	// named it, errorType the failure's kind ("" when it answered).
	Called(model, backend, provider, responseModel, errorType string, elapsed time.Duration, tokens domain.TokenUsage)
	// FirstToken reports a stream's first piece, after its call began;
	// Generated the time per output token after that piece.
	FirstToken(model, backend string, after time.Duration)
	Generated(model, backend string, perToken time.Duration)
}

type nopObserver struct{}

func (nopObserver) Attempt(string, string, string, time.Duration) {}
func (nopObserver) Failover(string)                               {}
func (nopObserver) Retried(string)                                {}
func (nopObserver) State(string, string, string)                  {}
func (nopObserver) Removed(string, string)                        {}
func (nopObserver) Called(string, string, string, string, string, time.Duration, domain.TokenUsage) {
}
func (nopObserver) FirstToken(string, string, time.Duration) {}
func (nopObserver) Generated(string, string, time.Duration)  {}
