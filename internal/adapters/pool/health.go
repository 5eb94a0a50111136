package pool

import (
	"sync"
	"time"
)

// State is what a backend can do for requests right now.
type State string

const (
	StateHealthy State = "healthy" // takes requests
	StateCooling State = "cooling" // asked for time (429, or 503 with a wait) until a moment it named
	StateEjected State = "ejected" // failed too often; takes one probe once its ejection ends
	StateProbing State = "probing" // one probe request is in flight
	StateBroken  State = "broken"  // its key, identity or deployment is wrong; one probe after BACKEND_EJECT_MAX
)

// Policy is how backend health is judged.
type Policy struct {
	Cooldown      time.Duration // a throttle without a hint
	CooldownMax   time.Duration // the cap on a hinted throttle
	EjectFailures int           // consecutive failures that eject
	EjectBase     time.Duration // the first ejection; each next one doubles
	EjectMax      time.Duration // the longest ejection, and a broken backend's wait for its probe
}

// outcome is what one attempt says about its backend's health.
type outcome int

const (
	outcomeOK        outcome = iota // answered, even if it refused the request itself
	outcomeThrottled                // asked for time with a 429
	outcomeBusy                     // asked for time with a 503
	outcomeFailed                   // a 5xx, a broken connection, a timeout
	outcomeBroken                   // its configuration is wrong
	outcomeAbandoned                // the caller left: says nothing about the backend
)

// health is one backend's state machine. Every change returns the new
// state when it changed, so the caller can log and count transitions.
type health struct {
	mu        sync.Mutex
	state     State
	until     time.Time // cooling, ejected: when it ends; broken: when the probe may go
	advised   time.Time // cooling: when the backend itself said it would be ready, uncapped
	throttled bool      // cooling because of a throttle (429), not an unavailable 503
	failures  int       // consecutive
	ejections int       // consecutive, for the doubling
	broke     error     // broken: the failure that broke it, to tell the callers turned away
}

func newHealth() *health { return &health{state: StateHealthy} }

// claim reserves the backend for one attempt at now. A backend whose
// ejection or break has ended admits exactly one probe.
func (h *health) claim(now time.Time, p Policy) (ok bool, changed State) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.state {
	case StateHealthy:
		return true, ""
	case StateCooling:
		if now.Before(h.until) {
			return false, ""
		}
		h.state = StateHealthy
		return true, StateHealthy
	case StateEjected, StateBroken:
		if now.Before(h.until) {
			return false, ""
		}
		h.state = StateProbing
		return true, StateProbing
	}
	return false, "" // probing: one probe at a time
}

// availableAt is when claim would next succeed; the zero time means now.
func (h *health) availableAt(now time.Time) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.state {
	case StateHealthy:
		return time.Time{}
	case StateProbing:
		return now.Add(time.Hour) // unknown: the probe decides
	}
	if now.Before(h.until) {
		return h.until
	}
	return time.Time{}
}

// advisedAt is when the backend will take requests as far as a client
// should know: a cooldown ends when the backend said, even past the cap
// after which the pool tries it again.
func (h *health) advisedAt(now time.Time) time.Time {
	at := h.availableAt(now)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == StateCooling && h.advised.After(at) {
		return h.advised
	}
	return at
}

// brokenBy is the failure that broke the backend, or nil.
func (h *health) brokenBy() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != StateBroken {
		return nil
	}
	return h.broke
}

// report folds one attempt's outcome in. wait is the backend's own hint
// for a throttle, zero when it named none; err is the attempt's failure.
func (h *health) report(now time.Time, o outcome, wait time.Duration, err error, p Policy) (changed State) {
	h.mu.Lock()
	defer h.mu.Unlock()
	before := h.state
	switch o {
	case outcomeOK:
		h.state, h.failures, h.ejections = StateHealthy, 0, 0
	case outcomeThrottled, outcomeBusy:
		if wait <= 0 {
			wait = p.Cooldown
		}
		h.state, h.until, h.failures = StateCooling, now.Add(min(wait, p.CooldownMax)), 0
		h.advised = now.Add(wait)
		h.throttled = o == outcomeThrottled
	case outcomeFailed:
		h.failures++
		if before == StateProbing || h.failures >= p.EjectFailures {
			h.state, h.until = StateEjected, now.Add(ejection(p, h.ejections))
			h.ejections++
			h.failures = 0
		}
	case outcomeBroken:
		h.state, h.until, h.failures, h.broke = StateBroken, now.Add(p.EjectMax), 0, err
	case outcomeAbandoned:
		if before == StateProbing {
			h.state = StateEjected // the probe goes again at once: its time was already up
		}
	}
	if h.state != before {
		return h.state
	}
	return ""
}

// view is a consistent read for the status endpoint and readiness: a
// cooldown that has run out reads as healthy, and until is zero unless
// the backend is unavailable until then.
func (h *health) view(now time.Time) (state State, until time.Time, throttled bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == StateCooling && !now.Before(h.until) {
		return StateHealthy, time.Time{}, false
	}
	if h.state == StateHealthy || h.state == StateProbing || !now.Before(h.until) {
		return h.state, time.Time{}, h.throttled
	}
	return h.state, h.until, h.throttled
}

// ejection doubles from EjectBase per consecutive ejection, up to EjectMax.
func ejection(p Policy, n int) time.Duration {
	d := p.EjectBase
	for range n {
		if d >= p.EjectMax/2 {
			return p.EjectMax
		}
		d *= 2
	}
	return min(d, p.EjectMax)
}
