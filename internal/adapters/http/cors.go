package http

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

var errOriginNotAllowed = fail(kindOriginNotAllowed, "")

// corsPolicy answers preflights for the allowed origins and lets their
// pages read responses. A request from another origin still runs without
// CORS headers, so the browser withholds the answer; a JSON POST from
// such a page never gets that far, since its preflight is refused. No
// credentials are allowed: keys travel in headers, never cookies.
func corsPolicy(origins []string) gin.HandlerFunc {
	allowed := make(map[string]bool, len(origins))
	anyOrigin := false
	for _, o := range origins {
		if o == "*" {
			anyOrigin = true
		}
		allowed[strings.ToLower(o)] = true
	}
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Add("Vary", "Origin")
		preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
		if !anyOrigin && !allowed[strings.ToLower(origin)] {
			if preflight {
				writeError(c, errOriginNotAllowed)
				return
			}
			c.Next()
			return
		}
		if anyOrigin {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if preflight {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-API-Key, X-Request-ID, traceparent, tracestate")
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", "X-Request-ID, X-Upstream-Request-ID, Retry-After, X-Should-Retry, "+limitHeaders)
		c.Next()
	}
}
