package pool

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// request is one client request's walk over its model's backends: the
// one attempt loop, shared by Chat, a stream's opening and a stream's
// failover before its first piece.
type request struct {
	p        *Pool
	g        *group
	attempts int
	last     error
	prev     *member
	retryAt  map[*member]time.Time // backends that failed in this request, and when to try them again
	deadline time.Time             // UPSTREAM_TIMEOUT from the start: no wait may end past it
}

func (p *Pool) newRequest(g *group) *request {
	return &request{p: p, g: g, deadline: p.opts.Now().Add(p.opts.Timeout)}
}

// next claims the backend for the next attempt, waiting for one to
// recover when that fits the attempts, UPSTREAM_MAX_RETRY_WAIT and the
// deadline; otherwise it returns the request's answer.
func (r *request) next(ctx context.Context) (*member, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, contextError(ctx, r.g.name)
		}
		now := r.p.opts.Now()
		if r.attempts >= r.p.opts.Retry.MaxAttempts || (r.attempts > 0 && now.After(r.deadline)) {
			return nil, r.answer(now) // UPSTREAM_TIMEOUT bounds the whole request, failovers included
		}
		if m := r.pick(now); m != nil {
			if r.attempts++; r.attempts > 1 {
				r.p.opts.Observer.Retried(m.Provider)
				event(ctx, eventRetry, attribute.Int("aoai.attempt", r.attempts), attribute.String("aoai.backend", m.Name))
			}
			if r.prev != nil && r.prev != m {
				r.p.opts.Observer.Failover(r.g.name)
				event(ctx, eventFailover, attribute.String("aoai.from", r.prev.Name), attribute.String("aoai.to", m.Name))
			}
			r.prev = m
			return m, nil
		}
		wake, backingOff := r.wake(now)
		wait := wake.Sub(now)
		// UPSTREAM_MAX_RETRY_WAIT caps waiting for a backend's cooldown or
		// ejection; a backoff after a failure is ours, short and bounded.
		if r.attempts == 0 || (!backingOff && wait > r.p.opts.Retry.MaxRetryWait) || r.pastDeadline(ctx, now.Add(wait)) {
			return nil, r.answer(now)
		}
		llmhttp.WriteHeld(ctx) // the last attempt's line, stamped now rather than after the wait
		zerolog.Ctx(ctx).Warn().Str("model", r.g.name).Int("attempt", r.attempts+1).Dur("wait_ms", wait).
			Msg("upstream retry") // no backend is available: wait for the soonest recovery
		event(ctx, eventWait, attribute.Float64("aoai.seconds", wait.Seconds()))
		if err := r.p.opts.Sleep(ctx, wait); err != nil {
			return nil, contextError(ctx, r.g.name)
		}
	}
}

// pick takes the lowest priority tier with a backend this request may
// use now, and a weighted random choice within it.
func (r *request) pick(now time.Time) *member {
	for i := 0; i < len(r.g.members); {
		tier := r.g.members[i].Priority
		var candidates []*member
		total := 0
		for ; i < len(r.g.members) && r.g.members[i].Priority == tier; i++ {
			m := r.g.members[i]
			if r.usable(m, now) {
				candidates = append(candidates, m)
				total += m.Weight
			}
		}
		for len(candidates) > 0 {
			m := weighted(candidates, total, r.p.opts.Rand())
			if ok, changed := m.health.claim(now, r.p.opts.Health); ok {
				r.p.changed(m, changed)
				return m
			}
			total -= m.Weight // another request took its probe first
			candidates = removed(candidates, m)
		}
	}
	return nil
}

func (r *request) usable(m *member, now time.Time) bool {
	if at, failed := r.retryAt[m]; failed && now.Before(at) {
		return false
	}
	return m.health.availableAt(now).IsZero()
}

