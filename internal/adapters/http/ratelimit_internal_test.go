package http

import (
	"fmt"
	"math"
	"testing"
	"time"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (l *callerLimits) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets.len()
}

func TestCallerLimitsForgetFullBucketsOnly(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := newCallerLimits(RateLimit{RPS: 2, Burst: 4, MaxCallers: 100, Now: clk.Now}) // refills in 2s
	for range 4 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatal("within the burst")
		}
	}
	clk.now = clk.now.Add(1999 * time.Millisecond)
	l.allow("b") // sweeps; "a" is still refilling and must be kept
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("after 2s minus a little, 3 tokens are back")
	}
	if l.size() != 2 {
		t.Fatalf("size = %d, want 2", l.size())
	}
	clk.now = clk.now.Add(2 * time.Second)
	l.allow("c")
	if l.size() != 1 {
		t.Errorf("size = %d after both went idle, want 1", l.size())
	}
}

func TestCallerLimitsStayBoundedUnderAFloodOfCallers(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := newCallerLimits(RateLimit{RPS: 0.001, Burst: 1, MaxCallers: 50, Now: clk.Now}) // never idle within the test
	for i := range 10_000 {
		if ok, _ := l.allow(fmt.Sprintf("ip:198.51.%d.%d", i/256, i%256)); !ok {
			t.Fatalf("caller %d refused on its first request", i)
		}
		if l.size() > 50 {
			t.Fatalf("size = %d past the cap", l.size())
		}
	}
	// The most recent callers keep their state; the oldest were evicted.
	if ok, _ := l.allow("ip:198.51.39.15"); ok { // caller 9999
		t.Error("a recent caller lost its spent bucket")
	}
	if ok, _ := l.allow("ip:198.51.0.0"); !ok {
		t.Error("the oldest caller should have been evicted and start afresh")
	}
}

func TestCallerLimitsRetryAfterIsTheTimeToOneToken(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := newCallerLimits(RateLimit{RPS: 4, Burst: 1, MaxCallers: 10, Now: clk.Now})
	l.allow("a")
	ok, wait := l.allow("a")
	if ok || wait != 250*time.Millisecond {
		t.Errorf("allow = %v, %v; want refused for 250ms", ok, wait)
	}
}

// burst/rps of a tiny rate does not fit a Duration; converted as it was,
// it wrapped negative, every bucket looked idle and every request passed.
func TestCallerLimitsATinyRateStillLimits(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := newCallerLimits(RateLimit{RPS: 1e-10, Burst: 10, MaxCallers: 10, Now: clk.Now})
	for range 10 {
		l.allow("a")
	}
	if ok, _ := l.allow("a"); ok {
		t.Error("the eleventh request passed a burst of 10 that refills every 3000 years")
	}
}

func TestSaturatingSeconds(t *testing.T) {
	never := time.Duration(math.MaxInt64)
	for _, tt := range []struct {
		s    float64
		want time.Duration
	}{{2.5, 2500 * time.Millisecond}, {9.2e9, 9.2e18}, {1e11, never}, {math.Inf(1), never}, {math.NaN(), never}} {
		if got := saturatingSeconds(tt.s); got != tt.want {
			t.Errorf("saturatingSeconds(%g) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
