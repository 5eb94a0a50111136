package test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	soakEventBytes  = 64 << 10 // UPSTREAM_MAX_EVENT_BYTES in the soak
	soakSlowEvery   = 200      // one request in this many is a client that never reads its stream
)

// faultNames are the upstream faults, one call in ten, in turn.
var faultNames = []string{"429", "500", "reset", "slow", "malformed", "redirect", "oversized"}

// faultyUpstream answers like Azure, except that one call in ten (by a
// counter, so the mix is exact) fails in one of the faultNames ways. A
// "flood" prompt streams until the service hangs up: the answer to a
// client that never reads.
type faultyUpstream struct {
	*azureUpstream
	n       atomic.Int64
	faults  [7]atomic.Int64
	trap    *httptest.Server // where redirects point; it must never be called
	trapped atomic.Int64
	floods  sync.Map // prompt -> chan struct{}, closed when that flood ended because the service hung up
}

func newFaultyUpstream(t *testing.T) *faultyUpstream {
	f := &faultyUpstream{}
	f.trap = httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { f.trapped.Add(1) }))
	t.Cleanup(f.trap.Close)
	f.azureUpstream = newAzureUpstream(t, f.reply)
	return f
}

func (f *faultyUpstream) reply(w http.ResponseWriter, req wireRequest) {
	if done, ok := f.floods.Load(req.Messages[len(req.Messages)-1].Content); ok {
		f.flood(w, req, done.(chan struct{}))
		return
	}
	n := f.n.Add(1)
	if n%10 != 0 {
		azureReply(w, req)
		return
	}
	kind := (n / 10) % int64(len(faultNames))
	f.faults[kind].Add(1)
	switch kind {
	case 0:
		w.Header().Set("retry-after-ms", "100") // Azure's own spelling, for a short throttle
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
	case 5:
		w.Header().Set("Location", f.trap.URL+"/steal")
		w.WriteHeader(http.StatusTemporaryRedirect)
	case 6:
		if !req.Stream {
			azureReply(w, req)
			return
		}
		azureStreamStart(w) // data lines that never end their event, past the bound
		line := "data: " + strings.Repeat("x", soakEventBytes/2) + "\n"
		for range 3 {
			if _, err := io.WriteString(w, line); err != nil {
				return
			}
		}
		w.(http.Flusher).Flush()
	}
}

// flood streams big chunks until the service hangs up, which it must do
// within WRITE_TIMEOUT of its client no longer reading.
func (f *faultyUpstream) flood(w http.ResponseWriter, req wireRequest, done chan struct{}) {
	big := strings.Repeat("x", 16<<10)
	azureStreamStart(w)
	for req.Context.Err() == nil {
		sseChunk(w, big, nil)
	}
	close(done)
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
	status     int
	latency    time.Duration
	err        error  // transport failure, deadline, or a body that breaks the contract
	slowReader bool   // a client that never read its stream; err says whether the service let it go
	reason     string // a refusal's message, for the summary
}

// slowReader opens a stream and never reads it. The service must hang up
// on it within WRITE_TIMEOUT, which ends the upstream's flood; the
// deadline is generous, not a speed assertion.
func slowReader(base string, up *faultyUpstream, i int) soakResult {
	res := soakResult{slowReader: true}
	prompt := "flood-" + strconv.Itoa(i)
	done := make(chan struct{})
	up.floods.Store(prompt, done)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		res.err = err
		return res
	}
	defer conn.Close()
	body := `{"messages":[{"role":"user","content":"` + prompt + `"}]}`
	fmt.Fprintf(conn, "POST /api/chat/stream HTTP/1.1\r\nHost: soak\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		soakKey, len(body), body)
	// It reads the status line, then nothing more. A refusal (the gate
	// full, say) is a documented answer and no flood starts.
	_ = conn.SetReadDeadline(time.Now().Add(soakDeadline))
	status, err := bufio.NewReader(io.LimitReader(conn, 64)).ReadString('\n')
	switch {
	case err != nil:
		res.err = fmt.Errorf("no status line: %v", err)
		return res
	case !strings.HasPrefix(status, "HTTP/1.1 200 "):
		res.status = -1 // refused before the stream started: documented, and nothing to hold
		return res
	}
	select {
	case <-done:
	case <-time.After(soakDeadline):
		res.err = fmt.Errorf("the service kept writing to a client that never reads for %v", soakDeadline)
	}
	return res
}

