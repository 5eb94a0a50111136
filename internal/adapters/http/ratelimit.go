package http

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// callerLimits keeps one token bucket per caller in bounded memory. A
// bucket left alone for burst/rps has refilled completely, so it is
// forgotten then at no cost to accuracy. The cap bounds the rest: a
// flood of new callers (an attacker cycling addresses) evicts the least
// recently seen, who start again with a full bucket.
type callerLimits struct {
	mu      sync.Mutex
	rps     rate.Limit
	burst   int
	idle    time.Duration
	now     func() time.Time
	buckets *recentMap[*rate.Limiter]
}

func newCallerLimits(cfg RateLimit) *callerLimits {
	l := &callerLimits{
		rps: rate.Limit(cfg.RPS), burst: max(cfg.Burst, 1), now: cfg.Now,
		buckets: newRecentMap[*rate.Limiter](max(cfg.MaxCallers, 1)),
	}
	l.idle = saturatingSeconds(float64(l.burst) / cfg.RPS)
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// saturatingSeconds converts without wrapping: a float beyond int64
// nanoseconds (a tiny rate's refill time) converts to a negative
// Duration on amd64, which once made every bucket look idle, so that
// every request passed. Past the bound it is "never", as is NaN.
func saturatingSeconds(s float64) time.Duration {
	const never = time.Duration(math.MaxInt64)
	if ns := s * float64(time.Second); ns >= 0 && ns < float64(never) {
		return time.Duration(ns)
	}
	return never
}

// allow takes a token from caller's bucket, or says how long until one
// is there.
func (l *callerLimits) allow(caller string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.buckets.forgetIdle(now, l.idle)
	b := l.buckets.get(caller, now)
	if b == nil {
		b = l.buckets.add(caller, rate.NewLimiter(l.rps, l.burst), now)
	}
	r := b.val.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now) // a refused request must not use up future tokens
		return false, wait
	}
	return true, 0
}
