package http

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"
)

// recovery turns a panic into the masked 500; the stack goes to the log,
// never to the client.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(rec) // the client is gone; let net/http drop the connection
			}
			zerolog.Ctx(c.Request.Context()).Error().
				Str("panic", fmt.Sprint(rec)).Bytes("stack", debug.Stack()).Msg("handler panicked")
			if c.Writer.Written() {
				c.Abort()
				return
			}
			writeError(c, errInternal)
		}()
		c.Next()
	}
}
