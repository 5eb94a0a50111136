package test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// gate is an upstream that holds requests until the test opens it.
type gate struct {
	arrived chan struct{} // one value per request that reached the upstream
	open    chan struct{}
	once    sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{arrived: make(chan struct{}, 8), open: make(chan struct{})}
	t.Cleanup(g.release) // never leave the upstream blocked
	return g
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// wait blocks the upstream handler until the gate opens or the service
// gives up on the call; it reports whether the gate opened.
func (g *gate) wait(ctx context.Context) bool {
	g.arrived <- struct{}{}
	select {
	case <-g.open:
		return true
	case <-ctx.Done():
		return false
	}
}

func (g *gate) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the request never reached the upstream")
	}
}

func withEnv(base map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(base)+len(kv)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

const (
	msgDraining = "draining: readiness now fails; still accepting until the delay ends"
	msgClosed   = "stopped accepting connections"
	msgDeadline = "shutdown deadline passed: ending open requests and streams"
)

// assertDrainingThenClosed checks the two halves of the drain while a
// request is still open: /readyz fails but connections are accepted,
// then the listener closes.
func assertDrainingThenClosed(t *testing.T, svc *service) {
	t.Helper()
	svc.waitFor(t, msgDraining)
	ready := call(t, http.MethodGet, svc.URL+"/readyz", "", "")
	if ready.Status != http.StatusServiceUnavailable || ready.JSON(t)["status"] != "draining" {
		t.Errorf("/readyz during the drain = %d %s, want 503 draining", ready.Status, ready.Body)
	}
	svc.waitFor(t, msgClosed)
	conn, err := net.DialTimeout("tcp", svc.addr(), 2*time.Second)
	if err == nil {
		_ = conn.Close()
		t.Fatal("a new connection was accepted after SHUTDOWN_DELAY")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after the delay: %v, want connection refused", err)
	}
}

func TestSIGTERMDrainsAnInFlightRequest(t *testing.T) {
	g := newGate(t)
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if g.wait(req.Context) {
			azureReply(w, req)
		}
	})
	svc := startService(t, withEnv(azureEnv(up), "SHUTDOWN_DELAY", "2s", "SHUTDOWN_TIMEOUT", "20s", "LOG_FILE", ""))
	if r := call(t, http.MethodGet, svc.URL+"/readyz", "", ""); r.Status != 200 {
		t.Fatalf("/readyz before the signal = %d %s", r.Status, r.Body)
	}
	inflight := postAsync(t, svc.URL+"/api/completions", `{"prompt":"slow one"}`)
	g.waitArrival(t)

	svc.signal(t, syscall.SIGTERM)
	assertDrainingThenClosed(t, svc)
	select {
	case r := <-inflight:
		t.Fatalf("the request ended before its upstream answered: %d %s", r.Status, r.Body)
	default:
	}
	g.release()
	r := <-inflight
	if r.Status != 200 || r.JSON(t)["response"] != "echo: slow one" {
		t.Errorf("in-flight request = %d %s, want 200 with the answer", r.Status, r.Body)
	}
	if code := svc.waitExit(t); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	if len(svc.logEntries(msgDeadline)) != 0 {
		t.Error("the deadline fired although the request finished in time")
	}
	if len(svc.logEntries("stopped")) != 1 {
		t.Error("no final log line")
	}
}

