package test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// A client's trace context, as a browser or an instrumented caller sends it.
const (
	clientTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpanID  = "00f067aa0ba902b7"
	traceparent   = "00-" + clientTraceID + "-" + clientSpanID + "-01"
	chatBody      = `{"messages":[{"role":"user","content":"trace me"}]}`
)

// traceparentForm is a W3C traceparent: version, trace id, parent id, flags.
var traceparentForm = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$`)

// One request with a client's traceparent, followed through every hop:
// the server span, the attempt's client span under it with the GenAI
// conventions, the traceparent the upstream received, and the log lines.
func TestTracingFollowsARequestAcrossEveryHop(t *testing.T) {
	rcv := newOTLPReceiver(t)
	var upstreamTP atomic.Value
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		upstreamTP.Store(req.Header.Get("traceparent"))
		azureReply(w, req)
	})
	svc := startService(t, withEnv(azureEnv(up), append(rcv.tracingEnv(), "LOG_LEVEL", "DEBUG")...))
	r := postJSON(t, svc.URL+"/api/chat", chatBody, "traceparent", traceparent, "X-Request-ID", "trace-e2e-0001")
	if r.Status != 200 {
		t.Fatalf("POST /api/chat = %d %s", r.Status, r.Body)
	}
	spans := rcv.waitSpans(t, "the request's server and attempt spans", func(s []span) bool {
		return len(inTrace(s, clientTraceID, "POST /api/chat")) == 1 && len(inTrace(s, clientTraceID, "chat "+testDeployment)) == 1
	})
	server := inTrace(spans, clientTraceID, "POST /api/chat")[0]
	attempt := inTrace(spans, clientTraceID, "chat "+testDeployment)[0]

	t.Run("server span", func(t *testing.T) {
		if server.Kind != tracepb.Span_SPAN_KIND_SERVER || server.ParentID != clientSpanID {
			t.Errorf("server span kind %s parent %s, want SERVER under the client's %s", server.Kind, server.ParentID, clientSpanID)
		}
		assertAttrs(t, server, map[string]any{
			"http.request.method": "POST", "http.route": "/api/chat", "http.response.status_code": int64(200),
			"aoai.correlation_id": "trace-e2e-0001",
		})
		if server.Resource["service.name"] != "aoai-api" || server.Resource["service.version"] == nil {
			t.Errorf("resource = %v, want service.name aoai-api and a service.version", server.Resource)
		}
	})
	t.Run("attempt span", func(t *testing.T) {
		if attempt.Kind != tracepb.Span_SPAN_KIND_CLIENT || !descends(spans, attempt, server.SpanID) {
			t.Errorf("attempt span kind %s parent %s, want CLIENT under the server span %s:\n%s", attempt.Kind, attempt.ParentID, server.SpanID, describeSpans(spans))
		}
		assertAttrs(t, attempt, map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "azure.ai.openai",
			"gen_ai.request.model": testDeployment, "gen_ai.response.model": "gpt-4o-2024-08-06",
			"gen_ai.response.id": "chatcmpl-e2e", "gen_ai.response.finish_reasons": []any{"stop"},
			"gen_ai.usage.input_tokens": int64(17), "gen_ai.usage.output_tokens": int64(4), // azureReply's usage
			"server.address": "127.0.0.1", "http.response.status_code": int64(200),
			"aoai.backend": "azure", "aoai.attempt": int64(1), "aoai.upstream_request_id": "apim-e2e-1",
		})
		for _, key := range []string{"gen_ai.prompt", "gen_ai.completion", "gen_ai.input.messages", "gen_ai.output.messages"} {
			if _, ok := attempt.Attrs[key]; ok {
				t.Errorf("the attempt span carries %s although LOG_PROMPTS is off", key)
			}
		}
	})
	t.Run("upstream traceparent", func(t *testing.T) {
		got, _ := upstreamTP.Load().(string)
		m := traceparentForm.FindStringSubmatch(got)
		if m == nil || m[1] != clientTraceID || m[2] != attempt.SpanID {
			t.Errorf("upstream traceparent = %q, want the trace %s with the attempt span %s as parent", got, clientTraceID, attempt.SpanID)
		}
	})
	t.Run("log lines", func(t *testing.T) {
		ids := map[string]bool{}
		for _, s := range spans {
			ids[s.SpanID] = s.TraceID == clientTraceID
		}
		var lines int
		for _, e := range svc.logEntries("") {
			if e["correlation_id"] != "trace-e2e-0001" {
				continue
			}
			lines++
			if e["trace_id"] != clientTraceID || !ids[fmt.Sprint(e["span_id"])] {
				t.Errorf("log line %v: want trace_id %s and the span_id of one of its spans", e, clientTraceID)
			}
		}
		if lines < 2 { // the upstream call and the access line at least
			t.Errorf("%d log lines of the request, want its upstream call and access lines", lines)
		}
	})
}

func assertAttrs(t *testing.T, s span, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got, ok := s.Attrs[k]; !ok || fmt.Sprint(got) != fmt.Sprint(v) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", v) {
			t.Errorf("%s: %s = %#v, want %#v", s.Name, k, s.Attrs[k], v)
		}
	}
}

// A stream's attempt span ends when the stream does, not when its
// headers arrive: it is not exported while the upstream holds the stream
// open, and its end follows the last chunk. Its first token is an event.
func TestStreamedAttemptSpanEndsWithTheStream(t *testing.T) {
	rcv := newOTLPReceiver(t)
	release := make(chan struct{})
	var beforeLast atomic.Value
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		azureStreamStart(w)
		sseChunk(w, "Hello", nil)
		select {
		case <-release:
		case <-req.Context.Done():
			return
		}
		sseChunk(w, " world", nil)
		beforeLast.Store(time.Now())
		azureStreamEnd(w, true)
	})
	svc := startService(t, withEnv(azureEnv(up), rcv.tracingEnv()...))
	s := openStreamWith(t, svc.URL+"/api/chat/stream", chatBody, "traceparent", traceparent)
	if ev := s.next(t); ev.Data["delta"] != "Hello" {
		t.Fatalf("first event = %+v", ev)
	}
	// Another request's span arriving shows that an export ran after the
	// first token: a span already ended would have gone with it or before.
	if r := call(t, http.MethodGet, svc.URL+"/api/", "", ""); r.Status != 200 {
		t.Fatalf("GET /api/ = %d", r.Status)
	}
	rcv.waitSpans(t, "the GET /api/ span", func(s []span) bool {
		return slices.ContainsFunc(s, func(x span) bool { return x.Name == "GET /api/" })
	})
	if early := inTrace(rcv.received(), clientTraceID, "chat "+testDeployment); len(early) > 0 {
		t.Fatalf("the attempt span was exported while the stream was still open: %+v", early[0])
	}
	close(release)
	for ev := s.next(t); ev.Name != "done"; ev = s.next(t) {
	}
	spans := rcv.waitSpans(t, "the stream's attempt span", func(s []span) bool {
		return len(inTrace(s, clientTraceID, "chat "+testDeployment)) == 1
	})
	attempt := inTrace(spans, clientTraceID, "chat "+testDeployment)[0]
	last, _ := beforeLast.Load().(time.Time)
	if attempt.End.Before(last) {
		t.Errorf("the attempt span ended at %v, before the last chunk was sent at %v", attempt.End, last)
	}
	i := slices.IndexFunc(attempt.Events, func(e spanEvent) bool { return e.Name == "gen_ai.first_token" })
	if i < 0 {
		t.Fatalf("no gen_ai.first_token event on the attempt span: %v", attempt.Events)
	}
	if first := attempt.Events[i].Time; first.Before(attempt.Start) || !first.Before(last) {
		t.Errorf("first token at %v, want within the span (%v) and before the last chunk (%v)", first, attempt.Start, last)
	}
	assertAttrs(t, attempt, map[string]any{
		"gen_ai.usage.input_tokens": int64(12), "gen_ai.usage.output_tokens": int64(3), // azureStreamEnd's usage
		"gen_ai.response.finish_reasons": []any{"stop"},
	})
}

// openStreamWith opens a stream sending extra request headers.
func openStreamWith(t *testing.T, url, body string, hdr ...string) *sseClient {
	t.Helper()
	req, _ := http.NewRequestWithContext(withTest(t.Context(), t), http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s = %d", url, resp.StatusCode)
	}
	return &sseClient{resp: resp, events: newSSEReader(resp.Body)}
}

// A retried request shows each attempt as a span of its own, numbered.
func TestRetriedRequestShowsTwoAttemptSpans(t *testing.T) {
	rcv := newOTLPReceiver(t)
	var calls atomic.Int32
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if calls.Add(1) == 1 {
			azureError(w, http.StatusInternalServerError, "InternalServerError", "The server had an error while processing your request.")
			return
		}
		azureReply(w, req)
	})
	svc := startService(t, withEnv(azureEnv(up), append(rcv.tracingEnv(), "UPSTREAM_MAX_RETRIES", "1")...))
	if r := postJSON(t, svc.URL+"/api/chat", chatBody, "traceparent", traceparent); r.Status != 200 {
		t.Fatalf("POST /api/chat = %d %s", r.Status, r.Body)
	}
	spans := rcv.waitSpans(t, "two attempt spans and the server span", func(s []span) bool {
		return len(inTrace(s, clientTraceID, "chat "+testDeployment)) == 2 && len(inTrace(s, clientTraceID, "POST /api/chat")) == 1
	})
	server := inTrace(spans, clientTraceID, "POST /api/chat")[0]
	attempts := inTrace(spans, clientTraceID, "chat "+testDeployment)
	slices.SortFunc(attempts, func(a, b span) int { return a.Start.Compare(b.Start) })
	for i, a := range attempts {
		if a.Attrs["aoai.attempt"] != int64(i+1) || !descends(spans, a, server.SpanID) {
			t.Errorf("attempt %d: aoai.attempt = %v, parent %s; want %d under the server span", i+1, a.Attrs["aoai.attempt"], a.ParentID, i+1)
		}
	}
	assertAttrs(t, attempts[0], map[string]any{"http.response.status_code": int64(500)})
	if attempts[0].Attrs["error.type"] == nil {
		t.Errorf("the failed attempt has no error.type: %v", attempts[0].Attrs)
	}
	assertAttrs(t, attempts[1], map[string]any{"http.response.status_code": int64(200), "gen_ai.response.id": "chatcmpl-e2e"})
	if _, failed := attempts[1].Attrs["error.type"]; failed {
		t.Errorf("the attempt that answered has an error.type: %v", attempts[1].Attrs)
	}
}

// With no endpoint, nothing connects to a collector, not even to the
// SDK's default localhost:4318 (or gRPC's 4317): requests and a drain
// later, a listener there has seen no connection and the process has
// had no socket to either port. The drain is the synchronisation: an
// exporter flushes on shutdown, before the process exits.
func TestTracingOffConnectsToNoCollector(t *testing.T) {
	var accepted atomic.Int32
	var bound []string
	for _, addr := range []string{"127.0.0.1:4318", "[::1]:4318", "127.0.0.1:4317", "[::1]:4317"} {
		ln := listenWhenFree(t, addr)
		if ln == nil {
			continue
		}
		bound = append(bound, addr)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				t.Cleanup(func() { _ = c.Close() }) // held open: a copy of this test sharing the port sees it in /proc too
			}
		}()
	}
	t.Logf("listening on %v", bound)

	var upstreamTP atomic.Value
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if tp := req.Header.Get("traceparent"); tp != "" {
			upstreamTP.Store(tp)
		}
		azureReply(w, req)
	})
	svc := startService(t, withEnv(azureEnv(up), "OTEL_BSP_SCHEDULE_DELAY", "10", "SHUTDOWN_DELAY", "1s", "SHUTDOWN_TIMEOUT", "2s", "LOG_FILE", ""))
	// The scan runs until the process is gone; a read that fails once the
	// drain began is the process exiting, one that fails before is not.
	var sockets, scans atomic.Int32
	var stopping atomic.Bool
	var scanErr error
	var scanning sync.WaitGroup
	scanning.Go(func() {
		for {
			n, err := socketsTo(svc.cmd.Process.Pid, 4317, 4318)
			if err != nil {
				if !stopping.Load() {
					scanErr = err
				}
				return
			}
			sockets.Add(int32(n))
			scans.Add(1)
			time.Sleep(2 * time.Millisecond) // a sampling interval, not a synchronisation
		}
	})
	for range 3 {
		if r := postJSON(t, svc.URL+"/api/chat", chatBody, "traceparent", traceparent); r.Status != 200 {
			t.Fatalf("POST /api/chat = %d %s", r.Status, r.Body)
		}
	}
	s := openStreamWith(t, svc.URL+"/api/chat/stream", chatBody, "traceparent", traceparent)
	for ev := s.next(t); ev.Name != "done"; ev = s.next(t) {
	}
	if v := scrape(t, svc.URL+"/metrics")[`aoai_api_trace_spans_dropped_total{reason="queue_full"}`]; v != 0 {
		t.Errorf("spans dropped while off: %v", v)
	}
	stopping.Store(true)
	svc.stop(t)
	scanning.Wait()
	if scanErr != nil || scans.Load() == 0 {
		t.Fatalf("reading the process's sockets: %v after %d scans", scanErr, scans.Load())
	}
	if n := accepted.Load(); n > 0 {
		t.Errorf("%d connections to a collector port although no endpoint is set", n)
	}
	if n := sockets.Load(); n > 0 {
		t.Errorf("the process had sockets to port 4317 or 4318 %d times although no endpoint is set", n)
	}
	if tp, _ := upstreamTP.Load().(string); tp != "" {
		t.Errorf("the upstream got traceparent %q although tracing is off", tp)
	}
	if off := svc.logEntries("tracing off"); len(off) != 1 || off[0]["reason"] == nil {
		t.Errorf("tracing off lines = %v, want one with a reason", off)
	}
}

// listenWhenFree listens on addr, waiting a while if another process
// (another copy of this test) holds it; nil when it stays busy or the
// address family is missing, so the /proc check carries the test alone.
func listenWhenFree(t *testing.T, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			t.Cleanup(func() { _ = ln.Close() })
			return ln
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Logf("cannot listen on %s (%v): the /proc check alone covers it", addr, err)
			return nil
		}
		time.Sleep(50 * time.Millisecond) // polling a port another process holds
	}
}

// A collector that is away changes nothing for clients: requests answer
// as always and as fast, the lost spans are counted, and the drain exits
// within its deadline instead of waiting for the collector. Away is a
// closed port (every export refused at once) or a collector that takes
// connections and never answers (every export hangs until its own 10s
// timeout, longer than the drain's budget).
func TestUnreachableCollectorNeitherSlowsRequestsNorHoldsTheDrain(t *testing.T) {
	tests := []struct {
		name, endpoint string
		env            []string
		dropped        string // the series that must count
	}{
		{"refused", closedPort(t), nil, `aoai_api_trace_spans_dropped_total{reason="export_failed"}`},
		{"hanging", hangingCollector(t), []string{"OTEL_BSP_MAX_QUEUE_SIZE", "4"}, `aoai_api_trace_spans_dropped_total{reason="queue_full"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newAzureUpstream(t, azureReply)
			const timeout = 2 * time.Second
			env := withEnv(azureEnv(up), append([]string{"OTEL_EXPORTER_OTLP_ENDPOINT", tt.endpoint, "OTEL_BSP_SCHEDULE_DELAY", "50",
				"SHUTDOWN_TIMEOUT", timeout.String(), "LOG_FILE", ""}, tt.env...)...)
			svc := startService(t, env)
			for i := range 20 {
				start := time.Now()
				r := postJSON(t, svc.URL+"/api/chat", chatBody, "traceparent", traceparent)
				if r.Status != 200 || r.JSON(t)["response"] != "echo: trace me" {
					t.Fatalf("request %d = %d %s", i, r.Status, r.Body)
				}
				if took := time.Since(start); took > time.Second {
					t.Errorf("request %d took %v with the collector away", i, took)
				}
			}
			deadline := time.Now().Add(15 * time.Second)
			for scrape(t, svc.URL+"/metrics")[tt.dropped] == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("%s stayed 0 with the collector away", tt.dropped)
				}
				time.Sleep(20 * time.Millisecond) // polling the counter
			}
			if tt.name == "refused" && len(svc.logEntries("tracing: spans not exported (counted in aoai_api_trace_spans_dropped_total)")) == 0 {
				t.Error("no log line about the failed exports")
			}
			signalled := time.Now()
			svc.stop(t)
			if took := time.Since(signalled); took > timeout+3*time.Second {
				t.Errorf("exit took %v after SIGTERM; SHUTDOWN_DELAY is 0s and SHUTDOWN_TIMEOUT %v", took, timeout)
			}
		})
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

