package test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Soak parameters. The per-request deadline is what the service's own
// bounds add up to: a queue wait, the upstream timeout, one stream idle
// gap, and slack for a loaded 2-core machine.
const (
	soakRequests    = 4000
	soakWorkers     = 32
	soakBudget      = 50 * time.Second // a hard stop for the whole soak
	soakDeadline    = 9 * time.Second  // UPSTREAM_QUEUE_TIMEOUT 2s + UPSTREAM_TIMEOUT 3s + STREAM_IDLE_TIMEOUT 2s + 2s
	soakRSSLimitKiB = 64 << 10         // the stated bound on the service's resident memory (about 20 MiB measured)
	soakKey         = "soak-key-0123456789abcdef"
)

// faultyUpstream answers like Azure, except that one call in ten (by a
// counter, so the mix is exact) fails in one of five ways.
type faultyUpstream struct {
	*azureUpstream
	n      atomic.Int64
	faults [5]atomic.Int64
}

func newFaultyUpstream(t *testing.T) *faultyUpstream {
	f := &faultyUpstream{}
	f.azureUpstream = newAzureUpstream(t, f.reply)
	return f
}

func (f *faultyUpstream) reply(w http.ResponseWriter, req wireRequest) {
	n := f.n.Add(1)
	if n%10 != 0 {
		azureReply(w, req)
		return
	}
	kind := (n / 10) % 5
	f.faults[kind].Add(1)
	switch kind {
	case 0:
		w.Header().Set("Retry-After", "1")
		azureError(w, http.StatusTooManyRequests, "429", "Rate limit is exceeded.")
	case 1:
		azureError(w, http.StatusInternalServerError, "InternalServerError", "The server had an error")
	case 2:
		if req.Stream && n%20 == 0 { // a stream cut after it started
			azureStreamStart(w)
			sseChunk(w, "partial ", nil)
		}
		hangUp(w)
	case 3:
		f.slow(w, req, n)
	case 4:
		if req.Stream {
			azureStreamStart(w)
			_, _ = io.WriteString(w, "data: {not json\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"choices":[{"message":{"content":"cut`)
	}
}

// slow is mostly a delay the service rides out; one in five stalls
// until the service gives up (its timeout, or the stream idle timeout).
func (f *faultyUpstream) slow(w http.ResponseWriter, req wireRequest, n int64) {
	stall := (n/50)%5 == 0 // slow faults come every 50 calls
	if req.Stream && stall {
		azureStreamStart(w)
		sseChunk(w, "then silence", nil)
	}
	wait := 300 * time.Millisecond
	if stall {
		wait = time.Minute
	}
	select {
	case <-time.After(wait):
		azureReply(w, req)
	case <-req.Context.Done():
	}
}

func hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

type soakResult struct {
	status  int
	latency time.Duration
	err     error // transport failure, deadline, or a body that breaks the contract
}

func TestFaultInjectionSoak(t *testing.T) {
	up := newFaultyUpstream(t)
	env := azureEnv(up.azureUpstream)
	for k, v := range map[string]string{
		"UPSTREAM_TIMEOUT": "3s", "UPSTREAM_MAX_RETRIES": "1", "UPSTREAM_MAX_RETRY_WAIT": "100ms",
		"STREAM_IDLE_TIMEOUT": "2s", "MAX_CONCURRENT_UPSTREAM": "16", "UPSTREAM_QUEUE_TIMEOUT": "2s",
		"API_KEYS": soakKey, "LOG_FILE": "",
	} {
		env[k] = v
	}
	svc := startService(t, env)
	// Every soak answer also goes through the contract check, like any other.
	soak := func(i int) soakResult { return soakCall(t, svc.URL, i) }
	settle := func() {
		client.CloseIdleConnections()
		up.CloseClientConnections() // the service's idle upstream connections
	}

	for i := range soakWorkers { // warm every path and pool once
		if r := soak(i); r.err != nil && r.status != 200 {
			t.Logf("warm-up %d: %d %v", i, r.status, r.err)
		}
	}
	settle()
	before := settledGoroutines(t, svc.URL, -1)

	rss := watchRSS(t, svc.cmd.Process.Pid)
	ctx, cancel := context.WithTimeout(context.Background(), soakBudget)
	defer cancel()
	start := time.Now()
	results := make([]soakResult, soakRequests)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range soakWorkers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < soakRequests && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				results[i] = soak(i)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	peakKiB := rss.stop()
	if ctx.Err() != nil {
		t.Fatalf("the soak ran past its %v budget", soakBudget)
	}

	statuses := map[int]int{}
	var slowest time.Duration
	for i, r := range results {
		statuses[r.status]++
		slowest = max(slowest, r.latency)
		if r.err != nil {
			t.Errorf("request %d (%s): %v", i, soakRoutes[i%len(soakRoutes)].path, r.err)
		}
	}
	settle()
	after := settledGoroutines(t, svc.URL, before)
	t.Logf("soak: %d requests at %d-way in %v (%.0f/s); upstream calls %d, faults injected %v; statuses %v; slowest %v; "+
		"peak RSS %d KiB (bound %d KiB); goroutines before %d, after %d",
		soakRequests, soakWorkers, elapsed.Round(time.Millisecond), float64(soakRequests)/elapsed.Seconds(), up.n.Load(),
		faultCounts(up), statuses, slowest.Round(time.Millisecond), peakKiB, soakRSSLimitKiB, before, after)

	for s := range statuses {
		if !soakDocumented[s] {
			t.Errorf("undocumented status %d (%d times)", s, statuses[s])
		}
	}
	if statuses[200] < soakRequests*8/10 {
		t.Errorf("only %d of %d succeeded: the retries should absorb most faults", statuses[200], soakRequests)
	}
	if peakKiB > soakRSSLimitKiB {
		t.Errorf("peak RSS %d KiB exceeds the %d KiB bound", peakKiB, soakRSSLimitKiB)
	}
	if after > before+2 {
		t.Errorf("goroutines did not return to baseline: %d before, %d after", before, after)
	}
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"still here"}`, "X-API-Key", soakKey); r.Status != 200 {
		t.Errorf("after the soak: %d %s", r.Status, r.Body)
	}
}

// soakDocumented are the statuses the README documents for these routes
// with valid input: success, throttling passed on, upstream failure, the
// concurrency gate, and the upstream deadline.
var soakDocumented = map[int]bool{200: true, 429: true, 502: true, 503: true, 504: true}

var soakRoutes = []struct {
	path, body string
	stream, v1 bool
}{
	{"/api/completions", `{"prompt":"soak"}`, false, false},
	{"/api/chat", `{"messages":[{"role":"user","content":"soak"}]}`, false, false},
	{"/api/completions/stream", `{"prompt":"soak"}`, true, false},
	{"/v1/chat/completions", `{"model":"` + testDeployment + `","messages":[{"role":"user","content":"soak"}]}`, false, true},
	{"/v1/chat/completions", `{"model":"` + testDeployment + `","stream":true,"messages":[{"role":"user","content":"soak"}]}`, true, true},
}

// soakCall sends request i and checks the answer's shape. It runs on
// worker goroutines, so it reports through its result, never t.
func soakCall(t *testing.T, base string, i int) soakResult {
	route := soakRoutes[i%len(soakRoutes)]
	ctx, cancel := context.WithTimeout(withTest(context.Background(), t), soakDeadline)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+route.path, strings.NewReader(route.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+soakKey)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return soakResult{latency: time.Since(start), err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	res := soakResult{status: resp.StatusCode, latency: time.Since(start)}
	switch {
	case err != nil:
		res.err = fmt.Errorf("reading the body: %w (hung past the %v deadline?)", err, soakDeadline)
	case resp.StatusCode == 200 && route.stream:
		res.err = checkStream(resp.Header, body, route.v1)
	default:
		res.err = checkJSON(resp, body, route.v1)
	}
	return res
}

func faultCounts(up *faultyUpstream) string {
	names := []string{"429", "500", "reset", "slow", "malformed"}
	var parts []string
	for i, n := range names {
		parts = append(parts, n+"="+strconv.FormatInt(up.faults[i].Load(), 10))
	}
	return strings.Join(parts, " ")
}
