package llmhttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
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

// fakeClock is a fixed time, for HTTP-date hints.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
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

func newClient(s *scripted, clock *fakeClock) *llmhttp.Client {
	return llmhttp.New(s.Client(), target, llmhttp.WithClock(clock.Now))
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

func at(s string) *fakeClock {
	t, _ := time.Parse(time.RFC3339, s)
	return &fakeClock{now: t}
}

// A throttle or a busy 503 carries the backend's own wait, exactly, for
// the pool's cooldown; the client's Retry-After is the pool's business.
func TestThrottleCarriesTheServersOwnWait(t *testing.T) {
	tests := []struct {
		name  string
		code  int
		hdr   []string
		wait  time.Duration
		fault domain.Fault
	}{
		{"429 seconds", 429, []string{"Retry-After", "2"}, 2 * time.Second, domain.FaultThrottle},
		{"429 fraction", 429, []string{"Retry-After", "0.25"}, 250 * time.Millisecond, domain.FaultThrottle},
		{"429 milliseconds preferred", 429, []string{"retry-after-ms", "1500", "Retry-After", "9"}, 1500 * time.Millisecond, domain.FaultThrottle},
		{"429 HTTP date", 429, []string{"Retry-After", "Thu, 01 Jan 2026 00:00:07 GMT"}, 7 * time.Second, domain.FaultThrottle},
		{"429 huge is held, not wrapped", 429, []string{"Retry-After", "1e300"}, time.Duration(math.MaxInt32) * time.Second, domain.FaultThrottle},
		{"429 without a hint", 429, nil, 0, domain.FaultThrottle},
		{"503 naming a wait is busy", 503, []string{"Retry-After", "3"}, 3 * time.Second, domain.FaultThrottle},
		{"503 without a wait failed", 503, nil, 0, domain.FaultTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t, status(tt.code, tt.hdr...))
			_, err := send(t, context.Background(), newClient(s, at("2026-01-01T00:00:00Z")), s.URL)
			if de := kindOf(t, err); de.RetryAfter != tt.wait || de.Fault != tt.fault || s.calls.Load() != 1 {
				t.Errorf("wait %v fault %v after %d calls; want %v, %v and one call", de.RetryAfter, de.Fault, s.calls.Load(), tt.wait, tt.fault)
			}
		})
	}
}

// TestStatusMapping is the one table of upstream statuses: the kind a
// client sees and whose fault it was, which decides failover.
func TestStatusMapping(t *testing.T) {
	tests := []struct {
		code  int
		kind  domain.Kind
		fault domain.Fault
		msg   string
	}{
		{400, domain.KindUpstream, domain.FaultRequest, "Upstream rejected the request"},
		{401, domain.KindUpstream, domain.FaultBackend, "upstream authentication failed"},
		{403, domain.KindUpstream, domain.FaultBackend, "upstream authentication failed"},
		{404, domain.KindUpstream, domain.FaultBackend, `model not found: "m1"`},
		{418, domain.KindUpstream, domain.FaultRequest, "Upstream rejected the request"},
		{429, domain.KindThrottled, domain.FaultThrottle, "Upstream is rate limiting requests; retry later"},
		{500, domain.KindUpstream, domain.FaultTransient, "Upstream returned status 500"},
		{502, domain.KindUpstream, domain.FaultTransient, "Upstream returned status 502"},
		{504, domain.KindUpstream, domain.FaultTransient, "Upstream returned status 504"},
	}
	for _, tt := range tests {
		s := newScripted(t, status(tt.code, "x-request-id", "rid"))
		c := newClient(s, at("2026-01-01T00:00:00Z"))
		_, err := send(t, context.Background(), c, s.URL)
		de := kindOf(t, err)
		if de.Kind != tt.kind || de.Fault != tt.fault || de.Msg != tt.msg || de.UpstreamRequestID != "rid" {
			t.Errorf("%d: got %q %v %q %q", tt.code, de.Kind, de.Fault, de.Msg, de.UpstreamRequestID)
		}
		if de.Err == nil || !strings.Contains(de.Err.Error(), "from upstream") {
			t.Errorf("%d: the upstream's message must stay in the private cause: %v", tt.code, de.Err)
		}
	}
}

func TestContentFilterHookDecides400(t *testing.T) {
	s := newScripted(t, status(400))
	tg := target
	tg.Filtered = func(body []byte) ([]string, bool) {
		return []string{"hate"}, strings.Contains(string(body), "from upstream")
	}
	c := llmhttp.New(s.Client(), tg)
	_, err := send(t, context.Background(), c, s.URL)
	if de := kindOf(t, err); de.Kind != domain.KindContentFiltered || de.Fault != domain.FaultRequest || len(de.Categories) != 1 {
		t.Errorf("err = %+v", de)
	}
}

func TestConnectionResetIsATransientFailure(t *testing.T) {
	s := newScripted(t, reset)
	_, err := send(t, context.Background(), newClient(s, at("2026-01-01T00:00:00Z")), s.URL)
	if de := kindOf(t, err); de.Kind != domain.KindUpstream || de.Fault != domain.FaultTransient || de.Msg != "Upstream is unreachable" {
		t.Errorf("err = %#v", err)
	}
	if s.calls.Load() != 1 {
		t.Errorf("calls = %d: one attempt per call; retries are the pool's", s.calls.Load())
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
		_, err := llmhttp.New(s.Client(), target).Send(ctx, func(ctx context.Context) (*http.Request, error) {
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
	_, err := send(t, ctx, llmhttp.New(s.Client(), target), s.URL)
	if de := kindOf(t, err); de.Kind != domain.KindTimeout {
		t.Errorf("err = %v, want timeout", err)
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
			c := llmhttp.New(s.Client(), tg)
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
			_, err := send(t, context.Background(), newClient(s, at("2026-01-01T00:00:00Z")), s.URL)
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
