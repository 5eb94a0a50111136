package http

import (
	"time"

	"github.com/gin-gonic/gin"
)

// RequestObserver hears about every request, for metrics. The adapter
// names no metrics library; the composition root connects one.
type RequestObserver interface {
	RequestStarted()
	// RequestDone gets the route template (routeUnmatched when no route
	// matched), never the raw path, so label values stay bounded.
	RequestDone(route, method string, status int, elapsed time.Duration)
}

// routeUnmatched labels 404s and 405s: a storm of random paths must not
// create a series per path.
const routeUnmatched = "unmatched"

// observe runs outermost, so a recovered panic's 500 and the whole
// length of a stream are what it reports.
func observe(o RequestObserver) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		o.RequestStarted()
		defer func() {
			route := c.FullPath()
			if route == "" {
				route = routeUnmatched
			}
			o.RequestDone(route, c.Request.Method, c.Writer.Status(), time.Since(start))
		}()
		c.Next()
	}
}

type nopObserver struct{}

func (nopObserver) RequestStarted()                                {}
func (nopObserver) RequestDone(string, string, int, time.Duration) {}
