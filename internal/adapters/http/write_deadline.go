package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// writeDeadline gives every response a write deadline, timeout from the
// moment it starts to be written: a client that stops reading, or
// pipelines requests and never reads, loses its connection then. It
// starts at the first byte, not at the request, so that a slow model is
// never cut; that is why the server has no WriteTimeout. Streams renew
// it before each event (sseWriter), with the same timeout.
func writeDeadline(timeout time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Writer = &deadlineWriter{ResponseWriter: c.Writer, rc: http.NewResponseController(c.Writer), timeout: timeout}
		c.Next()
	}
}

// deadlineWriter arms the deadline on the first write of any kind. Gin
// writes the status line lazily, at the first of these.
type deadlineWriter struct {
	gin.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	started bool
}

func (w *deadlineWriter) start() {
	if !w.started {
		w.started = true
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout)) // unsupported by test recorders
	}
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(b)
}

func (w *deadlineWriter) WriteString(s string) (int, error) {
	w.start()
	return w.ResponseWriter.WriteString(s)
}

func (w *deadlineWriter) WriteHeaderNow() {
	w.start()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *deadlineWriter) Flush() {
	w.start()
	w.ResponseWriter.Flush()
}

// Unwrap lets http.ResponseController reach the connection, as streams
// need to set their own deadlines.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
