package http

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

var errConflictingFraming = fail(kindConflictingFraming, "")

// refuseConflictingFraming answers 400 and closes the connection when
// the request's header carried both Content-Length and
// Transfer-Encoding, as RFC 9112 asks: the two disagree on where the
// body ends, which is how requests are smuggled past a proxy. net/http
// deletes Content-Length before any handler runs, so the connection's
// sniffer saw it on the raw bytes. Every request must pass here, since
// requests are matched to the sniffer's by counting.
func refuseConflictingFraming() gin.HandlerFunc {
	return func(c *gin.Context) {
		if tc, ok := connOf(c.Request.Context()).(*trackedConn); ok && tc.conflicting(c.Request) {
			c.Header("Connection", "close")
			writeError(c, errConflictingFraming)
			return
		}
		c.Next()
	}
}

// conflicting numbers this request and says whether the sniffer found
// both framing headers in its header block. The request line must match
// too, so that were the count ever out of step, no request is refused
// for another's header.
func (c *trackedConn) conflicting(r *http.Request) bool {
	n := c.nextRequest()
	return c.framing.conflict.Load() == n && c.framing.refused.is(r.Method+" "+r.RequestURI+" "+r.Proto)
}
