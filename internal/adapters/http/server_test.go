package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// lockedBuffer collects log lines written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// entry returns the first JSON log line with msg, if any.
func (l *lockedBuffer) entry(msg string) map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(l.b.String(), "\n") {
		var m map[string]any
		// newLogger renames zerolog's message field process-wide, so
		// whether it ran first decides the name.
		if json.Unmarshal([]byte(line), &m) == nil && (m["message"] == msg || m["msg"] == msg) {
			return m
		}
	}
	return nil
}

// waitLog polls for a log line, with a deadline.
func (l *lockedBuffer) waitLog(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := l.entry(msg); m != nil {
			return m
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no %q log line", msg)
		}
	}
}

// drainRig runs serve with timers the test fires by hand.
type drainRig struct {
	addr    string
	logs    *lockedBuffer
	stop    context.CancelFunc
	delay   chan time.Time
	timeout chan time.Time
	srv     *Server
	done    chan error
}

func startDrainRig(t *testing.T, h http.Handler, others ...Listener) *drainRig {
	t.Helper()
	r := &drainRig{logs: &lockedBuffer{}, delay: make(chan time.Time), timeout: make(chan time.Time), done: make(chan error, 1)}
	policy := DrainPolicy{Delay: time.Hour, Timeout: 2 * time.Hour} // hours: only the test fires them
	r.srv = NewServer(policy, testLimits, zerolog.New(r.logs))
	r.srv.after = func(d time.Duration) <-chan time.Time {
		switch d {
		case policy.Delay:
			return r.delay
		case policy.Timeout:
			return r.timeout
		}
		t.Errorf("unexpected timer %s", d)
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	go func() {
		r.done <- r.srv.Serve(ctx, Listener{Name: "listening", Addr: "127.0.0.1:0", Handler: h}, others...)
	}()
	r.addr = r.logs.waitLog(t, "listening")["addr"].(string)
	t.Cleanup(func() {
		stop()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not return")
		}
	})
	return r
}

func (r *drainRig) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for Cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return")
		return nil
	}
}

// slowHandler blocks /slow until release closes or its context ends,
// and reports the context's cause.
func slowHandler(arrived chan<- struct{}, release <-chan struct{}, cause chan<- error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
			_, _ = io.WriteString(w, "done")
		case <-r.Context().Done():
			cause <- context.Cause(r.Context())
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/fast", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	return mux
}

type result struct {
	status int
	body   string
	err    error
}

func getAsync(url string) <-chan result {
	out := make(chan result, 1)
	go func() {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get(url)
		if err != nil {
			out <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out <- result{status: resp.StatusCode, body: string(b)}
	}()
	return out
}

func TestDrainAcceptsDuringTheDelayThenWaitsForInFlight(t *testing.T) {
	arrived, release, cause := make(chan struct{}, 1), make(chan struct{}), make(chan error, 1)
	r := startDrainRig(t, slowHandler(arrived, release, cause))
	slow := getAsync("http://" + r.addr + "/slow")
	<-arrived

	r.stop() // the signal
	<-r.srv.draining
	if got := <-getAsync("http://" + r.addr + "/fast"); got.status != 200 {
		t.Fatalf("during the delay a new request got %+v, want 200", got)
	}
	if r.logs.entry("stopped accepting connections") != nil {
		t.Fatal("stopped accepting before the delay ended")
	}

	r.delay <- time.Now()
	r.logs.waitLog(t, "stopped accepting connections")
	if conn, err := net.Dial("tcp", r.addr); err == nil {
		_ = conn.Close()
		t.Error("a new connection was accepted after the delay")
	}
	close(release)
	if got := <-slow; got.status != 200 || got.body != "done" {
		t.Errorf("in-flight request = %+v, want 200 done", got)
	}
	if err := r.wait(t); err != nil {
		t.Errorf("serve = %v, want nil", err)
	}
	if r.logs.entry("shutdown deadline passed: ending open requests and streams") != nil {
		t.Error("the deadline fired although the request finished")
	}
}

func TestDeadlineCancelsRequestsWithTheShutdownCause(t *testing.T) {
	arrived, release, cause := make(chan struct{}, 1), make(chan struct{}), make(chan error, 1)
	r := startDrainRig(t, slowHandler(arrived, release, cause))
	slow := getAsync("http://" + r.addr + "/slow")
	<-arrived
	r.stop()
	r.delay <- time.Now()
	r.logs.waitLog(t, "stopped accepting connections")
	r.timeout <- time.Now()
	if got := <-cause; !errors.Is(got, ErrShuttingDown) {
		t.Errorf("handler's context cause = %v, want the shutdown cause", got)
	}
	if got := <-slow; got.status != 503 {
		t.Errorf("request open at the deadline = %+v, want its own 503 answer", got)
	}
	if err := r.wait(t); err != nil {
		t.Errorf("serve = %v, want nil", err)
	}
	r.logs.waitLog(t, "shutdown deadline passed: ending open requests and streams")
	r.logs.waitLog(t, "stopped")
}

func TestMetricsListenerServesThroughTheDrain(t *testing.T) {
	arrived, release, cause := make(chan struct{}, 1), make(chan struct{}), make(chan error, 1)
	scrape := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "metrics") })
	r := startDrainRig(t, slowHandler(arrived, release, cause), Listener{Name: "metrics listening", Addr: "127.0.0.1:0", Handler: scrape})
	maddr := r.logs.waitLog(t, "metrics listening")["addr"].(string)
	slow := getAsync("http://" + r.addr + "/slow")
	<-arrived
	r.stop()
	r.delay <- time.Now()
	r.logs.waitLog(t, "stopped accepting connections")
	if got := <-getAsync("http://" + maddr + "/metrics"); got.status != 200 || got.body != "metrics" {
		t.Errorf("scrape while the API drains = %+v", got)
	}
	close(release)
	<-slow
	if err := r.wait(t); err != nil {
		t.Errorf("serve = %v", err)
	}
	if conn, err := net.Dial("tcp", maddr); err == nil {
		_ = conn.Close()
		t.Error("the metrics listener outlived the drain")
	}
}

func TestListenFailureIsReported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := NewServer(DrainPolicy{}, testLimits, zerolog.Nop())
	err = srv.Serve(context.Background(), Listener{Name: "listening", Addr: "127.0.0.1:0", Handler: http.NotFoundHandler()},
		Listener{Name: "metrics listening", Addr: ln.Addr().String(), Handler: http.NotFoundHandler()})
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("err = %v, want a listen error", err)
	}
}

var testLimits = Limits{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 120 * time.Second, Write: 30 * time.Second, MaxHeaderBytes: 64 << 10}
