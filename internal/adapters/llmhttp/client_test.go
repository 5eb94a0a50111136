package llmhttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
)

// fakeClock advances only when the client sleeps, and records each wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.now = f.now.Add(d)
	return ctx.Err()
}

func (f *fakeClock) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// scripted answers call n with steps[n], repeating the last step.
type scripted struct {
	*httptest.Server
	calls atomic.Int32
}

type step func(w http.ResponseWriter, r *http.Request)

func newScripted(t *testing.T, steps ...step) *scripted {
	t.Helper()
	s := &scripted{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.calls.Add(1)) - 1
		steps[min(n, len(steps)-1)](w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func status(code int, hdr ...string) step {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"error":{"code":"x","message":"from upstream"}}`)
	}
}

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"ok":true}`) }

// reset closes the connection before any response byte.
func reset(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

var target = llmhttp.Target{Name: "Upstream", ResourceKind: "model", Resource: "m1", RequestIDHeaders: []string{"x-request-id"}}

func newClient(s *scripted, p llmhttp.Policy, clock *fakeClock) *llmhttp.Client {
	return llmhttp.New(s.Client(), p, target, llmhttp.WithClock(clock.Now, clock.Sleep), llmhttp.WithJitter(func() float64 { return 0 }))
}

func send(t *testing.T, ctx context.Context, c *llmhttp.Client, url string) (*http.Response, error) {
	t.Helper()
	resp, err := c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	})
	if resp != nil {
		t.Cleanup(func() { _ = resp.Body.Close() })
	}
	return resp, err
}

func kindOf(t *testing.T, err error) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a *domain.Error", err)
	}
	return de
}

var policy = llmhttp.Policy{MaxRetries: 3, MaxRetryWait: 30 * time.Second, BaseBackoff: 500 * time.Millisecond, MaxBackoff: 8 * time.Second}

func at(s string) *fakeClock {
	t, _ := time.Parse(time.RFC3339, s)
	return &fakeClock{now: t}
}

func TestRetryAfterSecondsHonoured(t *testing.T) {
	s := newScripted(t, status(429, "Retry-After", "2"), status(429, "Retry-After", "2"), ok)
	clock := at("2026-01-01T00:00:00Z")
	resp, err := send(t, context.Background(), newClient(s, policy, clock), s.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("resp = %v, err = %v", resp, err)
	}
	if got := clock.Waits(); len(got) != 2 || got[0] != 2*time.Second || got[1] != 2*time.Second {
		t.Errorf("waits = %v, want [2s 2s]", got)
	}
	if s.calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", s.calls.Load())
	}
}

func TestRetryAfterMillisecondsPreferred(t *testing.T) {
	s := newScripted(t, status(503, "retry-after-ms", "150", "Retry-After", "9"), ok)
	clock := at("2026-01-01T00:00:00Z")
	if _, err := send(t, context.Background(), newClient(s, policy, clock), s.URL); err != nil {
		t.Fatal(err)
	}
	if got := clock.Waits(); len(got) != 1 || got[0] != 150*time.Millisecond {
		t.Errorf("waits = %v, want [150ms]", got)
	}
}

func TestRetryAfterHTTPDateHonoured(t *testing.T) {
	clock := at("2026-01-01T00:00:00Z")
	date := clock.Now().Add(5 * time.Second).Format(http.TimeFormat)
	s := newScripted(t, status(429, "Retry-After", date), ok)
	if _, err := send(t, context.Background(), newClient(s, policy, clock), s.URL); err != nil {
		t.Fatal(err)
	}
	if got := clock.Waits(); len(got) != 1 || got[0] != 5*time.Second {
		t.Errorf("waits = %v, want [5s]", got)
	}
}

func TestRetryAfterCapped(t *testing.T) {
	s := newScripted(t, status(429, "Retry-After", "120"), ok)
	clock := at("2026-01-01T00:00:00Z")
	if _, err := send(t, context.Background(), newClient(s, policy, clock), s.URL); err != nil {
		t.Fatal(err)
	}
	if got := clock.Waits(); len(got) != 1 || got[0] != 30*time.Second {
		t.Errorf("waits = %v, want [30s] (the cap)", got)
	}
}

