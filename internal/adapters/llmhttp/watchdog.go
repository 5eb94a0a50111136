package llmhttp

import (
	"context"
	"sync"
	"time"
)

// AfterFunc runs f after d unless the returned stop is called first, as
// time.AfterFunc does. Tests inject one to fire stream timeouts at will.
type AfterFunc func(d time.Duration, f func()) (stop func() bool)

// WithAfterFunc replaces the timers behind stream timeouts.
func WithAfterFunc(af AfterFunc) Option { return func(c *Client) { c.afterFunc = af } }

func realAfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// watchdog cancels a stream whose upstream stays silent too long. It is
// armed only while we wait on the upstream, never while the consumer is
// busy elsewhere (writing to a slow client, say). fired tells a timeout
// from a caller's cancel.
type watchdog struct {
	mu     sync.Mutex
	after  AfterFunc
	stop   func() bool
	gen    uint64 // bumped on every disarm, so a timer that lost the race does nothing
	cancel context.CancelFunc
	hit    bool
}

func newWatchdog(cancel context.CancelFunc, after AfterFunc) *watchdog {
	return &watchdog{cancel: cancel, after: after}
}

// arm starts timing a wait of at most d; d <= 0 means no bound.
func (w *watchdog) arm(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.disarmLocked()
	if d > 0 {
		gen := w.gen
		w.stop = w.after(d, func() { w.fire(gen) })
	}
}

func (w *watchdog) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.disarmLocked()
}

func (w *watchdog) disarmLocked() {
	w.gen++
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
}

func (w *watchdog) fire(gen uint64) {
	w.mu.Lock()
	if gen != w.gen || w.hit {
		w.mu.Unlock()
		return
	}
	w.hit = true
	w.mu.Unlock()
	w.cancel()
}

func (w *watchdog) fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hit
}
