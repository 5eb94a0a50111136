package limits

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// Observer hears of refusals and of the store's health; nil for none.
type Observer interface {
	Refused(kind ports.Refusal)
	StoreCall(err error, took time.Duration)
}

// Options configure a Limiter.
type Options struct {
	Policy Policy
	// PerCaller overrides Policy for the callers it names, by store key
	// (API_KEY_LIMITS_FILE's keys).
	PerCaller map[string]Policy
	Timeout   time.Duration // each shared-store call at most
	FailOpen  bool          // on a store failure: local limits (true) or 503 (false)
	Log       zerolog.Logger
	Observer  Observer
	Now       func() time.Time // nil: time.Now
	// FlushEvery is how long a charge to the shared store waits at most
	// to be sent with the others (0: 100ms); MaxPending how many callers'
	// minutes may wait before they are sent at once (0: 10 000).
	FlushEvery time.Duration
	MaxPending int
	// AfterFunc arms the flush (nil: time.AfterFunc); stop disarms it.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
}

// Limiter is ports.Limits over a shared store, with a local one to fall
// back on while the shared one fails (when FailOpen). Without a shared
// store, the local one is the store.
type Limiter struct {
	opt    Options
	shared store // nil: the process only
	local  *Memory
	mu     sync.Mutex
	down   bool  // the shared store failed last time: logged once per transition
	batch  batch // the shared store's charges not yet sent
}

var _ ports.Limits = (*Limiter)(nil)

// New meters with shared (nil: the process only) and local.
func New(shared *Redis, local *Memory, opt Options) *Limiter {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = defaultFlushEvery
	}
	if opt.MaxPending <= 0 {
		opt.MaxPending = defaultMaxPending
	}
	if opt.AfterFunc == nil {
		opt.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	l := &Limiter{opt: opt, local: local}
	l.batch.pending = make(map[pendingKey]*pending)
	l.batch.sent = sync.NewCond(&l.batch.mu)
	if shared != nil {
		l.shared = shared
	}
	return l
}

// Degraded says whether the shared store is failing now.
func (l *Limiter) Degraded() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.down
}

// Store names where limits are kept now, for /readyz.
func (l *Limiter) Store() string {
	switch {
	case l.shared == nil:
		return "process"
	case l.Degraded():
		return "degraded"
	}
	return "redis"
}

var errStore = domain.Unavailable("The limits store is unavailable; retry later", time.Second)

// call runs op on the shared store within the timeout, and on the local
// one when there is none or, failing open, when it fails.
func call[T any](ctx context.Context, l *Limiter, op func(context.Context, store) (T, error)) (T, error) {
	return callWithin(ctx, l, l.opt.Timeout, op)
}

// offPathTimeout bounds the ledger reads, which read up to 30 days per
// caller in one pipeline, and the charges' flush, one pipeline for
// every caller: both are off the model path.
func (l *Limiter) offPathTimeout() time.Duration { return max(l.opt.Timeout, time.Second) }

func callWithin[T any](ctx context.Context, l *Limiter, timeout time.Duration, op func(context.Context, store) (T, error)) (T, error) {
	if l.shared == nil {
		return op(ctx, l.local)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	start := time.Now()
	v, err := op(cctx, l.shared)
	cancel()
	if err != nil && ctx.Err() != nil {
		var zero T
		return zero, domain.Canceled(ctx.Err()) // the caller left: no verdict on the store
	}
	if l.opt.Observer != nil {
		l.opt.Observer.StoreCall(err, time.Since(start))
	}
	l.note(err)
	if err == nil {
		return v, nil
	}
	if !l.opt.FailOpen {
		var zero T
		e := *errStore
		e.Err = err
		return zero, &e
	}
	return op(ctx, l.local)
}

func (l *Limiter) note(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil && !l.down:
		l.down = true
		l.opt.Log.Error().Err(err).Bool("fail_open", l.opt.FailOpen).Msg("limits store failing")
	case err == nil && l.down:
		l.down = false
		l.opt.Log.Info().Msg("limits store back")
	}
}

func (l *Limiter) policy(c ports.Caller) Policy {
	if p, ok := l.opt.PerCaller[c.Key]; ok {
		return p
	}
	return l.opt.Policy
}

func (l *Limiter) Admit(ctx context.Context, c ports.Caller, tokens bool) (ports.Admission, error) {
	if p := l.policy(c); p.RPS <= 0 && (!tokens || (p.TPM <= 0 && p.Quota <= 0)) {
		return ports.Admission{}, nil // nothing to check: no round trip
	}
	now := l.opt.Now()
	a, err := call(ctx, l, func(ctx context.Context, s store) (ports.Admission, error) {
		return s.admit(ctx, l.policy(c), c, now, tokens)
	})
	if err == nil && a.Refused != "" && l.opt.Observer != nil {
		l.opt.Observer.Refused(a.Refused)
	}
	return a, err
}

// Charge records spent off the caller's path. The process's own store
// is a map under a mutex: it is charged in place. The shared one's
// charges are summed and sent together within FlushEvery (batch.go).
func (l *Limiter) Charge(ctx context.Context, c ports.Caller, spent ports.Spent) {
	now := l.opt.Now()
	if l.shared == nil {
		_ = l.local.charge(ctx, l.policy(c), c, now, spent)
		return
	}
	l.enqueue(c, now, spent)
}

func (l *Limiter) Usage(ctx context.Context, c ports.Caller) (ports.Ledger, error) {
	now := l.opt.Now()
	led, err := callWithin(ctx, l, l.offPathTimeout(), func(ctx context.Context, s store) ([]ports.Ledger, error) {
		return s.usage(ctx, []Policy{l.policy(c)}, []ports.Caller{c}, now)
	})
	if err != nil {
		return ports.Ledger{}, err
	}
	return led[0], nil
}

func (l *Limiter) Callers(ctx context.Context) ([]ports.Ledger, error) {
	now := l.opt.Now()
	return callWithin(ctx, l, l.offPathTimeout(), func(ctx context.Context, s store) ([]ports.Ledger, error) {
		cs, err := s.callers(ctx, now)
		if err != nil {
			return nil, err
		}
		ps := make([]Policy, len(cs))
		for i, c := range cs {
			ps[i] = l.policy(c)
		}
		return s.usage(ctx, ps, cs, now)
	})
}