// A hint too large for a Duration must not wrap into a negative wait,
// which would retry at once instead of honouring the cap.
func TestHugeRetryAfterIsCappedNotWrapped(t *testing.T) {
	for _, hdr := range [][2]string{{"retry-after-ms", "1e300"}, {"retry-after-ms", "9.3e15"}, {"Retry-After", "2147483646"}} {
		s := newScripted(t, status(429, hdr[0], hdr[1]), ok)
		clock := at("2026-01-01T00:00:00Z")
		if _, err := send(t, context.Background(), newClient(s, policy, clock), s.URL); err != nil {
			t.Fatal(err)
		}
		if got := clock.Waits(); len(got) != 1 || got[0] != 30*time.Second {
			t.Errorf("%s: %s: waits = %v, want [30s] (the cap)", hdr[0], hdr[1], got)
		}
	}
}

func TestRetriesStopAtTheLimitWithExponentialBackoff(t *testing.T) {
	s := newScripted(t, status(500))
	clock := at("2026-01-01T00:00:00Z")
	_, err := send(t, context.Background(), newClient(s, policy, clock), s.URL)
	if de := kindOf(t, err); de.Kind != domain.KindUpstream || de.Msg != "Upstream returned status 500" {
		t.Errorf("err = %v", err)
	}
	if s.calls.Load() != 4 {
		t.Errorf("calls = %d, want 1 + MaxRetries = 4", s.calls.Load())
	}
	// jitter 0 gives the lower half of each window: base*2^n/2.
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}
	if got := clock.Waits(); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestBackoffJitterStaysInItsWindowAndIsCapped(t *testing.T) {
	s := newScripted(t, status(502))
	clock := at("2026-01-01T00:00:00Z")
	p := llmhttp.Policy{MaxRetries: 6, BaseBackoff: time.Second, MaxBackoff: 4 * time.Second}
	c := llmhttp.New(s.Client(), p, target, llmhttp.WithClock(clock.Now, clock.Sleep), llmhttp.WithJitter(func() float64 { return 0.999 }))
	_, _ = send(t, context.Background(), c, s.URL)
	for i, w := range clock.Waits() {
		window := min(time.Second<<i, 4*time.Second)
		if w < window/2 || w >= window {
			t.Errorf("wait %d = %v, want in [%v, %v)", i, w, window/2, window)
		}
	}
	if n := len(clock.Waits()); n != 6 {
		t.Errorf("waits = %d, want 6", n)
	}
}

func TestRetriesNeverWaitPastTheDeadline(t *testing.T) {
	s := newScripted(t, status(429, "Retry-After", "3", "x-request-id", "req-9"))
	clock := &fakeClock{now: time.Now()}
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(10*time.Second))
	defer cancel()
	p := policy
	p.MaxRetries = 10
	_, err := send(t, ctx, newClient(s, p, clock), s.URL)
	de := kindOf(t, err)
	if de.Kind != domain.KindThrottled || de.RetryAfter != 3*time.Second || de.UpstreamRequestID != "req-9" {
		t.Errorf("err = %+v, want the last 429 with Retry-After 3s", de)
	}
	if s.calls.Load() != 4 || len(clock.Waits()) != 3 {
		t.Errorf("calls = %d, waits = %v; want 4 calls at 0s, 3s, 6s, 9s", s.calls.Load(), clock.Waits())
	}
}

