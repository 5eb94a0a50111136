package limits_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/limits"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// timer stands in for time.AfterFunc: the test fires the armed flush.
type timer struct {
	mu    sync.Mutex
	armed *arm
	arms  int
	every time.Duration
}

type arm struct{ f func() }

func (t *timer) afterFunc(d time.Duration, f func()) func() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := &arm{f}
	t.armed, t.arms, t.every = a, t.arms+1, d
	return func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.armed != a {
			return false
		}
		t.armed = nil
		return true
	}
}

// fire runs the armed flush, as its timer would, and says whether one was.
func (t *timer) fire() bool {
	t.mu.Lock()
	a := t.armed
	t.armed = nil
	t.mu.Unlock()
	if a == nil {
		return false
	}
	a.f()
	return true
}

func (t *timer) count() (arms int, armed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.arms, t.armed != nil
}

// pipelines counts what the client sends, and reports each pipeline
// once it has been answered.
type pipelines struct {
	mu   sync.Mutex
	sent []int // commands in each pipeline
	cmds int   // single commands
	done chan struct{}
}

func (p *pipelines) DialHook(next redis.DialHook) redis.DialHook { return next }
func (p *pipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error {
		p.mu.Lock()
		p.cmds++
		p.mu.Unlock()
		return next(ctx, c)
	}
}

func (p *pipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cs []redis.Cmder) error {
		err := next(ctx, cs)
		if n := cs[0].Name(); n == "hello" || n == "client" {
			return err // a new connection's handshake, not a charge
		}
		p.mu.Lock()
		p.sent = append(p.sent, len(cs))
		p.mu.Unlock()
		if p.done != nil {
			p.done <- struct{}{}
		}
		return err
	}
}

func (p *pipelines) counts() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.sent...)
}

type batched struct {
	l     *limits.Limiter
	mr    *miniredis.Miniredis
	c     *clock
	timer *timer
	sent  *pipelines
}

func newBatched(t *testing.T, opt limits.Options) batched {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialerRetries: 1}) // a closed store fails at once
	t.Cleanup(func() { _ = rdb.Close() })
	b := batched{mr: mr, c: &clock{time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC)}, timer: &timer{}, sent: &pipelines{}}
	rdb.AddHook(b.sent)
	opt.Now, opt.AfterFunc, opt.Log = b.c.now, b.timer.afterFunc, zerolog.Nop()
	if opt.Timeout == 0 {
		opt.Timeout = time.Second
	}
	b.l = limits.New(limits.NewRedis(rdb), limits.NewMemory(10), opt)
	return b
}

func (b batched) field(t *testing.T, key, f string) int64 {
	t.Helper()
	v := b.mr.HGet(key, f)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s %s = %q", key, f, v)
	}
	return n
}

const aliceKeys = "aoai:limits:{k-alice}:"

func TestChargesWithinTheIntervalAreSummedIntoOnePipeline(t *testing.T) {
	b := newBatched(t, limits.Options{Policy: limits.Policy{QuotaPeriod: "month"}})
	ctx := context.Background()
	for i := range 10 {
		b.l.Charge(ctx, alice, ports.Spent{Prompt: 3, Completion: 4, Estimated: i%2 == 0})
		b.c.t = b.c.t.Add(time.Second)
	}
	if got := b.sent.counts(); len(got) != 0 {
		t.Fatalf("pipelines before the flush: %v, want none", got)
	}
	if !b.timer.fire() {
		t.Fatal("no flush armed")
	}
	// 3 tallies of 4 sums, estimated_tokens and a TTL; one ZADD, one trim
	// and the set's TTL: the same as one charge's, whatever the count.
	if got := b.sent.counts(); len(got) != 1 || got[0] != 3*6+3 {
		t.Fatalf("pipelines = %v, want one of 21 commands", got)
	}
	for _, span := range []string{"m202612011000", "p2026-12", "d2026-12-01"} {
		for f, want := range map[string]int64{"requests": 10, "prompt_tokens": 30, "completion_tokens": 40, "total_tokens": 70, "estimated_tokens": 35} {
			if got := b.field(t, aliceKeys+span, f); got != want {
				t.Errorf("%s %s = %d, want %d", span, f, got, want)
			}
		}
	}
	if ttl := b.mr.TTL(aliceKeys + "m202612011000"); ttl != 81*time.Second {
		t.Errorf("minute's TTL = %v, want the minute's end plus a minute from the last charge (81s)", ttl)
	}
	if s, err := b.mr.ZScore("aoai:limits:callers", "k-alice\talice"); err != nil || s != float64(b.c.t.Add(-time.Second).Unix()) {
		t.Errorf("callers' score = %v, %v; want the last charge's time", s, err)
	}
	led, err := b.l.Usage(ctx, alice)
	if err != nil || led.Minute.Requests != 10 || led.Period.TotalTokens != 70 || len(led.Days) != 1 || led.Days[0].EstimatedTokens != 35 {
		t.Errorf("ledger = %+v, %v", led, err)
	}
}

