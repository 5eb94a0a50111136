package http

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/domain"
)

// statusByKind is the one table from domain kinds to HTTP statuses.
var statusByKind = map[domain.Kind]int{
	domain.KindInvalid:       http.StatusBadRequest,
	domain.KindUpstream:      http.StatusBadGateway,
	domain.KindMisconfigured: http.StatusInternalServerError,
}

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
	Error         string `json:"error"`
	CorrelationID string `json:"correlation_id"`
}

// writeError answers with the shared error shape. Anything it does not
// recognise is a masked 500; the detail goes to the log only.
func writeError(c *gin.Context, err error) {
	status, msg := errInternal.status, errInternal.msg
	var se *statusError
	var de *domain.Error
	switch {
	case errors.As(err, &se):
		status, msg = se.status, se.msg
	case errors.As(err, &de) && statusByKind[de.Kind] != 0:
		status, msg = statusByKind[de.Kind], de.Msg
	}
	if status >= http.StatusInternalServerError {
		zerolog.Ctx(c.Request.Context()).Error().Err(err).Int("status", status).Msg("request failed")
	}
	c.AbortWithStatusJSON(status, errorBody{Error: msg, CorrelationID: correlationID(c)})
}
