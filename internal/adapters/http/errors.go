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

// Failures of the HTTP exchange itself, which the domain knows nothing
// about. They are domain.Kinds too, so that one table renders every
// failure the service can answer with.
const (
	kindBadRequest         domain.Kind = "invalid_request"
	kindInvalidType        domain.Kind = "invalid_type"
	kindMissingParam       domain.Kind = "missing_required_parameter"
	kindConflictingFraming domain.Kind = "conflicting_framing"
	kindMissingKey         domain.Kind = "missing_api_key"
	kindInvalidKey         domain.Kind = "invalid_api_key"
	kindOriginNotAllowed   domain.Kind = "origin_not_allowed"
	kindNotFound           domain.Kind = "not_found"
	kindMethodNotAllowed   domain.Kind = "method_not_allowed"
	kindTooLarge           domain.Kind = "request_too_large"
	kindUnsupportedMedia   domain.Kind = "unsupported_media_type"
	kindRateLimited        domain.Kind = "rate_limit_exceeded"
	kindTokensLimited      domain.Kind = "token_rate_limit_exceeded"
	kindQuotaExceeded      domain.Kind = "insufficient_quota"
	kindAdminOnly          domain.Kind = "admin_key_required"
	kindAuthLockout        domain.Kind = "too_many_auth_failures"
	kindCallerBusy         domain.Kind = "too_many_concurrent_requests"
	kindShuttingDown       domain.Kind = "server_shutting_down"
	kindInternal           domain.Kind = "internal_error"
)

// rendering is how one kind of failure is answered: its status, its
// code in OpenAI's shape, and the message fail gives it by default.
type rendering struct {
	status int
	code   string
	msg    string
}