// wake is when this request may next try a backend, and whether that is
// only this request's backoff after a failure (the backend is healthy).
func (r *request) wake(now time.Time) (time.Time, bool) {
	var best time.Time
	backingOff := false
	for _, m := range r.g.members {
		at, own := m.health.availableAt(now), false
		if t := r.retryAt[m]; t.After(at) {
			at, own = t, at.IsZero() || !at.After(now)
		}
		if at.IsZero() {
			at = now
		}
		if best.IsZero() || at.Before(best) {
			best, backingOff = at, own
		}
	}
	return best, backingOff
}

// advised is the soonest a client should try again: when some backend
// said it would be ready, or will be tried again.
func (r *request) advised(now time.Time) time.Time {
	return r.earliest(now, (*health).advisedAt)
}

func (r *request) earliest(now time.Time, at func(*health, time.Time) time.Time) time.Time {
	var best time.Time
	for _, m := range r.g.members {
		at := at(m.health, now)
		if t := r.retryAt[m]; t.After(at) {
			at = t
		}
		if at.IsZero() {
			at = now
		}
		if best.IsZero() || at.Before(best) {
			best = at
		}
	}
	return best
}

// settle folds one attempt's result into the backend's health and says
// whether the request is over (done) or moves on.
func (r *request) settle(ctx context.Context, m *member, start time.Time, err error) (done bool) {
	now := r.p.opts.Now()
	o, label := classify(ctx, err)
	r.p.opts.Observer.Attempt(r.g.name, m.Name, label, now.Sub(start))
	var wait time.Duration
	var de *domain.Error
	if errors.As(err, &de) {
		wait = de.RetryAfter
	}
	r.p.changed(m, m.health.report(now, o, wait, err, r.p.opts.Health))
	switch o {
	case outcomeOK, outcomeAbandoned:
		return true
	case outcomeBroken:
		zerolog.Ctx(ctx).Error().Err(err).Str("model", r.g.name).Str("backend", m.Name).
			Msg("backend misconfigured: its key, identity or deployment is wrong; failing over")
	case outcomeFailed:
		if r.retryAt == nil {
			r.retryAt = map[*member]time.Time{}
		}
		r.retryAt[m] = now.Add(r.backoff())
	}
	// llmhttp's "upstream call" line (or the access line, when this was
	// the request's one attempt) has the status; this one says what the
	// pool made of it.
	a := r.attempt(m)
	a.Named(zerolog.Ctx(ctx).Warn()).Str("outcome", label).Str("upstream_request_id", upstreamID(err)).
		Msg("backend attempt failed")
	r.last = err
	return false
}

func upstreamID(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.UpstreamRequestID
	}
	return ""
}

// classify reads whose fault a failure was.
func classify(ctx context.Context, err error) (outcome, string) {
	switch {
	case err == nil:
		return outcomeOK, OutcomeOK
	case ctx.Err() != nil:
		return outcomeAbandoned, OutcomeAbandoned
	}
	switch domain.FaultOf(err) {
	case domain.FaultRequest:
		return outcomeOK, OutcomeRejected
	case domain.FaultThrottle:
		if domain.KindOf(err) == domain.KindThrottled {
			return outcomeThrottled, OutcomeThrottled
		}
		return outcomeBusy, OutcomeThrottled
	case domain.FaultTransient:
		return outcomeFailed, OutcomeFailed
	case domain.FaultBackend:
		return outcomeBroken, OutcomeBroken
	}
	return outcomeAbandoned, OutcomeAbandoned // not the backend's doing: nothing to learn
}

