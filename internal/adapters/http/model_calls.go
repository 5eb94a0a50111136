package http

import "github.com/gin-gonic/gin"

// modelCallGuards run on the routes that call the model, and there only:
// what they protect is a billed upstream call in flight.
func modelCallGuards(opts Options) []gin.HandlerFunc {
	var hs []gin.HandlerFunc
	if n := opts.Security.MaxConcurrentPerCaller; n > 0 {
		hs = append(hs, limitPerCaller(n))
	}
	return append(hs, cancelOnHangUp(hangUpPoll))
}
