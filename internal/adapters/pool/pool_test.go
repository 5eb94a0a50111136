package pool_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/pool"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/chatmodeltest"
)

// clock advances only when the pool sleeps, or when a test says so.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// backend answers each call from its script, repeating the last entry;
// nil means success.
type backend struct {
	name   string
	mu     sync.Mutex
	script []error
	calls  int
}

func (b *backend) result() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	return b.script[min(b.calls-1, len(b.script)-1)]
}

func (b *backend) Chat(ctx context.Context, _ ports.Conversation) (domain.Answer, error) {
	if err := b.result(); err != nil {
		return domain.Answer{}, err
	}
	return domain.Answer{Choices: []domain.Choice{{Text: "from " + b.name, FinishReason: "stop"}}, Model: b.name}, nil
}

func (b *backend) Stream(ctx context.Context, c ports.Conversation) (ports.ChatStream, error) {
	if err := b.result(); err != nil {
		return nil, err
	}
	return &chatmodeltest.Script{Texts: []string{"from ", b.name}, End: io.EOF, Answer: domain.Answer{Choices: []domain.Choice{{FinishReason: "stop"}}}}, nil
}

func (b *backend) count() int { b.mu.Lock(); defer b.mu.Unlock(); return b.calls }

func throttled(wait time.Duration) error {
	return &domain.Error{Kind: domain.KindThrottled, Fault: domain.FaultThrottle, RetryAfter: wait, Msg: "slow down"}
}

func failed() error {
	return &domain.Error{Kind: domain.KindUpstream, Fault: domain.FaultTransient, Msg: "500"}
}
func broken() error {
	return &domain.Error{Kind: domain.KindUpstream, Fault: domain.FaultBackend, Msg: "401"}
}

var health = pool.Policy{Cooldown: 5 * time.Second, CooldownMax: 60 * time.Second, EjectFailures: 5,
	EjectBase: 10 * time.Second, EjectMax: 5 * time.Minute}

func newPool(c *clock, models ...pool.Model) *pool.Pool {
	return pool.New(models, pool.Options{
		Timeout: 120 * time.Second, Health: health,
		Retry: pool.Retry{MaxAttempts: 4, MaxRetryWait: 30 * time.Second},
		Now:   c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 },
	})
}

func one(name string, bs ...pool.Backend) pool.Model { return pool.Model{Name: name, Backends: bs} }

func b(name string, prio int, m *backend) pool.Backend {
	return pool.Backend{Name: name, Priority: prio, Weight: 1, Model: m, Key: name}
}

var conv = ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}}

func TestThrottledBackendFailsOverAtOnceAndCoolsForItsHint(t *testing.T) {
	c := newClock()
	east, west := &backend{name: "east", script: []error{throttled(10 * time.Second), nil}}, &backend{name: "west", script: []error{nil}}
	p := newPool(c, one("gpt", b("east", 1, east), b("west", 2, west)))

	ans, err := p.Chat(context.Background(), conv)
	if err != nil || ans.Text() != "from west" || len(c.waits) != 0 {
		t.Fatalf("answer %q, %v, waits %v; want west at once", ans.Text(), err, c.waits)
	}
	c.advance(9 * time.Second)
	if ans, _ := p.Chat(context.Background(), conv); ans.Text() != "from west" || east.count() != 1 {
		t.Fatalf("during its cooldown east was called %d times", east.count())
	}
	c.advance(time.Second)
	if ans, _ := p.Chat(context.Background(), conv); ans.Text() != "from east" {
		t.Fatalf("after its cooldown: %q, want east back", ans.Text())
	}
}

func TestCooldownIsCappedAndDefaultsWithoutHint(t *testing.T) {
	for _, tt := range []struct {
		hint, want time.Duration
	}{{0, 5 * time.Second}, {time.Hour, 60 * time.Second}} {
		c := newClock()
		east := &backend{name: "east", script: []error{throttled(tt.hint), nil}}
		p := newPool(c, one("gpt", b("east", 1, east), b("west", 2, &backend{name: "west", script: []error{nil}})))
		_, _ = p.Chat(context.Background(), conv)
		got := p.Snapshot()[0].Backends[0]
		if got.State != pool.StateCooling || got.Until.Sub(c.Now()) != tt.want {
			t.Errorf("hint %v: state %s until +%v, want cooling +%v", tt.hint, got.State, got.Until.Sub(c.Now()), tt.want)
		}
	}
}

