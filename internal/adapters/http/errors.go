package http

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// statusByKind is the one table from domain kinds to HTTP statuses.
var statusByKind = map[domain.Kind]int{
	domain.KindInvalid:         http.StatusBadRequest,
	domain.KindContentFiltered: http.StatusBadRequest,
	domain.KindMisconfigured:   http.StatusInternalServerError,
	domain.KindUpstream:        http.StatusBadGateway,
	domain.KindThrottled:       http.StatusTooManyRequests,
	domain.KindTimeout:         http.StatusGatewayTimeout,
	domain.KindCanceled:        statusClientClosed,
	domain.KindUnavailable:     http.StatusServiceUnavailable,
}

// statusClientClosed is nginx's code for a client that left first; no
// client sees it, but logs and metrics tell it apart from our failures.
const statusClientClosed = 499

const headerUpstreamRequestID = "X-Upstream-Request-ID"

// statusError is a failure of the HTTP exchange itself (media type, size,
// routing, decoding), which the domain knows nothing about. code and
// param feed the OpenAI-style error shape.
type statusError struct {
	status     int
	msg        string
	code       string
	param      string
	retryAfter time.Duration // sent as Retry-After when set
}

func (e *statusError) Error() string { return e.msg }

var (
	errNotFound         = &statusError{status: http.StatusNotFound, msg: "Resource not found", code: "not_found"}
	errMethodNotAllowed = &statusError{status: http.StatusMethodNotAllowed, msg: "Method not allowed", code: "method_not_allowed"}
	errInternal         = &statusError{status: http.StatusInternalServerError, msg: "Internal server error", code: "internal_error"}
)

// failure is what a client is told, before it is put in either shape.
type failure struct {
	status            int
	msg               string
	code              string
	param             string
	upstreamRequestID string
	categories        []string
	retryAfter        time.Duration
}

// codeByKind names domain kinds in the OpenAI-style shape.
var codeByKind = map[domain.Kind]string{
	domain.KindInvalid:         "invalid_value",
	domain.KindContentFiltered: "content_filter",
	domain.KindMisconfigured:   "misconfigured",
	domain.KindUpstream:        "upstream_error",
	domain.KindThrottled:       "rate_limit_exceeded",
	domain.KindTimeout:         "upstream_timeout",
	domain.KindCanceled:        "client_closed_request",
	domain.KindUnavailable:     "service_unavailable",
}

type errorBody struct {
	Error             string   `json:"error"`
	CorrelationID     string   `json:"correlation_id"`
	UpstreamRequestID string   `json:"upstream_request_id,omitempty"`
	Categories        []string `json:"categories,omitempty"`
}

// writeError answers with the error shape of the route's API: the
// reference's for /api, OpenAI's under /v1. Anything it does not
// recognise is a masked 500; the detail goes to the log only.
func writeError(c *gin.Context, err error) {
	f := describeError(c, err)
	if f.retryAfter > 0 || f.status == http.StatusTooManyRequests || f.status == http.StatusServiceUnavailable {
		// Whole seconds, at least one: a hint in milliseconds, or none,
		// must still tell a client to wait rather than retry at once.
		c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(f.retryAfter.Seconds())))))
	}
	if f.upstreamRequestID != "" {
		c.Header(headerUpstreamRequestID, f.upstreamRequestID)
	}
	if isOpenAIRoute(c) {
		c.AbortWithStatusJSON(f.status, openAIErrorOf(f))
		return
	}
	c.AbortWithStatusJSON(f.status, apiErrorOf(c, f))
}

func apiErrorOf(c *gin.Context, f failure) errorBody {
	return errorBody{Error: f.msg, CorrelationID: correlationID(c), UpstreamRequestID: f.upstreamRequestID, Categories: f.categories}
}

// describeError decides what err means for a client and logs what the
// client is not shown. Streams use it too, for their error events.
func describeError(c *gin.Context, err error) failure {
	if cause := shutdownCause(c.Request.Context()); cause != nil {
		err = cause // a cancelled upstream call is our doing, not the client's
	}
	f := failure{status: errInternal.status, msg: errInternal.msg, code: errInternal.code}
	var se *statusError
	var de *domain.Error
	switch {
	case errors.As(err, &se):
		f.status, f.msg, f.code, f.param, f.retryAfter = se.status, se.msg, se.code, se.param, se.retryAfter
	case errors.As(err, &de) && statusByKind[de.Kind] != 0:
		f = failure{status: statusByKind[de.Kind], msg: de.Msg, code: codeByKind[de.Kind], param: de.Field,
			upstreamRequestID: de.UpstreamRequestID, categories: de.Categories, retryAfter: de.RetryAfter}
	default:
		de = nil
	}
	log := zerolog.Ctx(c.Request.Context())
	if f.status >= http.StatusInternalServerError {
		log.Error().Err(err).Int("status", f.status).Msg("request failed")
	} else if de != nil && de.Err != nil {
		log.Warn().Err(err).Int("status", f.status).Msg("request failed")
	}
	return f
}