// soakPool is one model on two backends: the faulty upstream first, and
// a steady one in the next tier, as a region in trouble and its spare.
// The soak so drives failover, cooldowns, ejections and probes too.
const soakPool = `models:
  - name: ` + testDeployment + `
    backends:
      - {name: faulty, provider: azure, endpoint: %[1]s, deployment: ` + testDeployment + `, api_version: ` + testAPIVersion + `, api_key_env: SOAK_AZURE_KEY, priority: 1}
      - {name: spare, provider: azure, endpoint: %[2]s, deployment: ` + testDeployment + `, api_version: ` + testAPIVersion + `, api_key_env: SOAK_AZURE_KEY, priority: 2}
`

func TestFaultInjectionSoak(t *testing.T) {
	up := newFaultyUpstream(t)
	spare := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if _, isFlood := up.floods.Load(req.Messages[len(req.Messages)-1].Content); isFlood {
			up.reply(w, req) // a client that never reads gets its flood wherever it lands
			return
		}
		azureReply(w, req)
	})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pool.yaml"), []byte(fmt.Sprintf(soakPool, up.URL, spare.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"LLM_CONFIG_FILE": filepath.Join(dir, "pool.yaml"), "SOAK_AZURE_KEY": testAPIKey,
		"UPSTREAM_TIMEOUT": "3s", "UPSTREAM_MAX_RETRIES": "2", "UPSTREAM_MAX_RETRY_WAIT": "100ms",
		"STREAM_IDLE_TIMEOUT": "2s", "MAX_CONCURRENT_UPSTREAM": "16", "UPSTREAM_QUEUE_TIMEOUT": "2s",
		"UPSTREAM_MAX_EVENT_BYTES": strconv.Itoa(soakEventBytes), "WRITE_TIMEOUT": "1s",
		"BACKEND_COOLDOWN_MAX": "250ms", "BACKEND_EJECT_BASE": "50ms", "BACKEND_EJECT_MAX": "100ms",
		"API_KEYS": soakKey, "LOG_FILE": "",
	}
	svc := startServiceIn(t, dir, env)
	// Every soak answer also goes through the contract check, like any other.
	soak := func(i int) soakResult {
		if i%soakSlowEvery == soakSlowEvery-1 {
			return slowReader(svc.URL, up, i)
		}
		return soakCall(t, svc.URL, i)
	}
	settle := func() {
		client.CloseIdleConnections()
		up.CloseClientConnections() // the service's idle upstream connections
		spare.CloseClientConnections()
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

	statuses, reasons := map[int]int{}, map[string]int{}
	var slowest time.Duration
	for i, r := range results {
		if r.slowReader {
			if r.err != nil {
				t.Errorf("request %d, a client that never reads: %v", i, r.err)
			}
			continue
		}
		statuses[r.status]++
		if r.reason != "" {
			reasons[strconv.Itoa(r.status)+" "+r.reason]++
		}
		slowest = max(slowest, r.latency)
		if r.err != nil {
			t.Errorf("request %d (%s): %v", i, soakRoutes[i%len(soakRoutes)].path, r.err)
		}
	}
	settle()
	after := settledGoroutines(t, svc.URL, before)
	t.Logf("soak: %d requests at %d-way in %v (%.0f/s); upstream calls %d, faults injected %v; statuses %v; refusals %v; slowest %v; "+
		"peak RSS %d KiB (bound %d KiB); goroutines before %d, after %d",
		soakRequests, soakWorkers, elapsed.Round(time.Millisecond), float64(soakRequests)/elapsed.Seconds(), up.n.Load(),
		faultCounts(up), statuses, reasons, slowest.Round(time.Millisecond), peakKiB, soakRSSLimitKiB, before, after)

	for s := range statuses {
		if !soakDocumented[s] {
			t.Errorf("undocumented status %d (%d times)", s, statuses[s])
		}
	}
	if answered := soakRequests - soakRequests/soakSlowEvery; statuses[200] < answered*95/100 {
		t.Errorf("only %d of %d succeeded: failover and retries should absorb nearly every fault", statuses[200], answered)
	}
	if n := up.trapped.Load(); n != 0 {
		t.Errorf("a redirect was followed %d times", n)
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
		if resp.StatusCode != 200 {
			res.reason = refusalReason(body)
		}
	}
	return res
}

// refusalReason is an error body's message, shortened, in either shape.
func refusalReason(body []byte) string {
	var m struct {
		Error json.RawMessage `json:"error"`
	}
	_ = json.Unmarshal(body, &m)
	var msg string
	if json.Unmarshal(m.Error, &msg) != nil {
		var e struct{ Message string }
		_ = json.Unmarshal(m.Error, &e)
		msg = e.Message
	}
	return msg[:min(len(msg), 48)]
}

func faultCounts(up *faultyUpstream) string {
	var parts []string
	for i, n := range faultNames {
		parts = append(parts, n+"="+strconv.FormatInt(up.faults[i].Load(), 10))
	}
	return strings.Join(parts, " ")
}