func TestAllThrottledAnswers429AtTheSoonestRecoveryThenCallsNoOne(t *testing.T) {
	c := newClock()
	east := &backend{name: "east", script: []error{throttled(40 * time.Second)}}
	west := &backend{name: "west", script: []error{throttled(50 * time.Second)}}
	p := newPool(c, one("gpt", b("east", 1, east), b("west", 1, west)))

	_, err := p.Chat(context.Background(), conv)
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindThrottled || de.RetryAfter != 40*time.Second {
		t.Fatalf("err = %#v, want throttled with the soonest recovery (40s)", err)
	}
	_, err = p.Chat(context.Background(), conv)
	if !errors.As(err, &de) || de.Kind != domain.KindThrottled || east.count()+west.count() != 2 {
		t.Fatalf("second request: %v after %d calls, want 429 calling no one", err, east.count()+west.count())
	}
}

func TestPoolOfOneWaitsOutAShortRetryAfter(t *testing.T) {
	c := newClock()
	only := &backend{name: "only", script: []error{throttled(2 * time.Second), nil}}
	ans, err := newPool(c, one("gpt", b("only", 1, only))).Chat(context.Background(), conv)
	if err != nil || ans.Text() != "from only" || len(c.waits) != 1 || c.waits[0] != 2*time.Second {
		t.Fatalf("answer %q %v, waits %v; want one 2s wait then success", ans.Text(), err, c.waits)
	}
}

func TestPoolOfOneBacksOffAfterAServerError(t *testing.T) {
	c := newClock()
	only := &backend{name: "only", script: []error{failed(), failed(), nil}}
	ans, err := newPool(c, one("gpt", b("only", 1, only))).Chat(context.Background(), conv)
	if err != nil || ans.Text() != "from only" || len(c.waits) != 2 || c.waits[0] != 250*time.Millisecond || c.waits[1] != 500*time.Millisecond {
		t.Fatalf("answer %q %v, waits %v; want backoffs of 250ms and 500ms (rand 0: half of 0.5s, 1s)", ans.Text(), err, c.waits)
	}
}

func TestAttemptsAcrossBackendsAreBounded(t *testing.T) {
	c := newClock()
	bs := []*backend{{name: "a", script: []error{failed()}}, {name: "b", script: []error{failed()}}, {name: "c", script: []error{failed()}}}
	p := newPool(c, one("gpt", b("a", 1, bs[0]), b("b", 1, bs[1]), b("c", 1, bs[2])))
	_, err := p.Chat(context.Background(), conv)
	if total := bs[0].count() + bs[1].count() + bs[2].count(); total != 4 || domain.KindOf(err) != domain.KindUpstream {
		t.Fatalf("%d calls, err %v; want 4 (1 + UPSTREAM_MAX_RETRIES) and the last failure", total, err)
	}
}

func TestTheRequestsOwnFaultIsNeverFailedOver(t *testing.T) {
	c := newClock()
	filtered := &domain.Error{Kind: domain.KindContentFiltered, Fault: domain.FaultRequest, Msg: "filtered"}
	east, west := &backend{name: "east", script: []error{filtered}}, &backend{name: "west", script: []error{nil}}
	_, err := newPool(c, one("gpt", b("east", 1, east), b("west", 2, west))).Chat(context.Background(), conv)
	if domain.KindOf(err) != domain.KindContentFiltered || west.count() != 0 {
		t.Fatalf("err %v, west called %d times; want the 400 and no failover", err, west.count())
	}
}

func TestEjectionDoublesAndAdmitsOneProbe(t *testing.T) {
	c := newClock()
	flaky := &backend{name: "flaky", script: []error{failed()}}
	steady := &backend{name: "steady", script: []error{nil}}
	p := newPool(c, one("gpt", b("flaky", 1, flaky), b("steady", 2, steady)))
	for range 5 {
		_, _ = p.Chat(context.Background(), conv)
	}
	st := p.Snapshot()[0].Backends[0]
	if st.State != pool.StateEjected || st.Until.Sub(c.Now()) != 10*time.Second || flaky.count() != 5 {
		t.Fatalf("after 5 failures: %+v, %d calls; want ejected for 10s", st, flaky.count())
	}
	c.advance(10 * time.Second)
	_, _ = p.Chat(context.Background(), conv) // the probe fails
	if st := p.Snapshot()[0].Backends[0]; st.State != pool.StateEjected || st.Until.Sub(c.Now()) != 20*time.Second || flaky.count() != 6 {
		t.Fatalf("after a failed probe: %+v, %d calls; want ejected again for 20s after one probe", st, flaky.count())
	}
	c.advance(20 * time.Second)
	flaky.mu.Lock()
	flaky.script = []error{nil}
	flaky.calls = 0
	flaky.mu.Unlock()
	if ans, _ := p.Chat(context.Background(), conv); ans.Text() != "from flaky" || p.Snapshot()[0].Backends[0].State != pool.StateHealthy {
		t.Fatalf("a good probe must restore it: %q %+v", ans.Text(), p.Snapshot()[0].Backends[0])
	}
}

