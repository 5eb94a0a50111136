package http

import (
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func newTestThrottle(limit, maxAddrs int) (*authThrottle, *fakeClock) {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	return newAuthThrottle(AuthThrottle{FailuresPerMinute: limit, MaxAddrs: maxAddrs, Now: clk.Now}), clk
}

func TestAuthThrottleLocksAnAddressOutUntilItsMinuteIsOver(t *testing.T) {
	th, clk := newTestThrottle(3, 100)
	for i := range 3 {
		if _, wait, _ := th.admit("198.51.100.1", true); wait != 0 {
			t.Fatalf("failure %d refused", i+1)
		}
		clk.now = clk.now.Add(10 * time.Second)
	}
	_, wait, first := th.admit("198.51.100.1", true)
	if wait != 30*time.Second || !first {
		t.Fatalf("after 3 failures in 30s: wait %v first %v, want the 30s left of the minute, first refusal", wait, first)
	}
	if _, wait, first := th.admit("198.51.100.1", false); wait != 30*time.Second || first {
		t.Errorf("a request without a key: wait %v first %v, want refused too, not the first refusal", wait, first)
	}
	if _, wait, _ := th.admit("198.51.100.2", true); wait != 0 {
		t.Error("another address shares the lockout")
	}
	clk.now = clk.now.Add(30*time.Second - time.Nanosecond)
	if _, wait, _ := th.admit("198.51.100.1", true); wait != time.Nanosecond {
		t.Errorf("just before the minute ends: wait %v", wait)
	}
	clk.now = clk.now.Add(time.Nanosecond)
	if _, wait, _ := th.admit("198.51.100.1", true); wait != 0 {
		t.Errorf("once the minute is over: wait %v, want a fresh window", wait)
	}
}

// Attempts count before their key is compared, so a burst of concurrent
// guesses cannot all pass the check before any failure is recorded.
func TestAuthThrottleCountsAttemptsBeforeTheComparison(t *testing.T) {
	th, _ := newTestThrottle(5, 100)
	for range 5 {
		th.admit("a", true) // still being compared: not forgiven, not yet failed
	}
	if _, wait, _ := th.admit("a", true); wait == 0 {
		t.Error("a sixth attempt in flight was admitted")
	}
}

func TestAuthThrottleForgivesRightKeysAndForgetsThem(t *testing.T) {
	th, _ := newTestThrottle(2, 100)
	for i := range 100 {
		tk, wait, _ := th.admit("a", true)
		if wait != 0 {
			t.Fatalf("right key %d refused", i+1)
		}
		th.forgive(tk)
	}
	if n := th.addrs.len(); n != 0 {
		t.Errorf("%d addresses kept after right keys only, want 0", n)
	}
	if _, wait, _ := th.admit("b", false); wait != 0 || th.addrs.len() != 0 {
		t.Error("a request without a key is neither refused nor remembered")
	}
}

func TestAuthThrottleTicketOfAnEndedWindowForgivesNothing(t *testing.T) {
	th, clk := newTestThrottle(1, 100)
	old, _, _ := th.admit("a", true)
	clk.now = clk.now.Add(time.Minute)
	th.admit("a", true) // the one failure of the new window
	th.forgive(old)     // the first attempt's key turned out right, too late
	if _, wait, _ := th.admit("a", true); wait == 0 {
		t.Error("a ticket from the last window took back this window's failure")
	}
}

func TestAuthThrottleStaysBoundedUnderAFloodOfAddresses(t *testing.T) {
	th, clk := newTestThrottle(1, 50)
	for i := range 10_000 {
		th.admit(fmt.Sprintf("198.51.%d.%d", i/256, i%256), true)
		if th.addrs.len() > 50 {
			t.Fatalf("%d addresses tracked past the cap", th.addrs.len())
		}
	}
	if _, wait, _ := th.admit("198.51.39.15", true); wait == 0 { // address 9999
		t.Error("a recent address lost its failures")
	}
	clk.now = clk.now.Add(time.Minute)
	th.admit("x", true)
	if n := th.addrs.len(); n != 1 {
		t.Errorf("%d addresses kept a minute later, want the newest alone", n)
	}
}