func TestChargesInTwoMinutesLandInTwoMinuteKeys(t *testing.T) {
	b := newBatched(t, limits.Options{})
	ctx := context.Background()
	b.c.t = time.Date(2026, 12, 1, 10, 0, 59, 0, time.UTC)
	b.l.Charge(ctx, alice, ports.Spent{Prompt: 1})
	b.c.t = b.c.t.Add(time.Second) // 10:01:00, within the same flush interval
	b.l.Charge(ctx, alice, ports.Spent{Prompt: 2})
	b.l.Charge(ctx, alice, ports.Spent{Prompt: 4})
	b.timer.fire()
	if got := b.sent.counts(); len(got) != 1 {
		t.Fatalf("pipelines = %v, want one", got)
	}
	for span, want := range map[string][2]int64{"m202612011000": {1, 1}, "m202612011001": {2, 6}, "d2026-12-01": {3, 7}} {
		if r, p := b.field(t, aliceKeys+span, "requests"), b.field(t, aliceKeys+span, "prompt_tokens"); r != want[0] || p != want[1] {
			t.Errorf("%s: %d requests, %d prompt tokens; want %v", span, r, p, want)
		}
	}
	if s, _ := b.mr.ZScore("aoai:limits:callers", "k-alice\talice"); s != float64(b.c.t.Unix()) {
		t.Errorf("callers' score = %v, want the later minute's charge", s)
	}
}

func TestTheFlushIsArmedOnceAndAgainAfterIt(t *testing.T) {
	b := newBatched(t, limits.Options{FlushEvery: 250 * time.Millisecond})
	ctx := context.Background()
	if arms, _ := b.timer.count(); arms != 0 {
		t.Fatalf("armed %d times before any charge: an idle limiter does no work", arms)
	}
	for range 3 {
		b.l.Charge(ctx, alice, ports.Spent{Prompt: 1})
	}
	if arms, armed := b.timer.count(); arms != 1 || !armed || b.timer.every != 250*time.Millisecond {
		t.Fatalf("after 3 charges: armed %d times for %v, want once for FlushEvery", arms, b.timer.every)
	}
	b.timer.fire()
	if arms, armed := b.timer.count(); armed || arms != 1 {
		t.Fatalf("after the flush, with nothing pending: armed %v (%d times), want nothing armed", armed, arms)
	}
	b.l.Charge(ctx, alice, ports.Spent{Prompt: 1})
	if arms, armed := b.timer.count(); arms != 2 || !armed {
		t.Fatalf("a charge after the flush: armed %d times, want re-armed", arms)
	}
	b.timer.fire()
	if got := b.sent.counts(); len(got) != 2 || b.field(t, aliceKeys+"m202612011000", "requests") != 4 {
		t.Fatalf("pipelines = %v, want one per flush, 4 requests in all", got)
	}
}

func TestCloseFlushesWhatIsPending(t *testing.T) {
	b := newBatched(t, limits.Options{})
	ctx := context.Background()
	b.l.Charge(ctx, alice, ports.Spent{Prompt: 5, Completion: 1})
	b.l.Close()
	if got := b.field(t, aliceKeys+"m202612011000", "total_tokens"); got != 6 {
		t.Fatalf("total_tokens after Close = %d, want 6", got)
	}
	if _, armed := b.timer.count(); armed {
		t.Error("the flush is still armed after Close")
	}
	b.l.Charge(ctx, alice, ports.Spent{Prompt: 5}) // a request that outlived the drain
	if arms, armed := b.timer.count(); armed || arms != 1 {
		t.Errorf("a charge after Close armed a flush")
	}
	if got := b.sent.counts(); len(got) != 1 {
		t.Errorf("pipelines = %v, want only Close's", got)
	}
}