func TestHalfOpenAdmitsExactlyOneProbeAtATime(t *testing.T) {
	c := newClock()
	release := make(chan struct{})
	probe := &blocking{release: release, entered: make(chan struct{}, 8)}
	flaky := &backend{name: "flaky", script: []error{failed()}}
	p := pool.New([]pool.Model{one("gpt",
		pool.Backend{Name: "flaky", Priority: 1, Weight: 1, Model: &switching{first: flaky, then: probe}, Key: "f"},
		b("steady", 2, &backend{name: "steady", script: []error{nil}}))},
		pool.Options{Health: health, Retry: pool.Retry{MaxAttempts: 1}, Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 }})
	for range 5 {
		_, _ = p.Chat(context.Background(), conv)
	}
	c.advance(10 * time.Second)
	done := make(chan error)
	go func() { _, err := p.Chat(context.Background(), conv); done <- err }()
	<-probe.entered // the probe is in flight
	if ans, err := p.Chat(context.Background(), conv); err != nil || ans.Text() != "from steady" {
		t.Fatalf("while probing, others must go elsewhere: %q %v", ans.Text(), err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if len(probe.entered) != 0 {
		t.Fatalf("a second probe went to the backend")
	}
}

// switching answers from first until it has failed five times, then from then.
type switching struct {
	first *backend
	then  ports.ChatModel
}

func (s *switching) Chat(ctx context.Context, c ports.Conversation) (domain.Answer, error) {
	if s.first.count() < 5 {
		return s.first.Chat(ctx, c)
	}
	return s.then.Chat(ctx, c)
}
func (s *switching) Stream(ctx context.Context, c ports.Conversation) (ports.ChatStream, error) {
	return nil, errors.New("unused")
}

type blocking struct {
	release chan struct{}
	entered chan struct{}
}

func (b *blocking) Chat(ctx context.Context, _ ports.Conversation) (domain.Answer, error) {
	b.entered <- struct{}{}
	<-b.release
	return domain.Answer{Choices: []domain.Choice{{Text: "from probe"}}}, nil
}
func (b *blocking) Stream(context.Context, ports.Conversation) (ports.ChatStream, error) {
	return nil, errors.New("unused")
}

func TestBrokenBackendIsSkippedUntilItsProbe(t *testing.T) {
	c := newClock()
	bad := &backend{name: "bad", script: []error{broken(), nil}}
	good := &backend{name: "good", script: []error{nil}}
	p := newPool(c, one("gpt", b("bad", 1, bad), b("good", 2, good)))
	if ans, err := p.Chat(context.Background(), conv); err != nil || ans.Text() != "from good" {
		t.Fatalf("%q %v", ans.Text(), err)
	}
	c.advance(4 * time.Minute)
	_, _ = p.Chat(context.Background(), conv)
	if bad.count() != 1 || p.Snapshot()[0].Backends[0].State != pool.StateBroken {
		t.Fatalf("broken backend called %d times before BACKEND_EJECT_MAX", bad.count())
	}
	c.advance(time.Minute)
	if ans, _ := p.Chat(context.Background(), conv); ans.Text() != "from bad" {
		t.Fatalf("after BACKEND_EJECT_MAX one probe goes to it: %q", ans.Text())
	}
}

func TestAllBrokenIsAnUpstreamFailureCallingNoOne(t *testing.T) {
	c := newClock()
	bad := &backend{name: "bad", script: []error{broken()}}
	p := newPool(c, one("gpt", b("bad", 1, bad)))
	_, _ = p.Chat(context.Background(), conv)
	_, err := p.Chat(context.Background(), conv)
	if domain.KindOf(err) != domain.KindUpstream || bad.count() != 1 {
		t.Fatalf("err %v after %d calls; want 502 without calling", err, bad.count())
	}
}

func TestNothingAvailableOnArrivalIs503WithRetryAfter(t *testing.T) {
	c := newClock()
	busy := &domain.Error{Kind: domain.KindUpstream, Fault: domain.FaultThrottle, RetryAfter: 7 * time.Second, Msg: "503"}
	only := &backend{name: "only", script: []error{busy}}
	p := pool.New([]pool.Model{one("gpt", b("only", 1, only))}, pool.Options{Health: health,
		Retry: pool.Retry{MaxAttempts: 1}, Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 }})
	_, _ = p.Chat(context.Background(), conv)
	_, err := p.Chat(context.Background(), conv)
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindUnavailable || de.RetryAfter != 7*time.Second || only.count() != 1 {
		t.Fatalf("err %#v after %d calls; want 503 with Retry-After 7s", err, only.count())
	}
}

