package llmhttp

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// serverWait reads the upstream's own wait: retry-after-ms, then
// Retry-After in seconds or as an HTTP date.
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
