package test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
		if lines < 1 { // the access line, its one upstream call folded in, at least
			t.Errorf("%d log lines of the request, want its access line", lines)
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