func TestWeightedChoiceWithinATier(t *testing.T) {
	c := newClock()
	heavy, light := &backend{name: "heavy", script: []error{nil}}, &backend{name: "light", script: []error{nil}}
	draws := []float64{0, 0.5, 0.74, 0.75, 0.99, 0.2, 0.8, 0.6}
	i := 0
	p := pool.New([]pool.Model{one("gpt",
		pool.Backend{Name: "heavy", Priority: 1, Weight: 3, Model: heavy, Key: "h"},
		pool.Backend{Name: "light", Priority: 1, Weight: 1, Model: light, Key: "l"},
		pool.Backend{Name: "spare", Priority: 2, Weight: 100, Model: &backend{name: "spare", script: []error{nil}}, Key: "s"})},
		pool.Options{Health: health, Retry: pool.Retry{MaxAttempts: 1}, Now: c.Now, Sleep: c.Sleep,
			Rand: func() float64 { x := draws[i%len(draws)]; i++; return x }})
	for range draws {
		_, _ = p.Chat(context.Background(), conv)
	}
	if heavy.count() != 5 || light.count() != 3 {
		t.Errorf("heavy %d, light %d; want 5 and 3 for draws below and above 0.75", heavy.count(), light.count())
	}
}

func TestStreamFailsOverBeforeItsFirstPieceOnly(t *testing.T) {
	c := newClock()
	cut := &cutModel{}
	west := &backend{name: "west", script: []error{nil}}
	p := newPool(c, one("gpt", pool.Backend{Name: "east", Priority: 1, Weight: 1, Model: cut, Key: "e"}, b("west", 2, west)))
	st, err := p.Stream(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for {
		text, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		got += text.Text
	}
	if got != "from west" {
		t.Fatalf("streamed %q, want west's answer after east was cut before its first piece", got)
	}
	cut.afterFirst = true
	st, _ = p.Stream(context.Background(), ports.Conversation{Model: "gpt"})
	if text, err := st.Recv(); text.Text != "partial" || err != nil {
		t.Fatalf("first piece %+v %v", text, err)
	}
	if _, err := st.Recv(); domain.KindOf(err) != domain.KindUpstream || west.count() != 1 {
		t.Fatalf("after the first piece a cut must end the stream, not fail over: %v", err)
	}
}

type cutModel struct{ afterFirst bool }

func (cutModel) Chat(context.Context, ports.Conversation) (domain.Answer, error) {
	return domain.Answer{}, errors.New("unused")
}
func (m *cutModel) Stream(context.Context, ports.Conversation) (ports.ChatStream, error) {
	st := &chatmodeltest.Script{End: failed()}
	if m.afterFirst {
		st.Texts = []string{"partial"}
	}
	return st, nil
}

func TestUnknownModel(t *testing.T) {
	p := newPool(newClock(), one("gpt", b("a", 1, &backend{name: "a", script: []error{nil}})))
	if _, err := p.Chat(context.Background(), ports.Conversation{Model: "nope"}); domain.KindOf(err) != domain.KindUnknownModel {
		t.Fatalf("err = %v", err)
	}
	if got := p.Models(); len(got) != 1 || got[0] != "gpt" {
		t.Fatalf("models = %v", got)
	}
}

func TestSwapKeepsTheHealthOfUnchangedBackends(t *testing.T) {
	c := newClock()
	east := &backend{name: "east", script: []error{throttled(30 * time.Second)}}
	west := &backend{name: "west", script: []error{nil}}
	p := newPool(c, one("gpt", b("east", 1, east), b("west", 2, west)))
	_, _ = p.Chat(context.Background(), conv)
	p.Swap([]pool.Model{one("gpt", b("east", 1, east), b("west", 2, west)), one("mini", b("local", 1, west))})
	snap := p.Snapshot()
	if len(snap) != 2 || snap[0].Backends[0].State != pool.StateCooling {
		t.Fatalf("after a reload: %+v; want east still cooling and the new model listed", snap)
	}
	changed := pool.Backend{Name: "east", Priority: 1, Weight: 1, Model: east, Key: "east-v2"}
	p.Swap([]pool.Model{one("gpt", changed, b("west", 2, west))})
	if st := p.Snapshot()[0].Backends[0]; st.State != pool.StateHealthy {
		t.Fatalf("a changed backend starts afresh: %+v", st)
	}
}

func TestBackoffIsNotCappedByTheRetryWaitButByTheDeadline(t *testing.T) {
	c := newClock()
	only := &backend{name: "only", script: []error{failed(), nil}}
	p := pool.New([]pool.Model{one("gpt", b("only", 1, only))}, pool.Options{Timeout: time.Minute, Health: health,
		Retry: pool.Retry{MaxAttempts: 2, MaxRetryWait: time.Millisecond}, Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 }})
	if ans, err := p.Chat(context.Background(), conv); err != nil || ans.Text() != "from only" || len(c.waits) != 1 {
		t.Fatalf("%q %v waits %v: a 250ms backoff goes ahead though UPSTREAM_MAX_RETRY_WAIT is 1ms", ans.Text(), err, c.waits)
	}
	c2 := newClock()
	only2 := &backend{name: "only", script: []error{failed(), nil}}
	p2 := pool.New([]pool.Model{one("gpt", b("only", 1, only2))}, pool.Options{Timeout: 100 * time.Millisecond, Health: health,
		Retry: pool.Retry{MaxAttempts: 2, MaxRetryWait: time.Minute}, Now: c2.Now, Sleep: c2.Sleep, Rand: func() float64 { return 0 }})
	if _, err := p2.Chat(context.Background(), conv); domain.KindOf(err) != domain.KindUpstream || only2.count() != 1 {
		t.Fatalf("err %v after %d calls: a backoff past UPSTREAM_TIMEOUT answers at once", err, only2.count())
	}
}

