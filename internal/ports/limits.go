package ports

import (
	"context"
	"time"
)

// Limits is the driven port that meters callers: request rate, tokens
// per minute and a token quota, shared by every replica when the store
// is. Admit is the one store round trip before a model call; Charge is
// the one after it, made off the response's path. Admit and the ledger
// reads return *domain.Error of KindUnavailable when the store fails
// and the service is configured to fail closed.
type Limits interface {
	// Admit takes one request from the caller's rate and checks, without
	// spending them, its tokens this minute and its quota (tokens false:
	// the rate only, for routes that call no model).
	Admit(ctx context.Context, caller Caller, tokens bool) (Admission, error)
	// Charge records what one answer cost.
	Charge(ctx context.Context, caller Caller, spent Spent)
	// Usage is the caller's own ledger.
	Usage(ctx context.Context, caller Caller) (Ledger, error)
	// Callers is every caller's ledger, for the operator.
	Callers(ctx context.Context) ([]Ledger, error)
}

// Caller is who is metered: Key is what the store keys on (the full key
// digest, or the client address), ID how logs and the ledger name it.
type Caller struct {
	Key string
	ID  string
}

// Refusal says which limit refused a request; "" admits it.
type Refusal string

const (
	RefusedRequests Refusal = "requests"
	RefusedTokens   Refusal = "tokens"
	RefusedQuota    Refusal = "quota"
)

// Admission is the answer to Admit, with what the rate-limit headers show.
type Admission struct {
	Refused    Refusal
	RetryAfter time.Duration // when refused: until the limit has room
	Requests   Window        // zero Limit: no request limit is set
	Tokens     Window        // zero Limit: no token limit is set
}

// Window is one limit as OpenAI's x-ratelimit-* headers show it.
type Window struct {
	Limit     int64
	Remaining int64
	Reset     time.Duration // until the bucket or window is full again
}

// Spent is one answer's cost in tokens. Estimated marks counts made
// from characters because the upstream reported none.
type Spent struct {
	Prompt, Completion int64
	Estimated          bool
}

// Ledger is one caller's usage.
type Ledger struct {
	Caller string
	Minute Tally
	Period Tally
	Days   []DayTally
}

// Tally is usage over one span.
type Tally struct {
	Requests         int64
	PromptTokens     int64
	CompletionTokens int64
	TotalTokens      int64
	EstimatedTokens  int64
}

// DayTally is one UTC day's usage.
type DayTally struct {
	Day string // 2006-01-02
	Tally
}

type callerCtxKey struct{}

// WithCaller carries the metered caller to decorators of the model port.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerCtxKey{}, c)
}

// CallerFrom is the caller WithCaller stored, if any.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerCtxKey{}).(Caller)
	return c, ok
}
