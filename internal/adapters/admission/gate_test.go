package admission_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/admission"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// blocking answers once release is closed and counts calls in flight.
type blocking struct {
	entered  chan struct{}
	release  chan struct{}
	inFlight atomic.Int32
	peak     atomic.Int32
}

func newBlocking() *blocking {
	return &blocking{entered: make(chan struct{}, 64), release: make(chan struct{})}
}

func (b *blocking) enter() {
	n := b.inFlight.Add(1)
	for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
	}
	b.entered <- struct{}{}
}

func (b *blocking) Chat(ctx context.Context, _ ports.Conversation) (domain.Answer, error) {
	b.enter()
	defer b.inFlight.Add(-1)
	select {
	case <-b.release:
		return domain.Answer{Choices: []domain.Choice{{Text: "ok"}}}, nil
	case <-ctx.Done():
		return domain.Answer{}, domain.Canceled(ctx.Err())
	}
}

func (b *blocking) Stream(context.Context, ports.Conversation) (ports.ChatStream, error) {
	b.enter()
	return &pieces{left: 2, done: func() { b.inFlight.Add(-1) }}, nil
}

type pieces struct {
	left   int
	done   func()
	closed sync.Once
}

func (p *pieces) Recv() (domain.Delta, error) {
	if p.left == 0 {
		return domain.Delta{}, io.EOF
	}
	p.left--
	return domain.Delta{Text: "x"}, nil
}
func (p *pieces) Result() domain.Answer { return domain.Answer{} }
func (p *pieces) Close() error          { p.closed.Do(p.done); return nil }

func TestUnlimitedReturnsTheModelItself(t *testing.T) {
	m := newBlocking()
	if got := admission.Limit(m, 0, time.Second); got != ports.ChatModel(m) {
		t.Errorf("Limit(m, 0) = %T, want the model unwrapped", got)
	}
}

func TestNeverMoreThanMaxInFlight(t *testing.T) {
	m := newBlocking()
	g := admission.Limit(m, 3, time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := g.Chat(context.Background(), ports.Conversation{})
			errs <- err
		})
	}
	for range 3 {
		<-m.entered
	}
	select {
	case <-m.entered:
		t.Fatal("a fourth call entered while three held the slots")
	default:
	}
	close(m.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("queued call failed: %v", err)
		}
	}
	if p := m.peak.Load(); p != 3 {
		t.Errorf("peak in flight = %d, want 3", p)
	}
}

func TestFullGateRefusesWithUnavailableAfterTheWait(t *testing.T) {
	m := newBlocking()
	g := admission.Limit(m, 1, 1100*time.Millisecond)
	go func() { _, _ = g.Chat(context.Background(), ports.Conversation{}) }()
	<-m.entered
	defer close(m.release)

	start := time.Now()
	_, err := g.Chat(context.Background(), ports.Conversation{})
	var de *domain.Error
	if domain.KindOf(err) != domain.KindUnavailable || !asError(err, &de) || de.RetryAfter != 2*time.Second {
		t.Fatalf("err = %#v, want KindUnavailable with RetryAfter 2s (the wait, rounded up)", err)
	}
	if waited := time.Since(start); waited < 1100*time.Millisecond {
		t.Errorf("refused after %v, before the queue wait ran out", waited)
	}
}

func TestZeroWaitRefusesAtOnce(t *testing.T) {
	m := newBlocking()
	g := admission.Limit(m, 1, 0)
	go func() { _, _ = g.Chat(context.Background(), ports.Conversation{}) }()
	<-m.entered
	defer close(m.release)
	_, err := g.Chat(context.Background(), ports.Conversation{})
	var de *domain.Error
	if !asError(err, &de) || de.Kind != domain.KindUnavailable || de.RetryAfter != time.Second {
		t.Fatalf("err = %v, want KindUnavailable with RetryAfter 1s", err)
	}
}

func TestCallerLeavingWhileQueuedIsCanceled(t *testing.T) {
	m := newBlocking()
	g := admission.Limit(m, 1, time.Minute)
	go func() { _, _ = g.Chat(context.Background(), ports.Conversation{}) }()
	<-m.entered
	defer close(m.release)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := g.Stream(ctx, ports.Conversation{})
		errc <- err
	}()
	cancel()
	if err := <-errc; domain.KindOf(err) != domain.KindCanceled {
		t.Errorf("err = %v, want KindCanceled", err)
	}
}

// A stream is billed until it ends, so it keeps its slot until then.
func TestStreamHoldsItsSlotUntilClose(t *testing.T) {
	m := newBlocking()
	g := admission.Limit(m, 1, 0)
	st, err := g.Stream(context.Background(), ports.Conversation{})
	if err != nil {
		t.Fatal(err)
	}
	<-m.entered
	if _, err := g.Stream(context.Background(), ports.Conversation{}); domain.KindOf(err) != domain.KindUnavailable {
		t.Fatalf("second stream while the first is open: err = %v, want KindUnavailable", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close() // twice is safe and must not free a second slot
	st2, err := g.Stream(context.Background(), ports.Conversation{})
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	<-m.entered
	if _, err := g.Stream(context.Background(), ports.Conversation{}); domain.KindOf(err) != domain.KindUnavailable {
		t.Fatalf("a double Close freed an extra slot: err = %v", err)
	}
	_ = st2.Close()
}

func TestStreamThatEndsFreesItsSlotWithoutClose(t *testing.T) {
	m := newBlocking()
	g := admission.Limit(m, 1, 0)
	st, err := g.Stream(context.Background(), ports.Conversation{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := st.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.Stream(context.Background(), ports.Conversation{}); err != nil {
		t.Errorf("slot still held after io.EOF: %v", err)
	}
}

type failing struct{}

func (failing) Chat(context.Context, ports.Conversation) (domain.Answer, error) {
	return domain.Answer{}, domain.Upstream("boom", nil)
}
func (failing) Stream(context.Context, ports.Conversation) (ports.ChatStream, error) {
	return nil, domain.Upstream("boom", nil)
}

func TestFailedCallsGiveTheirSlotBack(t *testing.T) {
	g := admission.Limit(failing{}, 1, 0)
	for range 3 {
		if _, err := g.Chat(context.Background(), ports.Conversation{}); domain.KindOf(err) != domain.KindUpstream {
			t.Fatalf("Chat: %v", err)
		}
		if _, err := g.Stream(context.Background(), ports.Conversation{}); domain.KindOf(err) != domain.KindUpstream {
			t.Fatalf("Stream: %v", err)
		}
	}
}

func asError(err error, target **domain.Error) bool { return errors.As(err, target) }
