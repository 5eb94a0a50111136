package llmhttp

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// maxErrorBody bounds how much of an error body we read.
const maxErrorBody = 64 << 10

// errorBody is the OpenAI-style error envelope that compatible servers share.
type errorBody struct {
	Error struct {
		Code    any    `json:"code"` // a string on most servers, a number on some
		Message string `json:"message"`
	} `json:"error"`
}

// classify turns a non-2xx response into the domain error a client will
// see; the upstream's own words go to the cause, for logs only.
func (c *Client) classify(resp *http.Response) *domain.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	drain(resp.Body)
	cause := upstreamCause(resp.StatusCode, raw)
	status := resp.StatusCode
	var e *domain.Error
	switch {
	case status == http.StatusBadRequest && c.target.Filtered != nil:
		if cats, ok := c.target.Filtered(raw); ok {
			e = domain.ContentFiltered(cats, cause)
			break
		}
		e = domain.Upstream(c.target.Name+" rejected the request", cause)
	case status >= 300 && status < 400:
		// The Location is left out: it is the upstream's, and may carry anything.
		e = domain.Upstream(c.target.Name+" answered with a redirect, which is never followed", cause)
	case status == http.StatusBadRequest:
		e = domain.Upstream(c.target.Name+" rejected the request", cause)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e = domain.Upstream("upstream authentication failed", cause)
	case status == http.StatusNotFound:
		e = domain.Upstream(fmt.Sprintf("%s not found: %q", c.target.ResourceKind, c.target.Resource), cause)
	case status == http.StatusTooManyRequests:
		e = domain.Throttled(c.target.Name+" is rate limiting requests; retry later", clientRetryAfter(resp, c.now()), cause)
	default:
		e = domain.Upstream(fmt.Sprintf("%s returned status %d", c.target.Name, status), cause)
	}
	e.UpstreamRequestID = c.RequestID(resp.Header)
	return e
}

// clientRetryAfter passes the server's own hint on, uncapped and rounded
// up to whole seconds; one second when it named none.
func clientRetryAfter(resp *http.Response, now time.Time) time.Duration {
	d, ok := serverWait(resp.Header, now)
	if !ok || d < time.Second {
		return time.Second
	}
	return time.Duration(math.Ceil(d.Seconds())) * time.Second
}

func upstreamCause(status int, raw []byte) error {
	var b errorBody
	if json.Unmarshal(raw, &b) == nil && (b.Error.Code != nil || b.Error.Message != "") {
		return fmt.Errorf("status %d: %s", status, upstreamSays(b.Error.Code, b.Error.Message))
	}
	return fmt.Errorf("status %d", status)
}
