package http

import (
	"sync"
	"time"
)

// authWindow is the throttle's window: failures are counted per client
// address for a minute from the first one.
const authWindow = time.Minute

// AuthThrottle bounds how fast one client address can guess keys.
type AuthThrottle struct {
	// FailuresPerMinute wrong keys from one address within its window
	// lock that address out until the window ends; 0 means no throttle.
	FailuresPerMinute int
	MaxAddrs          int // addresses tracked at most; the least recently seen goes first
	// Now is the throttle's clock; nil means time.Now. Tests inject one.
	Now func() time.Time
}

func errAuthThrottled(wait time.Duration) error { return retryIn(fail(kindAuthLockout, ""), wait) }

// authThrottle counts key attempts per address in fixed windows. An
// attempt is counted before its key is compared and forgiven once the
// key proves right, so concurrent guesses cannot slip past the bound:
// at most FailuresPerMinute wrong keys per address are ever compared in
// one window.
type authThrottle struct {
	mu    sync.Mutex
	limit int
	now   func() time.Time
	addrs *recentMap[*failures]
}

type failures struct {
	start   time.Time // the window's start: the first attempt counted
	n       int       // attempts counted in it, those still being compared included
	refused bool      // whether the address has been refused in it yet
}

// ticket names a counted attempt, so that forgiving it cannot touch a
// later window.
type ticket struct {
	addr   string
	window time.Time
}

func newAuthThrottle(cfg AuthThrottle) *authThrottle {
	t := &authThrottle{limit: cfg.FailuresPerMinute, now: cfg.Now, addrs: newRecentMap[*failures](max(cfg.MaxAddrs, 1))}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

// admit is asked before any key is compared. It refuses an address that
// used up its window, saying how long until the window ends and whether
// this is the window's first refusal. Otherwise it counts the attempt
// when count is set (a key was sent) and returns its ticket.
func (t *authThrottle) admit(addr string, count bool) (tk ticket, wait time.Duration, first bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.addrs.forgetIdle(now, authWindow) // unseen for a window: its window is over
	e := t.addrs.get(addr, now)
	if e == nil {
		if !count {
			return ticket{}, 0, false
		}
		e = t.addrs.add(addr, &failures{start: now}, now)
	}
	f := e.val
	if end := f.start.Add(authWindow); !now.Before(end) {
		*f = failures{start: now}
	}
	if f.n >= t.limit {
		first, f.refused = !f.refused, true
		return ticket{}, f.start.Add(authWindow).Sub(now), first
	}
	if !count {
		return ticket{}, 0, false
	}
	f.n++
	return ticket{addr: addr, window: f.start}, 0, false
}

// forgive takes back an attempt whose key was right. An address left
// with no failures is dropped, so that callers with good keys never
// crowd out the addresses worth remembering.
func (t *authThrottle) forgive(tk ticket) {
	if tk.addr == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.addrs.peek(tk.addr)
	if e == nil || !e.val.start.Equal(tk.window) || e.val.n == 0 {
		return // evicted meanwhile, or a later window
	}
	f := e.val
	if f.n--; f.n == 0 && !f.refused {
		t.addrs.remove(tk.addr)
	}
}
