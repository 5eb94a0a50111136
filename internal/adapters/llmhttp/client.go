// Package llmhttp is what every HTTP-based LLM adapter shares: one
// attempt per call, its deadlines, and the mapping of upstream statuses
// and broken exchanges to domain errors that say whose fault they were.
// Retries and failover are the backend pool's; this package names no
// provider.
package llmhttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
)

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

// Clock is injectable so that tests control time.
type Clock func() time.Time

// Client makes attempts on one upstream.
type Client struct {
	http      http.RoundTripper // the shared client's transport: see Send
	target    Target
	now       Clock
	observe   Observer
	afterFunc AfterFunc // stream timeouts
}

// Option adjusts a Client; tests use it to inject time.
type Option func(*Client)

// WithClock replaces time.Now.
func WithClock(now Clock) Option { return func(c *Client) { c.now = now } }

// New wraps the process's shared http.Client.
func New(hc *http.Client, t Target, opts ...Option) *Client {
	names := make([]string, len(t.RequestIDHeaders))
	for i, n := range t.RequestIDHeaders {
		names[i] = http.CanonicalHeaderKey(n)
	}
	t.RequestIDHeaders = names
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c := &Client{http: rt, target: t, now: time.Now, observe: nopObserver{}, afterFunc: realAfterFunc}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Send makes one attempt, built by newReq. It returns a 2xx response
// with its body open, or a *domain.Error whose Fault tells the pool what
// to do next. The context's deadline bounds the attempt.
func (c *Client) Send(ctx context.Context, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	req, err := newReq(ctx)
	if err != nil {
		return nil, domain.Upstream("could not build the upstream request", err)
	}
	propagate(ctx, req.Header)
	calls := callLogFrom(ctx)
	if calls != nil {
		calls.next() // a held first attempt's line goes out before this one's
	}
	start := c.now()
	// One attempt needs none of http.Client's work: redirects are never
	// followed (a 3xx is this backend's failure), and the deadline is the
	// context's. The transport alone skips a copy of every header.
	resp, err := c.http.RoundTrip(req)
	if err != nil {
		err = &url.Error{Op: "Post", URL: req.URL.Redacted(), Err: err} // as http.Client words it
	}
	c.logAttempt(ctx, calls, resp, start, err)
	if err != nil {
		c.traceResponse(ctx, resp, err)
		return nil, c.broken(ctx, err, c.target.Name+" is unreachable") // no response byte: nothing done upstream
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil // its caller traces it, with what it reads of the body
	}
	c.traceResponse(ctx, resp, nil)
	return nil, c.classify(resp)
}

// broken words an exchange that broke off. The caller's context ending
// decides first: a departed caller is a cancel and a spent deadline a
// timeout, whatever the wire reported. Otherwise it is this backend's
// transient failure, a timeout when the network said so.
func (c *Client) broken(ctx context.Context, cause error, msg string) error {
	if e := domain.Ended(ctx, c.target.Name+" did not answer in time", cause); e != nil {
		return e
	}
	e := domain.Upstream(msg, cause)
	if ne, ok := errors.AsType[net.Error](cause); ok && ne.Timeout() {
		e = domain.Timeout(c.target.Name+" did not answer in time", cause) // UPSTREAM_ATTEMPT_TIMEOUT, say
	}
	e.Fault = domain.FaultTransient
	return e
}

// badAnswer words a 2xx answer that cannot be used: malformed, or
// empty. It is not retried on this backend or another: the backend did
// the work, and billed it. The context still decides first.
func (c *Client) badAnswer(ctx context.Context, cause error, msg string) error {
	if e := domain.Ended(ctx, c.target.Name+" did not answer in time", cause); e != nil {
		return e
	}
	return domain.Upstream(msg, cause)
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

// logAttempt logs one attempt and reports it to the observer. The pool
// has named the model, backend and attempt number on ctx. With
// a CallLog on ctx, a first attempt's line is held, for the access line
// to carry when no other attempt follows.
func (c *Client) logAttempt(ctx context.Context, calls *CallLog, resp *http.Response, start time.Time, err error) {
	call := Call{log: zerolog.Ctx(ctx), attempt: attemptFrom(ctx), client: c, elapsed: c.now().Sub(start), err: err}
	if err == nil {
		call.status, call.requestID = resp.StatusCode, c.RequestID(resp.Header)
	}
	c.observe.Attempt(call.status, call.elapsed)
	if calls != nil && calls.hold(call) {
		return
	}
	call.write()
}

// drain lets the connection be reused without reading a hostile body forever.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
