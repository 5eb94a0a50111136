package test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// An upstream that redirects must never see its redirect followed: Go
// would resend api-key to the new host. The failure is a 502 naming no
// URL, and a provider id that fails the X-Request-ID rule is dropped
// from the header, the body and the log.
func TestUpstreamRedirectIsNeverFollowed(t *testing.T) {
	var elsewhere, keys atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		if r.Header.Get("api-key") != "" {
			keys.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"stolen"},"finish_reason":"stop"}]}`))
	}))
	t.Cleanup(thief.Close)
	badID := strings.Repeat("i", 129) // one byte over the rule
	var code atomic.Int32
	up := newAzureUpstream(t, func(w http.ResponseWriter, _ wireRequest) {
		w.Header().Set("apim-request-id", badID)
		w.Header().Set("Location", thief.URL+"/steal")
		w.WriteHeader(int(code.Load()))
	})
	svc := startService(t, azureEnv(up))
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		code.Store(int32(status))
		for _, path := range []string{"/api/completions", "/api/completions/stream"} {
			r := postJSON(t, svc.URL+path, `{"prompt":"x"}`)
			assertErrorResponse(t, r, http.StatusBadGateway, "redirect")
			if strings.Contains(string(r.Body), thief.URL) || strings.Contains(string(r.Body), "steal") {
				t.Errorf("%d %s: body names the redirect target: %s", status, path, r.Body)
			}
			if got := r.Header.Get("X-Upstream-Request-ID"); got != "" || strings.Contains(string(r.Body), "upstream_request_id") {
				t.Errorf("%d %s: an invalid provider id was echoed: header %q, body %s", status, path, got, r.Body)
			}
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target was called %d times, %d with the api-key", n, keys.Load())
	}
	for _, l := range svc.lines() {
		if strings.Contains(l, badID) || strings.Contains(l, thief.URL) {
			t.Errorf("log line echoes the provider's invalid id or the redirect target: %s", l)
		}
	}
}

// Data lines with no blank line between them are one event; an upstream
// sending 1 MiB lines without end must fail the stream, not grow one event
// in our memory. The stream has started (the upstream answered 200), so
// the failure is an error event, and the service stays up.
func TestUpstreamOversizedStreamEventFailsTheStream(t *testing.T) {
	line := "data: " + strings.Repeat("x", 1<<20-1024) + "\n"
	var sent atomic.Int32
	gaveUp := make(chan struct{})
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		defer close(gaveUp)
		azureStreamStart(w)
		sseChunk(w, "Hello", nil)
		for range 64 {
			if _, err := fmt.Fprint(w, line); err != nil {
				return // we hung up, as we must
			}
			w.(http.Flusher).Flush()
			sent.Add(1)
			if req.Context.Err() != nil {
				return
			}
		}
	})
	svc := startService(t, azureEnv(up))
	s := openStream(t, context.Background(), svc.URL+"/api/completions/stream", `{"prompt":"x"}`)
	if ev := s.next(t); ev.Data["delta"] != "Hello" {
		t.Fatalf("first event = %+v", ev)
	}
	ev := s.next(t)
	if msg, _ := ev.Data["error"].(string); ev.Name != "error" || !strings.Contains(msg, "malformed stream event") {
		t.Errorf("event = %+v, want an error event for the malformed upstream stream", ev)
	}
	select {
	case <-gaveUp:
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("the upstream was still being read")
	}
	if n := sent.Load(); n == 64 {
		t.Errorf("all %d MiB were read: the event bound did not stop the read", n)
	}
	if r := call(t, http.MethodGet, svc.URL+"/healthz", "", ""); r.Status != http.StatusOK {
		t.Errorf("/healthz after the stream = %d", r.Status)
	}
}

// The stream starts at the upstream's 200, so keep-alives go out while
// the model has not yet sent its first choice. The upstream here holds
// its first choice until the client has seen a keep-alive.
func TestStreamKeepAliveBeforeTheFirstChoice(t *testing.T) {
	release := make(chan struct{})
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-req.Context.Done():
			return
		}
		azureStreamStart(w)
		sseChunk(w, "Hello", nil)
		azureStreamEnd(w, true)
	})
	env := azureEnv(up)
	env["STREAM_KEEPALIVE_INTERVAL"] = "50ms"
	svc := startService(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // hang guard
	defer cancel()
	s := openStream(t, ctx, svc.URL+"/api/completions/stream", `{"prompt":"x"}`)
	if s.resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", s.resp.StatusCode)
	}
	lines := bufio.NewReader(s.resp.Body)
	for {
		l, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before a keep-alive: %v", err)
		}
		if strings.HasPrefix(l, "data:") {
			t.Fatalf("data before any keep-alive: %q", l)
		}
		if strings.TrimRight(l, "\r\n") == ": keep-alive" {
			break
		}
	}
	close(release)
	var rest strings.Builder
	for {
		l, err := lines.ReadString('\n')
		rest.WriteString(l)
		if err != nil {
			break
		}
	}
	if !strings.Contains(rest.String(), `data: {"delta":"Hello"}`) || !strings.Contains(rest.String(), "event: done") {
		t.Errorf("after the keep-alives: %q, want the delta and done", rest.String())
	}
}

// After the upstream's 200, a failure before the first token is no
// longer a JSON error: the client already has its stream, so it gets an
// error event.
func TestStreamFailureBeforeTheFirstTokenIsAnErrorEvent(t *testing.T) {
	up := newAzureUpstream(t, func(w http.ResponseWriter, _ wireRequest) {
		w.Header().Set("Content-Type", "text/event-stream")
		writeEvent(w, map[string]any{"choices": []any{}, "prompt_filter_results": []any{}}) // Azure's filter-only chunk: no choice
		writeEvent(w, map[string]any{"error": map[string]any{"code": "server_error", "message": "overloaded"}})
	})
	svc := startService(t, azureEnv(up))
	s := openStream(t, context.Background(), svc.URL+"/api/completions/stream", `{"prompt":"x"}`)
	if s.resp.StatusCode != http.StatusOK || s.resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q: want the stream started", s.resp.StatusCode, s.resp.Header.Get("Content-Type"))
	}
	ev := s.next(t)
	if msg, _ := ev.Data["error"].(string); ev.Name != "error" || !strings.Contains(msg, "failed during the stream") ||
		ev.Data["correlation_id"] != s.resp.Header.Get("X-Request-ID") {
		t.Errorf("event = %+v, want the error event", ev)
	}
}
