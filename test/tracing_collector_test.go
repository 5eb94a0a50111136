package test

import (
	"errors"
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
)

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