func TestServerWaitBeyondDeadlineStopsAtOnce(t *testing.T) {
	s := newScripted(t, status(429, "Retry-After", "60"))
	clock := &fakeClock{now: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := send(t, ctx, newClient(s, policy, clock), s.URL)
	de := kindOf(t, err)
	if de.Kind != domain.KindThrottled || de.RetryAfter != 60*time.Second {
		t.Errorf("err = %+v, want 429 passing on the server's 60s", de)
	}
	if s.calls.Load() != 1 || len(clock.Waits()) != 0 {
		t.Errorf("calls = %d, waits = %v; want one call and no wait", s.calls.Load(), clock.Waits())
	}
}

func TestDeadlineDuringAWaitIsATimeout(t *testing.T) {
	s := newScripted(t, status(503, "retry-after-ms", "10"))
	// The fake clock thinks there is time left; the real deadline strikes
	// while the client waits.
	clock := &fakeClock{now: time.Now().Add(-time.Hour)}
	blockingSleep := func(ctx context.Context, _ time.Duration) error { <-ctx.Done(); return ctx.Err() }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c := llmhttp.New(s.Client(), policy, target, llmhttp.WithClock(clock.Now, blockingSleep))
	_, err := send(t, ctx, c, s.URL)
	if de := kindOf(t, err); de.Kind != domain.KindTimeout {
		t.Errorf("err = %v, want timeout", err)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 422} {
		s := newScripted(t, status(code))
		clock := at("2026-01-01T00:00:00Z")
		_, err := send(t, context.Background(), newClient(s, policy, clock), s.URL)
		if err == nil || s.calls.Load() != 1 || len(clock.Waits()) != 0 {
			t.Errorf("%d: calls = %d, waits = %v, err = %v; want one call", code, s.calls.Load(), clock.Waits(), err)
		}
	}
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		code int
		kind domain.Kind
		msg  string
	}{
		{400, domain.KindUpstream, "Upstream rejected the request"},
		{401, domain.KindUpstream, "upstream authentication failed"},
		{403, domain.KindUpstream, "upstream authentication failed"},
		{404, domain.KindUpstream, `model not found: "m1"`},
		{429, domain.KindThrottled, "Upstream is rate limiting requests; retry later"},
		{500, domain.KindUpstream, "Upstream returned status 500"},
		{418, domain.KindUpstream, "Upstream returned status 418"},
	}
	for _, tt := range tests {
		s := newScripted(t, status(tt.code, "x-request-id", "rid"))
		c := newClient(s, llmhttp.Policy{}, at("2026-01-01T00:00:00Z"))
		_, err := send(t, context.Background(), c, s.URL)
		de := kindOf(t, err)
		if de.Kind != tt.kind || de.Msg != tt.msg || de.UpstreamRequestID != "rid" {
			t.Errorf("%d: got %q %q %q", tt.code, de.Kind, de.Msg, de.UpstreamRequestID)
		}
		if de.Err == nil || !strings.Contains(de.Err.Error(), "from upstream") {
			t.Errorf("%d: the upstream's message must stay in the private cause: %v", tt.code, de.Err)
		}
	}
}

func TestThrottledWithoutHintStillGivesRetryAfter(t *testing.T) {
	s := newScripted(t, status(429))
	_, err := send(t, context.Background(), newClient(s, llmhttp.Policy{}, at("2026-01-01T00:00:00Z")), s.URL)
	if de := kindOf(t, err); de.RetryAfter != time.Second {
		t.Errorf("RetryAfter = %v, want 1s", de.RetryAfter)
	}
}

func TestContentFilterHookDecides400(t *testing.T) {
	s := newScripted(t, status(400))
	tg := target
	tg.Filtered = func(body []byte) ([]string, bool) {
		return []string{"hate"}, strings.Contains(string(body), "from upstream")
	}
	c := llmhttp.New(s.Client(), llmhttp.Policy{}, tg)
	_, err := send(t, context.Background(), c, s.URL)
	if de := kindOf(t, err); de.Kind != domain.KindContentFiltered || len(de.Categories) != 1 {
		t.Errorf("err = %+v", de)
	}
}

func TestConnectionResetIsRetried(t *testing.T) {
	s := newScripted(t, reset, reset, ok)
	clock := at("2026-01-01T00:00:00Z")
	resp, err := send(t, context.Background(), newClient(s, policy, clock), s.URL)
	if err != nil || resp.StatusCode != 200 || s.calls.Load() != 3 {
		t.Fatalf("resp = %v, err = %v, calls = %d", resp, err, s.calls.Load())
	}
}

func TestConnectionResetEveryTimeIsUnreachable(t *testing.T) {
	s := newScripted(t, reset)
	_, err := send(t, context.Background(), newClient(s, policy, at("2026-01-01T00:00:00Z")), s.URL)
	if de := kindOf(t, err); de.Kind != domain.KindUpstream || de.Msg != "Upstream is unreachable" {
		t.Errorf("err = %v", err)
	}
	if s.calls.Load() != 4 {
		t.Errorf("calls = %d, want 4", s.calls.Load())
	}
}

