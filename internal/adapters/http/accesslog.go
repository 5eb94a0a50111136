package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
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
// When one upstream attempt served the request, the entry is written
// through that attempt's logger and carries its upstream fields, in
// place of its own "upstream call" line: one line, one write, per
// request. Several attempts each keep their own line.
func accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		path := c.Request.URL.Path
		calls := c.MustGet(callLogKey).(*llmhttp.CallLog) // correlate, just before, put it there
		defer calls.Close()                               // a panic past recovery writes no access line: the held one still goes out
		c.Next()
		status := c.Writer.Status()
		log := zerolog.Ctx(c.Request.Context()) // the one the attempts logged through too
		call := calls.Fold()
		ev := log.Info()
		switch {
		case c.GetBool(quietKey):
			ev = log.Debug()
		case status >= http.StatusInternalServerError:
			ev = log.Error()
		}
		if call != nil {
			call.Named(ev) // model, backend and attempt, as on the line it stands for
		}
		ev.Str("method", c.Request.Method).
			Str("path", path).
			Int("status", status).
			Float64("latency_ms", float64(time.Since(start).Microseconds())/1000).
			Str("client_ip", clientIP(c)).
			Int("bytes", max(c.Writer.Size(), 0))
		if call != nil {
			call.Fields(ev)
		}
		ev.Msg(c.Request.Method + " " + path + " " + strconv.Itoa(status))
	}
}
