package limits_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/limits"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fixture is a Limiter on one store, with its clock, and with Redis its
// miniredis and the timer that would flush its charges.
type fixture struct {
	l     *limits.Limiter
	mr    *miniredis.Miniredis
	c     *clock
	timer *timer
}

// stores runs each case against both stores; the tests flush Redis's
// charges themselves, through charged.
func stores(t *testing.T, p limits.Policy, failOpen bool) map[string]fixture {
	c1 := &clock{time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c2, tm := &clock{c1.t}, &timer{}
	return map[string]fixture{
		"memory": {l: limits.New(nil, limits.NewMemory(10), limits.Options{Policy: p, Now: c1.now, Log: zerolog.Nop()}), c: c1},
		"redis": {l: limits.New(limits.NewRedis(rdb), limits.NewMemory(10), limits.Options{Policy: p, Now: c2.now, Timeout: time.Second,
			FailOpen: failOpen, Log: zerolog.Nop(), AfterFunc: tm.afterFunc}), mr: mr, c: c2, timer: tm},
	}
}

var alice = ports.Caller{Key: "k-alice", ID: "alice"}

func TestRateIsABucketOfBurst(t *testing.T) {
	for name, s := range stores(t, limits.Policy{RPS: 1, Burst: 3}, true) {
		t.Run(name, func(t *testing.T) {
			for i := 3; i > 0; i-- {
				a, err := s.l.Admit(context.Background(), alice, true)
				if err != nil || a.Refused != "" || a.Requests.Remaining != int64(i-1) || a.Requests.Limit != 3 {
					t.Fatalf("request %d: %+v, %v", 4-i, a, err)
				}
			}
			a, _ := s.l.Admit(context.Background(), alice, true)
			if a.Refused != ports.RefusedRequests || a.RetryAfter != time.Second {
				t.Fatalf("4th: %+v, want refused for 1s", a)
			}
			s.c.t = s.c.t.Add(time.Second)
			if a, _ := s.l.Admit(context.Background(), alice, true); a.Refused != "" {
				t.Fatalf("after 1s: %+v", a)
			}
		})
	}
}

// charged flushes the charges held for the shared store and checks that
// the minute's tokens are want.
func charged(t *testing.T, l *limits.Limiter, want int64) {
	t.Helper()
	l.Flush()
	if led, err := l.Usage(context.Background(), alice); err != nil || led.Minute.TotalTokens != want {
		t.Fatalf("minute's tokens after the flush = %+v, %v; want %d", led.Minute, err, want)
	}
}

func TestTokensPerMinuteAndQuotaRefuseOnceSpent(t *testing.T) {
	for name, s := range stores(t, limits.Policy{TPM: 100, Quota: 150, QuotaPeriod: "day"}, true) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s.l.Charge(ctx, alice, ports.Spent{Prompt: 60, Completion: 40})
			charged(t, s.l, 100)
			a, _ := s.l.Admit(ctx, alice, true)
			if a.Refused != ports.RefusedTokens || a.RetryAfter != time.Minute || a.Tokens.Remaining != 0 {
				t.Fatalf("spent minute: %+v", a)
			}
			if a, _ := s.l.Admit(ctx, alice, false); a.Refused != "" {
				t.Fatalf("a route without a model is not metered in tokens: %+v", a)
			}
			s.c.t = s.c.t.Add(time.Minute)
			if a, _ := s.l.Admit(ctx, alice, true); a.Refused != "" || a.Tokens.Remaining != 100 {
				t.Fatalf("next minute: %+v", a)
			}
			s.l.Charge(ctx, alice, ports.Spent{Prompt: 50, Estimated: true})
			charged(t, s.l, 50)
			a, _ = s.l.Admit(ctx, alice, true)
			if a.Refused != ports.RefusedQuota || a.RetryAfter != 14*time.Hour-time.Minute {
				t.Fatalf("quota: %+v", a)
			}
			led, err := s.l.Usage(ctx, alice)
			if err != nil || led.Period.TotalTokens != 150 || led.Period.EstimatedTokens != 50 || led.Period.Requests != 2 ||
				len(led.Days) != 1 || led.Days[0].PromptTokens != 110 || led.Caller != "alice" {
				t.Fatalf("ledger: %+v, %v", led, err)
			}
			all, err := s.l.Callers(ctx)
			if err != nil || len(all) != 1 || all[0].Caller != "alice" || all[0].Period.TotalTokens != 150 {
				t.Fatalf("callers: %+v, %v", all, err)
			}
		})
	}
}

func TestStoreFailure(t *testing.T) {
	p := limits.Policy{RPS: 1, Burst: 1}
	closed := stores(t, p, false)["redis"]
	closed.mr.Close()
	if _, err := closed.l.Admit(context.Background(), alice, true); domain.KindOf(err) != domain.KindUnavailable || !closed.l.Degraded() {
		t.Fatalf("fail closed: %v", err)
	}
	open := stores(t, p, true)["redis"]
	open.mr.Close()
	if a, err := open.l.Admit(context.Background(), alice, true); err != nil || a.Refused != "" {
		t.Fatalf("fail open, first: %+v %v", a, err)
	}
	if a, _ := open.l.Admit(context.Background(), alice, true); a.Refused != ports.RefusedRequests {
		t.Fatalf("fail open keeps the local limit: %+v", a)
	}
}

// Memory stays bounded in Redis too: every key the limiter writes expires.
func TestEveryRedisKeyHasATTL(t *testing.T) {
	s := stores(t, limits.Policy{RPS: 1, Burst: 2, TPM: 100, Quota: 1000, QuotaPeriod: "month"}, false)["redis"]
	if _, err := s.l.Admit(context.Background(), alice, true); err != nil {
		t.Fatal(err)
	}
	s.l.Charge(context.Background(), alice, ports.Spent{Prompt: 3, Completion: 4, Estimated: true})
	s.l.Flush()
	keys := s.mr.Keys()
	if len(keys) != 5 { // bucket, minute, period, day, callers
		t.Fatalf("keys = %v, want the bucket, three tallies and the callers", keys)
	}
	for _, k := range keys {
		if ttl := s.mr.TTL(k); ttl <= 0 {
			t.Errorf("%s has no TTL", k)
		}
	}
}

// A caller who leaves mid-call says nothing of the store's health.
func TestACallerLeavingIsNoStoreFailure(t *testing.T) {
	s := stores(t, limits.Policy{RPS: 1, Burst: 1}, false)["redis"]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.l.Admit(ctx, alice, true); domain.KindOf(err) != domain.KindCanceled || s.l.Degraded() {
		t.Fatalf("err = %v, degraded = %v", err, s.l.Degraded())
	}
}
