package llmhttp

import "time"

// Observer hears about every upstream attempt, so the composition root
// can count them (Prometheus, in practice) without this package naming a
// metrics library.
type Observer interface {
	// Attempt reports one HTTP exchange up to its response headers;
	// status is 0 when no response arrived at all.
	Attempt(status int, elapsed time.Duration)
}

// WithObserver reports attempts to o.
func WithObserver(o Observer) Option { return func(c *Client) { c.observe = o } }

// nopObserver is the default, so Send never checks for nil.
type nopObserver struct{}

func (nopObserver) Attempt(int, time.Duration) {}
