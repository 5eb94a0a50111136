package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"
)

const quietKey = "quiet_log"

// quiet marks the routes machines poll every few seconds, kubelet probes
// and Prometheus scrapes: their access lines go to DEBUG, so they do not
// bury the requests people read logs for.
func quiet(c *gin.Context) {
	c.Set(quietKey, true)
	c.Next()
}

// accessLog writes one entry per request, in the reference's shape.
func accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		path := c.Request.URL.Path
		c.Next()
		status := c.Writer.Status()
		log := zerolog.Ctx(c.Request.Context())
		ev := log.Info()
		switch {
		case c.GetBool(quietKey):
			ev = log.Debug()
		case status >= http.StatusInternalServerError:
			ev = log.Error()
		}
		ev.Str("method", c.Request.Method).
			Str("path", path).
			Int("status", status).
			Float64("latency_ms", float64(time.Since(start).Microseconds())/1000).
			Str("client_ip", clientIP(c)).
			Int("bytes", max(c.Writer.Size(), 0)).
			Msg(c.Request.Method + " " + path + " " + strconv.Itoa(status))
	}
}
