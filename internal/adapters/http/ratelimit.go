package http

import (
	"container/list"
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
	max     int
	idle    time.Duration
	now     func() time.Time
	recent  *list.List // of *bucket, most recently seen first
	buckets map[string]*list.Element
}

type bucket struct {
	caller string
	lim    *rate.Limiter
	seen   time.Time
}

func newCallerLimits(cfg RateLimit) *callerLimits {
	l := &callerLimits{
		rps: rate.Limit(cfg.RPS), burst: max(cfg.Burst, 1), max: max(cfg.MaxCallers, 1), now: cfg.Now,
		recent: list.New(), buckets: make(map[string]*list.Element),
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
	l.forgetIdle(now)
	b := l.bucketOf(caller, now)
	r := b.lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now) // a refused request must not use up future tokens
		return false, wait
	}
	return true, 0
}

func (l *callerLimits) bucketOf(caller string, now time.Time) *bucket {
	if e, ok := l.buckets[caller]; ok {
		b := e.Value.(*bucket)
		b.seen = now
		l.recent.MoveToFront(e)
		return b
	}
	if l.recent.Len() >= l.max {
		l.remove(l.recent.Back())
	}
	b := &bucket{caller: caller, lim: rate.NewLimiter(l.rps, l.burst), seen: now}
	l.buckets[caller] = l.recent.PushFront(b)
	return b
}

// forgetIdle drops buckets from the least recent end until one is still
// refilling; each is dropped once, so the cost is amortised constant.
func (l *callerLimits) forgetIdle(now time.Time) {
	for e := l.recent.Back(); e != nil && now.Sub(e.Value.(*bucket).seen) >= l.idle; e = l.recent.Back() {
		l.remove(e)
	}
}

func (l *callerLimits) remove(e *list.Element) {
	delete(l.buckets, e.Value.(*bucket).caller)
	l.recent.Remove(e)
}
