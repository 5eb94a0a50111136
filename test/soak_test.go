package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
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
		"API_KEYS": soakKey, "DEBUG_ENDPOINTS": "true", "LOG_FILE": "",
	} {
		env[k] = v
	}
	svc := startService(t, env)
	soak := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: soakWorkers}}
	settle := func() {
		soak.CloseIdleConnections()
		up.CloseClientConnections() // the service's idle upstream connections
	}

	for i := range soakWorkers { // warm every path and pool once
		if r := soakCall(soak, svc.URL, i); r.err != nil && r.status != 200 {
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
				results[i] = soakCall(soak, svc.URL, i)
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
func soakCall(c *http.Client, base string, i int) soakResult {
	route := soakRoutes[i%len(soakRoutes)]
	ctx, cancel := context.WithTimeout(context.Background(), soakDeadline)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+route.path, strings.NewReader(route.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+soakKey)
	start := time.Now()
	resp, err := c.Do(req)
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

func checkJSON(resp *http.Response, body []byte, v1 bool) error {
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		return fmt.Errorf("status %d with Content-Type %q: %.200s", resp.StatusCode, ct, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("status %d, body not JSON: %.200s", resp.StatusCode, body)
	}
	switch {
	case resp.StatusCode == 200 && v1:
		if _, ok := m["choices"].([]any); !ok {
			return fmt.Errorf("no choices: %.200s", body)
		}
	case resp.StatusCode == 200:
		if _, ok := m["response"].(string); !ok {
			return fmt.Errorf("no response: %.200s", body)
		}
	case v1:
		if e, _ := m["error"].(map[string]any); e == nil || e["message"] == "" {
			return fmt.Errorf("status %d without an OpenAI error: %.200s", resp.StatusCode, body)
		}
	default:
		if msg, _ := m["error"].(string); msg == "" || m["correlation_id"] != resp.Header.Get("X-Request-ID") {
			return fmt.Errorf("status %d without our error shape: %.200s", resp.StatusCode, body)
		}
	}
	if (resp.StatusCode == 429 || resp.StatusCode == 503) && resp.Header.Get("Retry-After") == "" {
		return fmt.Errorf("%d without Retry-After", resp.StatusCode)
	}
	return nil
}

// checkStream wants every event to be JSON and the stream to end in
// exactly one way: done ([DONE] on /v1), or an error event.
func checkStream(h http.Header, body []byte, v1 bool) error {
	if ct := h.Get("Content-Type"); ct != "text/event-stream" {
		return fmt.Errorf("stream with Content-Type %q", ct)
	}
	var name, last string
	var lastName string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := strings.TrimPrefix(line, "data: ")
			if data != "[DONE]" && !json.Valid([]byte(data)) {
				return fmt.Errorf("event data is not JSON: %q", data)
			}
			last, lastName, name = data, name, ""
		}
	}
	switch {
	case v1 && last == "[DONE]", !v1 && lastName == "done":
		return nil
	case v1 && strings.HasPrefix(last, `{"error":{`), !v1 && lastName == "error" && strings.HasPrefix(last, `{"error":"`):
		return nil
	}
	return fmt.Errorf("stream ended with neither done nor an error event: %.300s", body)
}

func faultCounts(up *faultyUpstream) string {
	names := []string{"429", "500", "reset", "slow", "malformed"}
	var parts []string
	for i, n := range names {
		parts = append(parts, n+"="+strconv.FormatInt(up.faults[i].Load(), 10))
	}
	return strings.Join(parts, " ")
}

// settledGoroutines polls the debug endpoint until the count is at most
// want+2 (want < 0: until it stops falling), and returns it.
func settledGoroutines(t *testing.T, base string, want int) int {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	prev := -1
	for {
		n := goroutines(t, c, base)
		if (want < 0 && n == prev) || (want >= 0 && n <= want+2) || time.Now().After(deadline) {
			return n
		}
		prev = n
		<-tick.C
	}
}

func goroutines(t *testing.T, c *http.Client, base string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/debug/runtime", nil)
	req.Header.Set("X-API-Key", soakKey)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Goroutines int `json:"goroutines"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Goroutines == 0 {
		t.Fatalf("debug endpoint: %d %v", resp.StatusCode, err)
	}
	return body.Goroutines
}

// rssWatch samples the process's resident set from /proc while the soak
// runs and keeps the peak.
type rssWatch struct {
	done chan struct{}
	peak chan int
}

func watchRSS(t *testing.T, pid int) *rssWatch {
	t.Helper()
	w := &rssWatch{done: make(chan struct{}), peak: make(chan int, 1)}
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	if _, err := readRSS(path); err != nil {
		t.Fatalf("cannot read the service's RSS: %v", err)
	}
	go func() {
		peak := 0
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if kib, err := readRSS(path); err == nil {
				peak = max(peak, kib)
			}
			select {
			case <-w.done:
				w.peak <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) stop() int {
	close(w.done)
	return <-w.peak
}

func readRSS(path string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS in %s", path)
}
