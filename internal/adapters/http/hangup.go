package http

import (
	"context"
	"sync"
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
		w := &hangUpWatch{rc: rc, every: every, cancel: cancel}
		w.start()
		defer w.stop()
		c.Next()
	}
}

// hangUpWatch polls on a timer rather than in a goroutine of its own: a
// call shorter than one poll, the common case, costs one timer and no
// goroutine at all.
type hangUpWatch struct {
	rc     syscall.RawConn
	every  time.Duration
	cancel context.CancelFunc
	mu     sync.Mutex // timer and done: a check may run as the request ends
	timer  *time.Timer
	done   bool
}

func (w *hangUpWatch) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(w.every, w.check)
}

func (w *hangUpWatch) check() {
	if peerHungUp(w.rc) {
		w.cancel()
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.timer.Reset(w.every)
	}
}

// stop ends the watch; a check already running does not re-arm it.
func (w *hangUpWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	w.timer.Stop()
}
