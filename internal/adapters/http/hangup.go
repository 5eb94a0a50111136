package http

import (
	"context"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

// hangUpPoll is how often a model call looks for a client that left.
const hangUpPoll = 200 * time.Millisecond

// cancelOnHangUp cancels the request, as net/http does for a client that
// disconnects, when the peer hangs up while a model call runs. net/http
// stops watching the connection once it has read a byte of a next
// (pipelined) request, so a client that sends one byte and leaves would
// otherwise keep its upstream call running to the end. Where the socket
// cannot be polled (no Linux), this does nothing.
func cancelOnHangUp(every time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		rc := rawConn(connOf(c.Request.Context()))
		if !canPollHangUp || rc == nil {
			c.Next()
			return
		}
		ctx, cancel := context.WithCancel(c.Request.Context())
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		done := make(chan struct{})
		defer close(done)
		go watchHangUp(rc, every, done, cancel)
		c.Next()
	}
}

func watchHangUp(rc syscall.RawConn, every time.Duration, done <-chan struct{}, cancel context.CancelFunc) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			if peerHungUp(rc) {
				cancel()
				return
			}
		}
	}
}
