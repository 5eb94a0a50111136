package llmhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/llmhttp"
	"github.com/aoai-api/aoai-api/internal/domain"
)

// fakeTimers stands in for time.AfterFunc: nothing fires until the test
// says so, and every timer set is reported on armed.
type fakeTimers struct {
	mu     sync.Mutex
	timers []*fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	f       func()
	stopped bool
}

func newFakeTimers() *fakeTimers { return &fakeTimers{armed: make(chan time.Duration, 256)} }

func (ft *fakeTimers) AfterFunc(d time.Duration, f func()) func() bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	tm := &fakeTimer{f: f}
	ft.timers = append(ft.timers, tm)
	ft.armed <- d
	return func() bool {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		was := !tm.stopped
		tm.stopped = true
		return was
	}
}

// expire fires every timer still running, as if its time had passed,
// and says how many there were.
func (ft *fakeTimers) expire() int {
	ft.mu.Lock()
	var live []*fakeTimer
	for _, tm := range ft.timers {
		if !tm.stopped {
			tm.stopped = true
			live = append(live, tm)
		}
	}
	ft.mu.Unlock()
	for _, tm := range live {
		tm.f()
	}
	return len(live)
}

// nextArmed waits for the stream to set its next timer.
func (ft *fakeTimers) nextArmed(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-ft.armed:
		return d
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("no timer was set")
		return 0
	}
}

// The idle watchdog times the upstream's silence only: a consumer that
// pauses between Recv calls (writing to a slow client, say) while the
// upstream has already sent everything must not see a timeout.
func TestStreamIdleTimeoutIgnoresTheConsumersPauses(t *testing.T) {
	srv := sseServer(t, []string{roleChunk, contentChunk("a"), contentChunk("b"), finishChunk}, true, nil)
	timers := newFakeTimers()
	st, err := open(t, context.Background(), srv.URL, llmhttp.StreamLimits{First: time.Minute, Idle: time.Second},
		llmhttp.WithAfterFunc(timers.AfterFunc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		text, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Recv after %q: %v, want no timeout: the upstream was never silent", got, err)
		}
		got = append(got, text.Text)
		if n := timers.expire(); n != 0 { // the consumer pauses past the idle bound
			t.Errorf("%d stream timers running while the consumer was away", n)
		}
	}
	if strings.Join(got, "") != "ab" {
		t.Errorf("pieces = %q", got)
	}
}

// gatedServer answers 200 with its headers at once, then sends each
// payload only when release lets it.
func gatedServer(t *testing.T, payloads ...string) (*httptest.Server, chan<- struct{}) {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for _, p := range payloads {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			_, _ = fmt.Fprintf(w, "data: %s\n\n", p)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, release
}

// The stream opens at the upstream's 2xx, before any event, so the
// caller can start its own stream and keep-alives at once. The first
// choice is then awaited within what is left of First, across Azure's
// filter-only chunk, and every later event within Idle.
func TestStreamOpensAtTheAnswerAndBudgetsTheFirstChoice(t *testing.T) {
	srv, release := gatedServer(t, filterOnlyChunk, roleChunk, contentChunk("hi"), finishChunk, "[DONE]")
	timers := newFakeTimers()
	clock := at("2026-01-01T00:00:00Z")
	c := llmhttp.New(http.DefaultClient, target,
		llmhttp.WithAfterFunc(timers.AfterFunc), llmhttp.WithClock(clock.Now))
	opened := make(chan error, 1)
	var st *llmhttp.ChatStream
	go func() {
		var err error
		st, err = c.OpenStream(context.Background(), func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
		}, llmhttp.StreamLimits{First: time.Hour, Idle: time.Minute})
		opened <- err
	}()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second): // hang guard; no event has been released
		t.Fatal("OpenStream waited for an event: it must return at the upstream's 2xx")
	}
	defer st.Close()
	if d := timers.nextArmed(t); d != time.Hour {
		t.Fatalf("request armed with %v, want First", d)
	}
	pieces := make(chan string, 1)
	go func() {
		d, err := st.Recv()
		if err != nil {
			d.Text = err.Error()
		}
		pieces <- d.Text
	}()
	if d := timers.nextArmed(t); d != time.Hour {
		t.Fatalf("first read armed with %v, want all of First", d)
	}
	clock.advance(20 * time.Minute) // the upstream thinks while we wait
	release <- struct{}{}           // the filter-only chunk: not a choice
	if d := timers.nextArmed(t); d != 40*time.Minute {
		t.Fatalf("read after the filter chunk armed with %v, want the 40m left of First", d)
	}
	release <- struct{}{} // the role chunk: the first choice
	if d := timers.nextArmed(t); d != time.Minute {
		t.Fatalf("read after the first choice armed with %v, want Idle", d)
	}
	release <- struct{}{}
	if got := <-pieces; got != "hi" {
		t.Fatalf("first piece = %q", got)
	}
	go func() { release <- struct{}{}; release <- struct{}{} }()
	if _, err := drainStream(st); err != io.EOF {
		t.Fatalf("end = %v", err)
	}
}

// Before the first choice, the First budget is what times out: its
// timer firing while Recv waits is a timeout, not a cut stream.
func TestStreamFirstChoiceTimeoutComesFromRecv(t *testing.T) {
	srv, _ := gatedServer(t, roleChunk)
	timers := newFakeTimers()
	st, err := open(t, context.Background(), srv.URL, llmhttp.StreamLimits{First: time.Hour, Idle: time.Minute},
		llmhttp.WithAfterFunc(timers.AfterFunc))
	if err != nil {
		t.Fatal(err)
	}
	timers.nextArmed(t) // the request's
	errc := make(chan error, 1)
	go func() { _, err := st.Recv(); errc <- err }()
	timers.nextArmed(t)
	timers.expire()
	if err := <-errc; domain.KindOf(err) != domain.KindTimeout {
		t.Errorf("err = %v, want timeout", err)
	}
}
