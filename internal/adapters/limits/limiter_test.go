package limits_test

import (
	"context"
	"slices"
	"strings"
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

// stores runs each case against both stores; charges are synchronous
// through the store-level helper the tests wait on.
func stores(t *testing.T, p limits.Policy, failOpen bool) map[string]struct {
	l  *limits.Limiter
	mr *miniredis.Miniredis
	c  *clock
} {
	out := map[string]struct {
		l  *limits.Limiter
		mr *miniredis.Miniredis
		c  *clock
	}{}
	c1 := &clock{time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	out["memory"] = struct {
		l  *limits.Limiter
		mr *miniredis.Miniredis
		c  *clock
	}{limits.New(nil, limits.NewMemory(10), limits.Options{Policy: p, Now: c1.now, Log: zerolog.Nop()}), nil, c1}
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c2 := &clock{c1.t}
	out["redis"] = struct {
		l  *limits.Limiter
		mr *miniredis.Miniredis
		c  *clock
	}{limits.New(limits.NewRedis(rdb), limits.NewMemory(10), limits.Options{Policy: p, Now: c2.now, Timeout: time.Second, FailOpen: failOpen, Log: zerolog.Nop()}), mr, c2}
	return out
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

// charged waits until a Charge made off the path has landed.
func charged(t *testing.T, l *limits.Limiter, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if led, _ := l.Usage(context.Background(), alice); led.Minute.TotalTokens == want {
			return
		}
		time.Sleep(time.Millisecond) // polling an asynchronous write, not synchronising
	}
	t.Fatalf("charge of %d never landed", want)
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
	// The charge is one pipeline sent off the caller's path: the minute's
	// tally can be read before its last command, the callers' expiry, has
	// landed, so wait for the whole pipeline, not the first key.
	keys := writtenKeys(t, s.mr, 5) // bucket, minute, period, day, callers
	for _, k := range keys {
		if ttl := s.mr.TTL(k); ttl <= 0 {
			t.Errorf("%s has no TTL", k)
		}
	}
}

// writtenKeys polls until n keys exist and the last one the charge
// writes, the callers' set, has its expiry: the asynchronous charge has
// then landed whole.
func writtenKeys(t *testing.T, mr *miniredis.Miniredis, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		keys := mr.Keys()
		if len(keys) >= n && slices.ContainsFunc(keys, func(k string) bool { return strings.HasSuffix(k, "callers") && mr.TTL(k) > 0 }) {
			return keys
		}
		time.Sleep(time.Millisecond) // polling an asynchronous write, not synchronising
	}
	t.Fatalf("the charge never landed whole: keys = %v", mr.Keys())
	return nil
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