// errorTable is the one table from failures to answers, for both
// surfaces and for stream error events alike.
var errorTable = map[domain.Kind]rendering{
	domain.KindInvalid:         {http.StatusBadRequest, "invalid_value", ""},
	domain.KindContentFiltered: {http.StatusBadRequest, "content_filter", ""},
	domain.KindUnknownModel:    {http.StatusNotFound, "model_not_found", ""},
	domain.KindUnsupported:     {http.StatusBadRequest, "unsupported_parameter", ""},
	domain.KindThrottled:       {http.StatusTooManyRequests, "rate_limit_exceeded", ""},
	domain.KindMisconfigured:   {http.StatusInternalServerError, "misconfigured", ""},
	domain.KindUpstream:        {http.StatusBadGateway, "upstream_error", ""},
	domain.KindUnavailable:     {http.StatusServiceUnavailable, "service_unavailable", ""},
	domain.KindTimeout:         {http.StatusGatewayTimeout, "upstream_timeout", ""},
	domain.KindCanceled:        {statusClientClosed, "client_closed_request", ""},

	kindBadRequest:         {http.StatusBadRequest, "invalid_request", ""},
	kindInvalidType:        {http.StatusBadRequest, "invalid_type", ""},
	kindMissingParam:       {http.StatusBadRequest, "missing_required_parameter", ""},
	kindConflictingFraming: {http.StatusBadRequest, "conflicting_framing", "The request has both Content-Length and Transfer-Encoding; send only one of them"},
	kindMissingKey:         {http.StatusUnauthorized, "missing_api_key", "An API key is required: send Authorization: Bearer <key> or X-API-Key"},
	kindInvalidKey:         {http.StatusUnauthorized, "invalid_api_key", "The API key is not valid"},
	kindOriginNotAllowed:   {http.StatusForbidden, "origin_not_allowed", "This origin is not allowed to call the service"},
	kindNotFound:           {http.StatusNotFound, "not_found", "Resource not found"},
	kindMethodNotAllowed:   {http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed"},
	kindTooLarge:           {http.StatusRequestEntityTooLarge, "request_too_large", ""},
	kindUnsupportedMedia:   {http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json"},
	kindRateLimited:        {http.StatusTooManyRequests, "rate_limit_exceeded", "Rate limit exceeded for this caller; retry later"},
	kindTokensLimited:      {http.StatusTooManyRequests, "rate_limit_exceeded", "Token rate limit exceeded for this caller; retry later"},
	kindQuotaExceeded:      {http.StatusTooManyRequests, "insufficient_quota", "This caller's token quota is used up until the period resets"},
	kindAdminOnly:          {http.StatusForbidden, "admin_key_required", "This route needs a key from ADMIN_API_KEYS"},
	kindAuthLockout:        {http.StatusTooManyRequests, "too_many_auth_failures", "Too many wrong API keys from this address; retry later"},
	kindCallerBusy:         {http.StatusTooManyRequests, "too_many_concurrent_requests", "This caller has too many model calls in flight; retry when one ends"},
	kindShuttingDown:       {http.StatusServiceUnavailable, "server_shutting_down", "The server is shutting down; retry the request"},
	kindInternal:           {http.StatusInternalServerError, "internal_error", "Internal server error"},
}

// statusClientClosed is nginx's code for a client that left first; no
// client sees it, but logs and metrics tell it apart from our failures.
const statusClientClosed = 499

const headerUpstreamRequestID = "X-Upstream-Request-Id" // canonical: Set copies any other spelling

// headerShouldRetry is the OpenAI SDKs' own override of their retry
// rules, which would otherwise retry every 5xx and 429 on top of ours.
const headerShouldRetry = "X-Should-Retry"

// shouldRetry tells an OpenAI SDK whether retrying can help: not after
// a 5xx the service already retried (502, 504) or can never serve (500,
// misconfigured), nor a spent quota; yes, after Retry-After, for the
// other 429s and every 503. Other statuses keep the SDKs' own rules.
func shouldRetry(f failure) string {
	switch {
	case f.code == "insufficient_quota":
		return "false"
	case f.status == http.StatusTooManyRequests || f.status == http.StatusServiceUnavailable:
		return "true"
	case f.status >= http.StatusInternalServerError:
		return "false"
	}
	return ""
}

// fail builds one of the adapter's own failures; an empty msg takes the
// table's.
func fail(kind domain.Kind, msg string) *domain.Error {
	if msg == "" {
		msg = errorTable[kind].msg
	}
	return &domain.Error{Kind: kind, Msg: msg}
}

// failField is fail naming the request field at fault.
func failField(kind domain.Kind, field, msg string) *domain.Error {
	e := fail(kind, msg)
	e.Field = field
	return e
}

// errInternal is what anything the table does not know becomes.
var errInternal = fail(kindInternal, "")

// failure is err resolved through the table: what a client is told.
type failure struct {
	rendering
	*domain.Error
}

// describeError resolves err and logs what the client is not shown.
// Anything the table does not know is the masked 500. Streams use it
// too, for their error events.
func describeError(c *gin.Context, err error) failure {
	if cause := shutdownCause(c.Request.Context()); cause != nil {
		err = cause // a cancelled upstream call is our doing, not the client's
	}
	var de *domain.Error
	r, known := rendering{}, false
	if errors.As(err, &de) {
		r, known = errorTable[de.Kind]
	}
	if !known {
		de, r = errInternal, errorTable[kindInternal]
	}
	log := zerolog.Ctx(c.Request.Context())
	switch {
	case r.status >= http.StatusInternalServerError:
		log.Error().Err(err).Int("status", r.status).Msg("request failed")
	case de.Err != nil:
		log.Warn().Err(err).Int("status", r.status).Msg("request failed")
	}
	return failure{rendering: r, Error: de}
}

// writeError answers in the error shape of the request's surface: the
// reference's for /api, OpenAI's under /v1 (see shapeOf).
func writeError(c *gin.Context, err error) {
	f := describeError(c, err)
	if f.RetryAfter > 0 || f.status == http.StatusTooManyRequests || f.status == http.StatusServiceUnavailable {
		// Whole seconds, at least one: a hint in milliseconds, or none,
		// must still tell a client to wait rather than retry at once.
		c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(f.RetryAfter.Seconds())))))
	}
	if f.UpstreamRequestID != "" {
		c.Header(headerUpstreamRequestID, f.UpstreamRequestID)
	}
	if shapeOf(c) == openAIShape {
		if retry := shouldRetry(f); retry != "" {
			c.Header(headerShouldRetry, retry)
		}
		c.AbortWithStatusJSON(f.status, openAIErrorOf(f))
		return
	}
	c.AbortWithStatusJSON(f.status, apiErrorOf(c, f))
}

type errorBody struct {
	Error             string   `json:"error"`
	CorrelationID     string   `json:"correlation_id"`
	UpstreamRequestID string   `json:"upstream_request_id,omitempty"`
	Categories        []string `json:"categories,omitempty"`
}

func apiErrorOf(c *gin.Context, f failure) errorBody {
	return errorBody{Error: f.Msg, CorrelationID: correlationID(c), UpstreamRequestID: f.UpstreamRequestID, Categories: f.Categories}
}

// retryIn is a wait a client is told about, for errors made here.
func retryIn(e *domain.Error, d time.Duration) *domain.Error {
	e.RetryAfter = d
	return e
}
