package llmhttp

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// maxErrorBody bounds how much of an error body we read.
const maxErrorBody = 64 << 10

// wireError is the OpenAI-style error object that compatible servers
// share: the body of a failed call, and an error event inside a stream.
type wireError struct {
	Code    any    `json:"code"` // a string on most servers, a number on some
	Message string `json:"message"`
}

func (e wireError) says() string { return upstreamSays(e.Code, e.Message) }

// classify turns a non-2xx response into the domain error a client will
// see, with the Fault that tells the pool what to do next; the
// upstream's own words go to the cause, for logs only.
func (c *Client) classify(resp *http.Response) *domain.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	drain(resp.Body)
	cause := upstreamCause(resp.StatusCode, raw)
	status := resp.StatusCode
	wait, hinted := serverWait(resp.Header, c.now())
	var e *domain.Error
	switch {
	case status >= 300 && status < 400: // the Location is the upstream's, and may carry anything: left out
		e = domain.Upstream(c.target.Name+" answered with a redirect, which is never followed", cause)
		e.Fault = domain.FaultBackend
	case status == http.StatusBadRequest && c.target.Filtered != nil && filtered(c.target.Filtered, raw, &e, cause):
		e.Fault = domain.FaultRequest
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e = domain.Upstream("upstream authentication failed", cause)
		e.Fault = domain.FaultBackend
	case status == http.StatusNotFound:
		e = domain.Upstream(fmt.Sprintf("%s not found: %q", c.target.ResourceKind, c.target.Resource), cause)
		e.Fault = domain.FaultBackend
	case status == http.StatusTooManyRequests:
		e = domain.Throttled(c.target.Name+" is rate limiting requests; retry later", wait, cause)
		e.Fault = domain.FaultThrottle
	case status < 500:
		e = domain.Upstream(c.target.Name+" rejected the request", cause) // a context too long, say: no backend would take it
		e.Fault = domain.FaultRequest
	default:
		e = domain.Upstream(fmt.Sprintf("%s returned status %d", c.target.Name, status), cause)
		e.Fault = domain.FaultTransient
		if status == http.StatusServiceUnavailable && hinted {
			e.Fault, e.RetryAfter = domain.FaultThrottle, wait // busy, and it said for how long
		}
	}
	e.UpstreamRequestID = c.RequestID(resp.Header)
	return e
}

// filtered sets *e to a content-filter refusal when the 400's body is one.
func filtered(isFilter func([]byte) ([]string, bool), raw []byte, e **domain.Error, cause error) bool {
	cats, ok := isFilter(raw)
	if ok {
		*e = domain.ContentFiltered(cats, cause)
	}
	return ok
}

func upstreamCause(status int, raw []byte) error {
	var b struct {
		Error wireError `json:"error"`
	}
	if json.Unmarshal(raw, &b) == nil && (b.Error.Code != nil || b.Error.Message != "") {
		return fmt.Errorf("status %d: %s", status, b.Error.says())
	}
	return fmt.Errorf("status %d", status)
}