func TestTooManyPendingCallersAreSentAtOnce(t *testing.T) {
	b := newBatched(t, limits.Options{MaxPending: 2})
	b.sent.done = make(chan struct{}, 1)
	ctx := context.Background()
	for i := range 3 {
		b.l.Charge(ctx, ports.Caller{Key: fmt.Sprint("k", i), ID: fmt.Sprint(i)}, ports.Spent{Prompt: 1})
	}
	select {
	case <-b.sent.done:
	case <-time.After(10 * time.Second): // a hang guard, not a synchronisation
		t.Fatal("3 callers pending over a bound of 2 were not sent at once")
	}
	for i := range 3 {
		if got := b.field(t, fmt.Sprintf("aoai:limits:{k%d}:m202612011000", i), "requests"); got != 1 {
			t.Errorf("caller %d: %d requests", i, got)
		}
	}
	if arms, _ := b.timer.count(); arms != 1 {
		t.Errorf("armed %d times, want once: the armed flush sends what follows", arms)
	}
}

func TestAFailedFlushChargesTheProcessWhenFailingOpen(t *testing.T) {
	for _, failOpen := range []bool{true, false} {
		t.Run(fmt.Sprint("fail open ", failOpen), func(t *testing.T) {
			b := newBatched(t, limits.Options{FailOpen: failOpen})
			b.mr.Close()
			ctx := context.Background()
			b.l.Charge(ctx, alice, ports.Spent{Prompt: 2, Completion: 1})
			b.l.Charge(ctx, alice, ports.Spent{Prompt: 2, Completion: 1})
			b.l.Flush()
			if !b.l.Degraded() {
				t.Error("a failed flush does not mark the store degraded")
			}
			led, err := b.l.Usage(ctx, alice)
			switch {
			case failOpen && (err != nil || led.Minute.Requests != 2 || led.Minute.TotalTokens != 6):
				t.Errorf("failing open, the process's ledger = %+v, %v; want both charges", led.Minute, err)
			case !failOpen && err == nil:
				t.Errorf("failing closed, the ledger read without a store: %+v", led)
			}
		})
	}
}

// Counts what the shared store is sent for a busy interval: 1000
// answers for 16 callers, against 1000 pipelines of 18 to 21 commands
// when each answer sent its own.
func TestOneFlushCarriesEveryCaller(t *testing.T) {
	b := newBatched(t, limits.Options{})
	for i := range 1000 {
		b.l.Charge(context.Background(), ports.Caller{Key: fmt.Sprint("k", i%16), ID: fmt.Sprint(i % 16)}, ports.Spent{Prompt: 3, Completion: 4, Estimated: i%2 == 0})
	}
	b.timer.fire()
	// 8 callers charged estimates (6 commands a tally), 8 not (5).
	if want := 8*3*6 + 8*3*5 + 3; len(b.sent.counts()) != 1 || b.sent.counts()[0] != want {
		t.Fatalf("pipelines = %v, want one of %d commands", b.sent.counts(), want)
	}
	t.Logf("1000 charges, 16 callers: %d pipeline of %d commands", len(b.sent.counts()), b.sent.counts()[0])
	all, err := b.l.Callers(context.Background())
	n := int64(0)
	for _, c := range all {
		n += c.Minute.Requests
	}
	if err != nil || len(all) != 16 || n != 1000 {
		t.Fatalf("%d callers with %d requests, %v; want 16 with 1000", len(all), n, err)
	}
}

// Answers ending together on many goroutines, with the real timer
// flushing as they go: every charge lands once, Close sending the rest.
func TestConcurrentChargesAllLandOnce(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	l := limits.New(limits.NewRedis(rdb), limits.NewMemory(10), limits.Options{Timeout: time.Second, Log: zerolog.Nop(),
		FlushEvery: time.Millisecond, MaxPending: 3})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 100 {
				l.Charge(context.Background(), ports.Caller{Key: fmt.Sprint("k", g), ID: fmt.Sprint(g)}, ports.Spent{Prompt: 1})
			}
		})
	}
	wg.Wait()
	l.Close()
	all, err := l.Callers(context.Background())
	n := int64(0)
	for _, c := range all {
		for _, d := range c.Days {
			n += d.Requests
		}
	}
	if err != nil || len(all) != 8 || n != 800 {
		t.Fatalf("%d callers, %d requests, %v; want 8 callers, 800 requests", len(all), n, err)
	}
}