// answer is the request's result when it cannot try again: its last
// failure, or, when it tried nothing, what the backends' states say.
func (r *request) answer(now time.Time) error {
	retry := max(r.advised(now).Sub(now), 0)
	if r.last != nil {
		var de *domain.Error
		if errors.As(r.last, &de) && de.Kind == domain.KindThrottled {
			cp := *de // the soonest recovery of any backend beats this one's own hint
			if retry > 0 {
				cp.RetryAfter = retry
			}
			return &cp
		}
		return r.last
	}
	broken, throttled := 0, 0
	for _, m := range r.g.members {
		state, _, wasThrottled := m.health.view(now)
		switch {
		case state == StateBroken:
			broken++
		case state == StateCooling && wasThrottled:
			throttled++
		}
	}
	switch n := len(r.g.members); {
	case broken == n:
		for _, m := range r.g.members { // what broke it says more than "misconfigured"
			var de *domain.Error
			if errors.As(m.health.brokenBy(), &de) {
				cp := *de
				cp.UpstreamRequestID = "" // that id was another request's
				return &cp
			}
		}
		return &domain.Error{Kind: domain.KindUpstream, Fault: domain.FaultBackend,
			Msg: fmt.Sprintf("every backend of model '%s' is misconfigured", r.g.name)}
	case throttled == n:
		return &domain.Error{Kind: domain.KindThrottled, Fault: domain.FaultThrottle, RetryAfter: retry,
			Msg: fmt.Sprintf("every backend of model '%s' is rate limiting requests; retry later", r.g.name)}
	}
	return domain.Unavailable(fmt.Sprintf("no backend of model '%s' is available; retry later", r.g.name), retry)
}

// backoff spaces out retries of a backend that just failed, as the
// single-backend client always did: exponential with equal jitter.
func (r *request) backoff() time.Duration {
	p := r.p.opts.Retry
	d := float64(p.BaseBackoff) * math.Pow(2, float64(r.attempts-1))
	d = min(d, float64(p.MaxBackoff))
	return time.Duration(d/2 + r.p.opts.Rand()*d/2)
}

// open starts a stream on the next backend that answers 2xx.
func (r *request) open(ctx context.Context, conv ports.Conversation) (*attempt, error) {
	for {
		m, err := r.next(ctx)
		if err != nil {
			return nil, err
		}
		start := r.p.opts.Now()
		actx, sp := r.startAttempt(ctx, m, conv)
		st, err := m.Model.Stream(r.logged(actx, m), conv)
		if err == nil {
			return &attempt{ChatStream: st, m: m, start: start, span: sp}, nil
		}
		sp.end(ctx, err)
		if r.settle(ctx, m, start, err) {
			return nil, err
		}
	}
}

func (r *request) pastDeadline(ctx context.Context, t time.Time) bool {
	if dl, ok := ctx.Deadline(); ok && t.After(dl) {
		return true
	}
	return t.After(r.deadline)
}

func contextError(ctx context.Context, model string) error {
	return domain.Ended(ctx, fmt.Sprintf("no backend of model '%s' answered in time", model), nil)
}

func weighted(ms []*member, total int, x float64) *member {
	n := int(x * float64(total))
	for _, m := range ms {
		if n < m.Weight {
			return m
		}
		n -= m.Weight
	}
	return ms[len(ms)-1]
}

func removed(ms []*member, m *member) []*member {
	out := ms[:0:0]
	for _, x := range ms {
		if x != m {
			out = append(out, x)
		}
	}
	return out
}

// logged names the model, backend and attempt on the backend's
// "upstream call" line, so that it says all, and so does the access line
// that a lone attempt's line folds into.
func (r *request) logged(ctx context.Context, m *member) context.Context {
	return llmhttp.WithAttempt(ctx, r.attempt(m))
}

// attempt names the request's current attempt, on m.
func (r *request) attempt(m *member) llmhttp.Attempt {
	return llmhttp.Attempt{Model: r.g.name, Backend: m.Name, N: r.attempts}
}

// changed reports a state transition; "" means none.
func (p *Pool) changed(m *member, s State) {
	if s == "" {
		return
	}
	p.opts.Observer.State(m.model, m.Name, string(s))
	ev := p.opts.Log.Info()
	switch s {
	case StateEjected, StateBroken:
		ev = p.opts.Log.Warn()
	case StateHealthy:
		s = "restored"
	}
	ev.Str("model", m.model).Str("backend", m.Name).Str("state", string(s)).Msg("backend " + string(s))
}
