package http

import (
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
)

const (
	headerRequestID = "X-Request-Id" // canonical, so Get and Set need no copy; the wire spelling is the same
	correlationKey  = "correlation_id"
	callLogKey      = "call_log"
)

// correlate picks or makes the request's correlation id, echoes it, and
// puts a logger carrying it into the request context, so every later log
// line, adapters included, names the same id.
func correlate(log zerolog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(headerRequestID)
		if !domain.ValidRequestID(id) {
			id = uuid.NewString() // replaced, never truncated: a cut id would mislead
		}
		c.Set(correlationKey, id)
		c.Header(headerRequestID, id)
		l := traced(c, log.With().Str(correlationKey, id)).Logger()
		ctx := domain.WithCorrelationID(l.WithContext(c.Request.Context()), id)
		ctx, calls := llmhttp.WithCallLog(ctx) // for accessLog, which runs next: one request copy for both
		c.Set(callLogKey, calls)
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

func correlationID(c *gin.Context) string { return c.GetString(correlationKey) }