func TestClientCancelReachesTheUpstream(t *testing.T) {
	arrived, upstreamSawDone := make(chan struct{}), make(chan struct{})
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
		close(upstreamSawDone)
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := llmhttp.New(s.Client(), policy, target).Send(ctx, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodPost, s.URL, nil)
		})
		errc <- err
	}()
	<-arrived
	cancel()
	guard := time.After(10 * time.Second) // a hang guard, not a timing assertion
	select {
	case <-upstreamSawDone:
	case <-guard:
		t.Fatal("the upstream never saw its request context end")
	}
	if err := <-errc; domain.KindOf(err) != domain.KindCanceled {
		t.Errorf("err = %v, want canceled", err)
	}
	if s.calls.Load() != 1 {
		t.Errorf("a cancelled call must not be retried; calls = %d", s.calls.Load())
	}
}

func TestSlowUpstreamTimesOut(t *testing.T) {
	release := make(chan struct{})
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := send(t, ctx, llmhttp.New(s.Client(), policy, target), s.URL)
	if de := kindOf(t, err); de.Kind != domain.KindTimeout {
		t.Errorf("err = %v, want timeout", err)
	}
	if s.calls.Load() != 1 {
		t.Errorf("calls = %d: no retry once the deadline has passed", s.calls.Load())
	}
}

// The provider's id is echoed in a header, a body and the logs, so it
// must pass the X-Request-ID rule; one that fails is dropped, and the next
// header the provider may use is tried.
func TestUpstreamRequestIDMustBeSafeToEcho(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		name         string
		apim, xreqid string
		want         string
	}{
		{"valid", "apim-1", "", "apim-1"},
		{"128 bytes", strings.Repeat("b", 128), "", strings.Repeat("b", 128)},
		{"too long", long, "", ""},
		{"space", "a b", "", ""},
		{"tab and quote", "a\t\"b", "", ""},
		{"non-ASCII", "réq", "", ""},
		{"invalid first, valid second", long, "xr-2", "xr-2"},
	}
	tg := target
	tg.RequestIDHeaders = []string{"apim-request-id", "x-request-id"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := []string{"apim-request-id", tt.apim, "x-request-id", tt.xreqid}
			s := newScripted(t, status(500, ids...), status(200, ids...))
			c := llmhttp.New(s.Client(), llmhttp.Policy{}, tg)
			_, err := send(t, context.Background(), c, s.URL)
			if got := kindOf(t, err).UpstreamRequestID; got != tt.want {
				t.Errorf("error's id = %q, want %q", got, tt.want)
			}
			resp, err := send(t, context.Background(), c, s.URL)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.RequestID(resp.Header); got != tt.want {
				t.Errorf("RequestID = %q, want %q", got, tt.want)
			}
		})
	}
}

// An upstream error body is logged through the cause, so whatever it
// quotes (our key, say, far into a long message) reaches the log only as
// a bounded excerpt.
func TestUpstreamErrorCauseIsABoundedExcerpt(t *testing.T) {
	const key = "sk-ECHOED-0123456789abcdef"
	long := strings.Repeat("é", 400) + " Incorrect API key provided: " + key + strings.Repeat(" pad", 2000) // within what is read of an error body
	bodies := map[string]string{
		"long message": fmt.Sprintf(`{"error":{"code":"invalid_api_key","message":%q}}`, long),
		"long code":    fmt.Sprintf(`{"error":{"code":%q,"message":"no"}}`, strings.Repeat("c", 600)+key),
		"object code":  fmt.Sprintf(`{"error":{"code":{"k":%q},"message":"no"}}`, strings.Repeat("c", 600)+key),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			s := newScripted(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, body)
			})
			_, err := send(t, context.Background(), newClient(s, llmhttp.Policy{}, at("2026-01-01T00:00:00Z")), s.URL)
			cause := kindOf(t, err).Err.Error()
			if len(cause) > 1024 {
				t.Errorf("cause is %d bytes, want a bounded excerpt", len(cause))
			}
			if strings.Contains(cause, key) {
				t.Errorf("cause quotes what lies past the excerpt: %q", cause)
			}
			if !utf8.ValidString(cause) || !strings.HasPrefix(cause, "status 401") {
				t.Errorf("cause = %q, want valid UTF-8 naming the status", cause)
			}
		})
	}
}
