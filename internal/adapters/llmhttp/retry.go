package llmhttp

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryWait honours the server's hint, capped, else backs off.
func (c *Client) retryWait(resp *http.Response, attempt int) (time.Duration, bool) {
	if d, ok := serverWait(resp.Header, c.now()); ok {
		return min(d, c.policy.MaxRetryWait), true
	}
	return c.backoff(attempt), false
}

// backoff is exponential with equal jitter: never zero, never above the cap.
func (c *Client) backoff(attempt int) time.Duration {
	d := float64(c.policy.BaseBackoff) * math.Pow(2, float64(attempt))
	d = min(d, float64(c.policy.MaxBackoff))
	return time.Duration(d/2 + c.jitter()*d/2)
}

// serverWait reads retry-after-ms, then Retry-After in seconds or as an
// HTTP date.
func serverWait(h http.Header, now time.Time) (time.Duration, bool) {
	if v := h.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return saturated(ms / 1000), true
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return saturated(s), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// saturated converts seconds to a Duration, holding absurd hints at
// about 68 years: converted as they are, they would wrap negative and
// turn "wait very long" into "retry at once".
func saturated(seconds float64) time.Duration {
	return time.Duration(min(seconds, math.MaxInt32) * float64(time.Second))
}
