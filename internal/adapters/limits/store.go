package limits

import (
	"context"
	"time"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// store keeps the counters; Memory and Redis are the two.
type store interface {
	admit(ctx context.Context, p Policy, caller ports.Caller, now time.Time, tokens bool) (ports.Admission, error)
	// chargeAll adds a batch of callers' minutes, oldest first.
	chargeAll(ctx context.Context, batch []*pending) error
	// usage reads the ledgers of callers (each under its policy) at once.
	usage(ctx context.Context, ps []Policy, callers []ports.Caller, now time.Time) ([]ports.Ledger, error)
	// callers are those charged in the ledger's days, the most recent
	// first, maxListed at most.
	callers(ctx context.Context, now time.Time) ([]ports.Caller, error)
}

// windows fills the header figures from what a store counted.
func windows(p Policy, sp spans, remainingReqs int64, resetReqs time.Duration, minuteUsed int64) (ports.Window, ports.Window) {
	var reqs, toks ports.Window
	if p.RPS > 0 {
		reqs = ports.Window{Limit: int64(p.Burst), Remaining: max(0, remainingReqs), Reset: resetReqs}
	}
	if p.TPM > 0 {
		toks = ports.Window{Limit: p.TPM, Remaining: max(0, p.TPM-minuteUsed), Reset: sp.minuteLeft}
		if minuteUsed == 0 {
			toks.Reset = 0
		}
	}
	return reqs, toks
}

// maxListed bounds the operator's list of callers.
const maxListed = 1000

func total(s ports.Spent) int64 { return s.Prompt + s.Completion }
