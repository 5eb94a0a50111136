package http

import "github.com/gin-gonic/gin"

// securityHeaders go on every response, errors included. The service
// only ever answers JSON or event streams, so nothing should sniff,
// frame, cache or leak a referrer from them.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store") // answers are per caller and often paid for
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		c.Next()
	}
}