func TestSIGTERMLetsAnOpenStreamFinish(t *testing.T) {
	g := newGate(t)
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		azureStreamStart(w)
		sseChunk(w, "Hello", nil)
		if g.wait(req.Context) {
			sseChunk(w, " world", nil)
			azureStreamEnd(w, true)
		}
	})
	svc := startService(t, withEnv(azureEnv(up), "SHUTDOWN_DELAY", "2s", "SHUTDOWN_TIMEOUT", "20s", "LOG_FILE", ""))
	s := openStream(t, context.Background(), svc.URL+"/api/completions/stream", `{"prompt":"hi"}`)
	if ev := s.next(t); ev.Data["delta"] != "Hello" {
		t.Fatalf("first event = %+v", ev)
	}
	g.waitArrival(t)

	svc.signal(t, syscall.SIGTERM)
	assertDrainingThenClosed(t, svc)
	g.release()
	if ev := s.next(t); ev.Data["delta"] != " world" {
		t.Errorf("second event = %+v", ev)
	}
	if ev := s.next(t); ev.Name != "done" || ev.Data["finish_reason"] != "stop" {
		t.Errorf("last event = %+v, want done", ev)
	}
	if ev, err := s.events.next(); !errors.Is(err, io.EOF) {
		t.Errorf("after done: %+v, %v; want the end of the stream", ev, err)
	}
	if code := svc.waitExit(t); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

func TestShutdownDeadlineEndsStreamsWithAnErrorEvent(t *testing.T) {
	cancelled := make(chan struct{}, 2)
	g := newGate(t) // never opened: these calls outlive the deadline
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if req.Stream {
			azureStreamStart(w)
			sseChunk(w, "Hello", nil)
		}
		if !g.wait(req.Context) {
			cancelled <- struct{}{}
		}
	})
	svc := startService(t, withEnv(azureEnv(up), "SHUTDOWN_DELAY", "0s", "SHUTDOWN_TIMEOUT", "1s", "LOG_FILE", ""))
	s := openStream(t, context.Background(), svc.URL+"/api/completions/stream", `{"prompt":"hi"}`)
	if ev := s.next(t); ev.Data["delta"] != "Hello" {
		t.Fatalf("first event = %+v", ev)
	}
	g.waitArrival(t)
	blocked := postAsync(t, svc.URL+"/api/completions", `{"prompt":"slow"}`)
	g.waitArrival(t)

	svc.signal(t, syscall.SIGTERM)
	ev := s.next(t)
	if msg, _ := ev.Data["error"].(string); ev.Name != "error" || !strings.Contains(msg, "shutting down") || ev.Data["correlation_id"] == nil {
		t.Errorf("event at the deadline = %+v, want event: error saying the server is shutting down", ev)
	}
	if ev, err := s.events.next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the error event: %+v, %v; want the stream closed", ev, err)
	}
	if r := <-blocked; r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "shutting down") {
		t.Errorf("request open at the deadline = %d %s, want 503", r.Status, r.Body)
	}
	for range 2 {
		select {
		case <-cancelled:
		case <-time.After(10 * time.Second):
			t.Fatal("an upstream call was not cancelled at the deadline")
		}
	}
	if code := svc.waitExit(t); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	if len(svc.logEntries(msgDeadline)) != 1 {
		t.Error("the deadline was not logged")
	}
}

func TestSecondSignalForcesExit(t *testing.T) {
	g := newGate(t)
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) { g.wait(req.Context) })
	svc := startService(t, withEnv(azureEnv(up), "SHUTDOWN_DELAY", "60s", "SHUTDOWN_TIMEOUT", "60s", "LOG_FILE", ""))
	inflight := postAsync(t, svc.URL+"/api/completions", `{"prompt":"slow"}`)
	g.waitArrival(t)
	svc.signal(t, syscall.SIGTERM)
	svc.waitFor(t, msgDraining)
	svc.signal(t, syscall.SIGINT)
	// waitExit gives up after 15s, far less than the 60s drain: only the
	// forced exit can pass.
	if code := svc.waitExit(t); code != 2 {
		t.Errorf("exit code after a second signal = %d, want 2", code)
	}
	if r := <-inflight; r.Status != -1 {
		t.Errorf("the in-flight request got %d; a forced exit drops it", r.Status)
	}
	found := false
	for _, l := range svc.lines() {
		found = found || strings.Contains(l, "second signal: exiting without draining")
	}
	if !found {
		t.Error("the forced exit says nothing")
	}
}
