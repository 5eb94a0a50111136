package llmhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
)

// Go resends custom headers such as api-key on a cross-host redirect, so
// the shared client must never follow one: a 3xx is an upstream failure
// whose message names no URL.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			var elsewhere, keys atomic.Int32
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				elsewhere.Add(1)
				if r.Header.Get("api-key") != "" {
					keys.Add(1)
				}
			}))
			t.Cleanup(other.Close)
			location := other.URL + "/steal?key=1"
			s := newScripted(t, status(code, "Location", location))
			c := llmhttp.New(llmhttp.NewHTTPClient(0), target)
			resp, err := c.Send(context.Background(), func(ctx context.Context) (*http.Request, error) {
				r, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, strings.NewReader(`{}`))
				if err == nil {
					r.Header.Set("api-key", "secret-key")
				}
				return r, err
			})
			if resp != nil {
				_ = resp.Body.Close()
			}
			if n := elsewhere.Load(); n != 0 {
				t.Fatalf("the redirect target was called %d times, %d with the api-key", n, keys.Load())
			}
			de := kindOf(t, err)
			if de.Kind != domain.KindUpstream {
				t.Errorf("kind = %q, want upstream (502)", de.Kind)
			}
			if strings.Contains(de.Msg, "http") || strings.Contains(de.Msg, "127.0.0.1") || strings.Contains(de.Msg, "steal") {
				t.Errorf("message %q names a URL", de.Msg)
			}
			if n := s.calls.Load(); n != 1 {
				t.Errorf("upstream calls = %d, want 1: a redirect is not retried", n)
			}
		})
	}
}
