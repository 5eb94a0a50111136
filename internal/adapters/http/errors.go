package http

import (
	"errors"
	"math"
	"net/http"
	"strconv"

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
}

// statusClientClosed is nginx's code for a client that left first; no
// client sees it, but logs and metrics tell it apart from our failures.
const statusClientClosed = 499

const headerUpstreamRequestID = "X-Upstream-Request-ID"

// statusError is a failure of the HTTP exchange itself (media type, size,
// routing), which the domain knows nothing about.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

var (
	errNotFound         = &statusError{http.StatusNotFound, "Resource not found"}
	errMethodNotAllowed = &statusError{http.StatusMethodNotAllowed, "Method not allowed"}
	errInternal         = &statusError{http.StatusInternalServerError, "Internal server error"}
)

type errorBody struct {
	Error             string   `json:"error"`
	CorrelationID     string   `json:"correlation_id"`
	UpstreamRequestID string   `json:"upstream_request_id,omitempty"`
	Categories        []string `json:"categories,omitempty"`
}

// writeError answers with the shared error shape. Anything it does not
// recognise is a masked 500; the detail goes to the log only.
func writeError(c *gin.Context, err error) {
	status, body, de := describeError(c, err)
	if de != nil && de.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
	}
	if body.UpstreamRequestID != "" {
		c.Header(headerUpstreamRequestID, body.UpstreamRequestID)
	}
	c.AbortWithStatusJSON(status, body)
}

// describeError picks the status and body for err and logs what a client
// is not shown. Streams use it too, for their error events.
func describeError(c *gin.Context, err error) (int, errorBody, *domain.Error) {
	body := errorBody{Error: errInternal.msg, CorrelationID: correlationID(c)}
	status := errInternal.status
	var se *statusError
	var de *domain.Error
	switch {
	case errors.As(err, &se):
		status, body.Error = se.status, se.msg
	case errors.As(err, &de) && statusByKind[de.Kind] != 0:
		status, body.Error = statusByKind[de.Kind], de.Msg
		body.UpstreamRequestID, body.Categories = de.UpstreamRequestID, de.Categories
	default:
		de = nil
	}
	log := zerolog.Ctx(c.Request.Context())
	if status >= http.StatusInternalServerError {
		log.Error().Err(err).Int("status", status).Msg("request failed")
	} else if de != nil && de.Err != nil {
		log.Warn().Err(err).Int("status", status).Msg("request failed")
	}
	return status, body, de
}
