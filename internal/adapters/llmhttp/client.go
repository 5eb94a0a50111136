// Package llmhttp is what every HTTP-based LLM adapter shares: bounded
// retries that honour Retry-After, deadline arithmetic, and the mapping
// of upstream statuses to domain errors. It names no provider.
package llmhttp

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// Policy bounds the retries of one call.
type Policy struct {
	MaxRetries   int           // attempts are at most 1 + MaxRetries
	MaxRetryWait time.Duration // cap on a server-requested wait
	BaseBackoff  time.Duration // first backoff when the server names no wait
	MaxBackoff   time.Duration
}

// Target describes the upstream for messages and logs.
type Target struct {
	Name             string   // shown to clients: "Azure OpenAI"
	ResourceKind     string   // "deployment" or "model"
	Resource         string   // its configured name
	RequestIDHeaders []string // response headers carrying the provider's id, best first
	// Filtered reports whether a 400 body is a content-filter refusal,
	// and which categories fired. Nil when the provider has no filter.
	Filtered func(body []byte) (categories []string, ok bool)
}

// Clock and Sleeper are injectable so that tests never really wait.
type (
	Clock   func() time.Time
	Sleeper func(ctx context.Context, d time.Duration) error
)

// Client sends requests to one upstream with the shared retry rules.
type Client struct {
	http      *http.Client
	policy    Policy
	target    Target
	now       Clock
	sleep     Sleeper
	jitter    func() float64 // in [0, 1)
	observe   Observer
	afterFunc AfterFunc // stream timeouts
}

// Option adjusts a Client; tests use it to inject time.
type Option func(*Client)

// WithClock replaces time.Now and the real sleeper.
func WithClock(now Clock, sleep Sleeper) Option {
	return func(c *Client) { c.now, c.sleep = now, sleep }
}

// WithJitter replaces the random source of backoff jitter.
func WithJitter(f func() float64) Option { return func(c *Client) { c.jitter = f } }

// New wraps the process's shared http.Client.
func New(hc *http.Client, p Policy, t Target, opts ...Option) *Client {
	if p.BaseBackoff <= 0 {
		p.BaseBackoff = 500 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 8 * time.Second
	}
	names := make([]string, len(t.RequestIDHeaders))
	for i, n := range t.RequestIDHeaders {
		names[i] = http.CanonicalHeaderKey(n)
	}
	t.RequestIDHeaders = names
	c := &Client{http: hc, policy: p, target: t, now: time.Now, sleep: sleepCtx, jitter: rand.Float64, observe: nopObserver{}, afterFunc: realAfterFunc}
	for _, o := range opts {
		o(c)
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send makes up to 1+MaxRetries attempts, building a fresh request for
// each. It returns a 2xx response with its body open, or a *domain.Error.
// The caller's context deadline bounds every attempt and every wait.
func (c *Client) Send(ctx context.Context, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := newReq(ctx)
		if err != nil {
			return nil, domain.Upstream("could not build the upstream request", err)
		}
		start := c.now()
		resp, err := c.http.Do(req)
		c.logAttempt(ctx, attempt, resp, start, err)
		if err != nil {
			if cerr := c.contextError(ctx, err); cerr != nil {
				return nil, cerr
			}
			// No response byte arrived, so the upstream did no work we would repeat.
			if !c.wait(ctx, attempt, c.backoff(attempt), false) {
				return nil, c.finalError(ctx, domain.Upstream(c.target.Name+" is unreachable", err))
			}
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		failure := c.classify(resp)
		if !retryableStatus(resp.StatusCode) {
			return nil, failure
		}
		d, fromServer := c.retryWait(resp, attempt)
		if !c.wait(ctx, attempt, d, fromServer) {
			return nil, c.finalError(ctx, failure)
		}
	}
}

// wait sleeps before the next attempt unless the attempts are spent or
// the wait would end past the deadline; false means answer now.
func (c *Client) wait(ctx context.Context, attempt int, d time.Duration, fromServer bool) bool {
	if attempt >= c.policy.MaxRetries {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && c.now().Add(d).After(dl) {
		return false
	}
	zerolog.Ctx(ctx).Warn().Str("upstream", c.target.Name).Int("attempt", attempt+1).
		Dur("wait_ms", d).Bool("server_requested", fromServer).Msg("upstream retry")
	c.observe.Retry()
	return c.sleep(ctx, d) == nil
}

// finalError prefers the context's verdict: a deadline that expired
// during a wait is a timeout, not the last upstream status.
func (c *Client) finalError(ctx context.Context, last error) error {
	if cerr := c.contextError(ctx, ctx.Err()); cerr != nil {
		return cerr
	}
	return last
}

// contextError maps a finished context to Timeout or Canceled, or nil.
func (c *Client) contextError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return domain.Timeout(c.target.Name+" did not answer in time", err)
	default:
		return domain.Canceled(err)
	}
}

// ReadError maps a failure while reading a 2xx body, which is where a
// deadline usually strikes on a long generation.
func (c *Client) ReadError(ctx context.Context, err error) error {
	if cerr := c.contextError(ctx, err); cerr != nil {
		return cerr
	}
	return domain.Upstream(c.target.Name+" response was cut short", err)
}

// RequestID returns the provider's id for a response, or "". It is
// echoed to clients and logged, so an id that fails the X-Request-ID rule
// counts as absent. The names were canonicalised in New.
func (c *Client) RequestID(h http.Header) string {
	for _, name := range c.target.RequestIDHeaders {
		if v := h[name]; len(v) > 0 && domain.ValidRequestID(v[0]) {
			return v[0]
		}
	}
	return ""
}

// logAttempt logs one attempt and reports it to the observer.
func (c *Client) logAttempt(ctx context.Context, attempt int, resp *http.Response, start time.Time, err error) {
	elapsed := c.now().Sub(start)
	ev := zerolog.Ctx(ctx).Info().Str("upstream", c.target.Name).Str(c.target.ResourceKind, c.target.Resource).
		Int("attempt", attempt+1).Dur("upstream_latency_ms", elapsed)
	if err != nil {
		c.observe.Attempt(0, elapsed)
		ev.Int("upstream_status", 0).AnErr("upstream_error", err).Msg("upstream call")
		return
	}
	c.observe.Attempt(resp.StatusCode, elapsed)
	ev.Int("upstream_status", resp.StatusCode).Str("upstream_request_id", c.RequestID(resp.Header)).Msg("upstream call")
}

// drain lets the connection be reused without reading a hostile body forever.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