// hangingCollector takes connections and reads them, never answering.
func hangingCollector(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); _ = c.Close() }()
		}
	}()
	return "http://" + ln.Addr().String()
}

// The Deployment's commented collector block is valid once uncommented:
// the manifest still decodes strictly, every name is a setting, and the
// service starts with tracing on at the collector it names.
func TestDeploymentsCommentedCollectorBlockTurnsTracingOn(t *testing.T) {
	m := loadManifests(t)
	raw := string(m.raw["deployment.yaml"])
	lines := strings.Split(raw, "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "# Tracing: uncomment") })
	if start < 0 {
		t.Fatal("deployment.yaml has no commented tracing block")
	}
	entry := regexp.MustCompile(`^(\s*)# (- name: |  value: )`)
	uncommented := 0
	for i := start + 1; i < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
			break
		}
		if loc := entry.FindStringSubmatchIndex(lines[i]); loc != nil {
			lines[i] = lines[i][:loc[3]] + lines[i][loc[3]+2:] // drop "# "
			uncommented++
		}
	}
	obj, _, err := manifestDecoder.Decode([]byte(strings.Join(lines, "\n")), nil, nil)
	if err != nil {
		t.Fatalf("deployment.yaml with the tracing block uncommented: %v", err)
	}
	d, ok := obj.(*appsv1.Deployment)
	if !ok || uncommented == 0 {
		t.Fatalf("decoded %T, %d lines uncommented", obj, uncommented)
	}
	env := map[string]string{}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if strings.HasPrefix(e.Name, "OTEL_") {
			env[e.Name] = e.Value
		}
	}
	if env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "" {
		t.Fatalf("the block sets no OTEL_EXPORTER_OTLP_ENDPOINT: %v", env)
	}
	svc := startService(t, env)
	info := call(t, http.MethodGet, svc.URL+"/api/config/info", "", "").JSON(t)
	for name := range env {
		if _, ok := info[name]; !ok {
			t.Errorf("the block sets %s, which the service does not know", name)
		}
	}
	on := svc.waitFor(t, "tracing on")
	if on["endpoint"] != strings.TrimSuffix(env["OTEL_EXPORTER_OTLP_ENDPOINT"], "/")+"/v1/traces" {
		t.Errorf("tracing on = %v, want the block's endpoint with /v1/traces", on)
	}
}
