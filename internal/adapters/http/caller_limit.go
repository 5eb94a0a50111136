package http

import (
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

var errCallerBusy = retryIn(fail(kindCallerBusy, ""), time.Second)

// limitPerCaller refuses a model call while the caller already has max
// in flight, streams included: the slot is held until the handler
// returns, which for a stream is when it ends. So one slow reader holds
// max slots of MAX_CONCURRENT_UPSTREAM at most, and a stream whose
// client stops reading gives its slot back within the write timeout.
// The count is per process: each replica keeps its own.
func limitPerCaller(max int) gin.HandlerFunc {
	slots := newCallerSlots(max)
	return func(c *gin.Context) {
		caller := callerOf(c)
		if !slots.acquire(caller) {
			writeError(c, errCallerBusy)
			return
		}
		defer slots.release(caller)
		c.Next()
	}
}

// callerBucketKey holds the caller's full key digest once guard has
// checked it; the log's shorter "caller" id could collide.
const callerBucketKey = "caller_bucket"

// callerOf is the caller as the rate limit and the per-caller bound see
// it: the API key when keys are on, else the client address, which
// TRUSTED_PROXIES decides.
func callerOf(c *gin.Context) string {
	if k := c.GetString(callerBucketKey); k != "" {
		return k
	}
	return "ip:" + clientIP(c)
}

// callerSlots counts calls in flight per caller. A caller with none has
// no entry, so memory grows with calls in flight, never with callers seen.
type callerSlots struct {
	max      int
	mu       sync.Mutex
	inFlight map[string]int
}

func newCallerSlots(max int) *callerSlots {
	return &callerSlots{max: max, inFlight: make(map[string]int)}
}

func (s *callerSlots) acquire(caller string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[caller] >= s.max {
		return false
	}
	s.inFlight[caller]++
	return true
}

func (s *callerSlots) release(caller string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[caller]--; s.inFlight[caller] <= 0 {
		delete(s.inFlight, caller)
	}
}