func TestWaitForACooldownIsCappedByTheRetryWait(t *testing.T) {
	c := newClock()
	only := &backend{name: "only", script: []error{throttled(2 * time.Second), nil}}
	p := pool.New([]pool.Model{one("gpt", b("only", 1, only))}, pool.Options{Timeout: time.Minute, Health: health,
		Retry: pool.Retry{MaxAttempts: 2, MaxRetryWait: time.Second}, Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 }})
	_, err := p.Chat(context.Background(), conv)
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindThrottled || de.RetryAfter != 2*time.Second || len(c.waits) != 0 {
		t.Fatalf("err %#v waits %v: a 2s Retry-After over a 1s cap answers 429 at once, Retry-After 2s", err, c.waits)
	}
}

func TestReloadGivesABrokenBackendAFreshStart(t *testing.T) {
	c := newClock()
	bad := &backend{name: "bad", script: []error{broken(), nil}}
	p := newPool(c, one("gpt", b("bad", 1, bad)))
	_, _ = p.Chat(context.Background(), conv)
	if st := p.Snapshot()[0].Backends[0]; st.State != pool.StateBroken {
		t.Fatalf("after a 401: %+v", st)
	}
	p.Swap([]pool.Model{one("gpt", b("bad", 1, bad))}) // the operator fixed the deployment and reloaded
	if ans, err := p.Chat(context.Background(), conv); err != nil || ans.Text() != "from bad" {
		t.Fatalf("after a reload: %q %v, want the backend tried again", ans.Text(), err)
	}
}

func TestNoFailoverPastTheRequestsDeadline(t *testing.T) {
	c := newClock()
	slow := &slowFailure{c: c, took: 3 * time.Minute} // past the pool's 120s
	west := &backend{name: "west", script: []error{nil}}
	p := newPool(c, one("gpt", pool.Backend{Name: "east", Priority: 1, Weight: 1, Model: slow, Key: "e"}, b("west", 2, west)))
	if _, err := p.Stream(context.Background(), conv); err == nil || west.count() != 0 {
		t.Fatalf("err %v, west called %d times: an attempt that used up UPSTREAM_TIMEOUT ends the request", err, west.count())
	}
}

// slowFailure fails each stream it is asked for after took has passed.
type slowFailure struct {
	c    *clock
	took time.Duration
}

func (s *slowFailure) Chat(context.Context, ports.Conversation) (domain.Answer, error) {
	return domain.Answer{}, errors.New("unused")
}
func (s *slowFailure) Stream(context.Context, ports.Conversation) (ports.ChatStream, error) {
	s.c.advance(s.took)
	return nil, failed()
}
