package test

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func complete(t *testing.T, svc *service) response {
	t.Helper()
	return postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`)
}

// until sends requests, paced, while cond holds, failing the test on an
// answer other than 200 or when cond still holds after a generous bound.
func until(t *testing.T, svc *service, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	pace := time.NewTicker(50 * time.Millisecond)
	defer pace.Stop()
	for cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still waiting after 20s", what)
		}
		if r := complete(t, svc); r.Status != 200 {
			t.Fatalf("%s: status %d: %s", what, r.Status, r.Body)
		}
		<-pace.C
	}
}

func TestPoolFailsOverA429AndSparesTheBackendUntilItsCooldownEnds(t *testing.T) {
	first, second := newBackend(t), newBackend(t)
	first.set(throttled("retry-after-ms", "2000"))
	svc, _ := startPool(t, poolFile(poolEntry{"m", "first", first, 1}, poolEntry{"m", "second", second, 2}),
		"BACKEND_COOLDOWN_MAX", "1h")

	if r := complete(t, svc); r.Status != 200 || first.calls.Load() != 1 || second.calls.Load() != 1 {
		t.Fatalf("status %d, calls %d and %d; want 200 from the second after the first's 429: %s",
			r.Status, first.calls.Load(), second.calls.Load(), r.Body)
	}
	first.set(azureReply)
	// A reload of the unchanged file keeps the cooldown.
	if err := syscall.Kill(svc.cmd.Process.Pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	svc.waitFor(t, "LLM_CONFIG_FILE reloaded")
	until(t, svc, func() bool { return first.calls.Load() == 1 }, "the first backend back in service")

	seen := first.arrivals()
	if gap := seen[1].Sub(seen[0]); gap < 2*time.Second {
		t.Errorf("the first backend was called again %v after its 429, before the 2s it asked for", gap)
	}
	if n := second.calls.Load(); n < 2 {
		t.Errorf("the second backend answered %d requests; want it to have served the cooldown", n)
	}
	before := second.calls.Load()
	if r := complete(t, svc); r.Status != 200 || first.calls.Load() != 3 || second.calls.Load() != before {
		t.Errorf("after the cooldown: status %d, calls %d and %d; want the first tier again", r.Status, first.calls.Load(), second.calls.Load()-before)
	}
	if e := svc.logEntries("backend cooling"); len(e) != 1 || e[0]["backend"] != "first" || e[0]["model"] != "m" {
		t.Errorf("cooling lines = %v", e)
	}
}

func TestPoolAllThrottledIs429WithTheSoonestRetryAfterAndCallsNoOne(t *testing.T) {
	first, second := newBackend(t), newBackend(t)
	first.set(throttled("retry-after-ms", "30000"))
	second.set(throttled("Retry-After", "10"))
	svc, _ := startPool(t, poolFile(poolEntry{"m", "first", first, 1}, poolEntry{"m", "second", second, 2}),
		"BACKEND_COOLDOWN_MAX", "1h", "UPSTREAM_MAX_RETRY_WAIT", "1s")

	retryAfter := func(r response) int {
		n, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || n < 1 || n > 10 {
			t.Errorf("Retry-After = %q; want the soonest recovery, the second's 10s, not the first's 30s", r.Header.Get("Retry-After"))
		}
		return n
	}
	r := complete(t, svc)
	assertErrorResponse(t, r, 429, "rate limiting")
	retryAfter(r)
	if first.calls.Load() != 1 || second.calls.Load() != 1 {
		t.Errorf("calls %d and %d, want one each", first.calls.Load(), second.calls.Load())
	}

	r = complete(t, svc)
	assertErrorResponse(t, r, 429, "every backend of model 'm' is rate limiting requests")
	retryAfter(r)
	v1 := postJSON(t, svc.URL+"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}]}`)
	if v1.Status != 429 || v1.Header.Get("Retry-After") == "" {
		t.Errorf("/v1: %d Retry-After %q: %s", v1.Status, v1.Header.Get("Retry-After"), v1.Body)
	}
	if first.calls.Load() != 1 || second.calls.Load() != 1 {
		t.Errorf("calls %d and %d: a request while every backend cools must call no one", first.calls.Load(), second.calls.Load())
	}
}

func TestPoolProbesAnEjectedBackendExactlyOnce(t *testing.T) {
	first, second := newBackend(t), newBackend(t)
	first.set(failing)
	svc, _ := startPool(t, poolFile(poolEntry{"m", "first", first, 1}, poolEntry{"m", "second", second, 2}),
		"BACKEND_EJECT_FAILURES", "1", "BACKEND_EJECT_BASE", "300ms", "BACKEND_EJECT_MAX", "1h")

	if r := complete(t, svc); r.Status != 200 || first.calls.Load() != 1 {
		t.Fatalf("status %d, first called %d times: %s", r.Status, first.calls.Load(), r.Body)
	}
	if e := svc.waitFor(t, "backend ejected"); e["level"] != "WARNING" || e["backend"] != "first" {
		t.Errorf("ejected line = %v", e)
	}
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	first.set(held(arrived, release)) // the probe waits until the test lets it answer
	var probe <-chan response
	deadline := time.After(20 * time.Second)
	pace := time.NewTicker(20 * time.Millisecond)
	defer pace.Stop()
	for probe == nil {
		r := postAsync(t, svc.URL+"/api/completions", `{"prompt":"x"}`)
		select {
		case <-arrived:
			probe = r
		case resp := <-r:
			if resp.Status != 200 {
				t.Fatalf("while ejected: %d %s", resp.Status, resp.Body)
			}
			<-pace.C
		case <-deadline:
			t.Fatal("no probe within 20s of a 300ms ejection")
		}
	}
	for range 5 { // the probe is out: every other request goes to the second
		if r := complete(t, svc); r.Status != 200 {
			t.Fatalf("during the probe: %d %s", r.Status, r.Body)
		}
	}
	if n := first.calls.Load(); n != 2 {
		t.Errorf("the first backend was called %d times; want its failure and exactly one probe", n)
	}
	close(release)
	if r := <-probe; r.Status != 200 {
		t.Errorf("the probe: %d %s", r.Status, r.Body)
	}
	svc.waitFor(t, "backend restored")
	before := second.calls.Load()
	if r := complete(t, svc); r.Status != 200 || first.calls.Load() != 3 || second.calls.Load() != before {
		t.Errorf("after a good probe: status %d, first called %d times; want it restored", r.Status, first.calls.Load())
	}
}

// TestPoolFailsOverBeforeTheFirstByte serves one model per fault, each
// with its own failing first backend and a shared healthy second.
func TestPoolFailsOverBeforeTheFirstByte(t *testing.T) {
	healthy := newBackend(t)
	faults := []struct {
		model  string
		reply  reply
		stream bool
	}{
		{"m-500", failing, false},
		{"m-reset", resetting, false},
		{"m-hang", hanging, false}, // UPSTREAM_ATTEMPT_TIMEOUT ends the wait
		{"m-401", unauthorized, false},
		{"m-cut-stream", cutBeforeFirstChoice, true},
	}
	var entries []poolEntry
	firsts := map[string]*backend{}
	for _, f := range faults {
		b := newBackend(t)
		b.set(f.reply)
		firsts[f.model] = b
		entries = append(entries, poolEntry{f.model, "first", b, 1}, poolEntry{f.model, "second", healthy, 2})
	}
	svc, _ := startPool(t, poolFile(entries...), "UPSTREAM_ATTEMPT_TIMEOUT", "300ms")

	for _, f := range faults {
		t.Run(f.model, func(t *testing.T) {
			before := healthy.calls.Load()
			body := fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"failover"}]}`, f.model, f.stream)
			r := postJSON(t, svc.URL+"/v1/chat/completions", body)
			want := []string{`"content":"echo: failover"`}
			if f.stream { // the second's stream, whole: its pieces, then the end
				want = []string{`"content":"echo: "`, `"content":"failover"`, `"finish_reason":"stop"`, "data: [DONE]"}
			}
			for _, w := range want {
				if r.Status != 200 || !strings.Contains(string(r.Body), w) || strings.Contains(string(r.Body), `"error"`) {
					t.Fatalf("status %d, want 200 with %s: %s", r.Status, w, r.Body)
				}
			}
			if firsts[f.model].calls.Load() != 1 || healthy.calls.Load() != before+1 {
				t.Errorf("calls: first %d, second %d; want one each", firsts[f.model].calls.Load(), healthy.calls.Load()-before)
			}
		})
	}
	// A 401 breaks the backend: it is logged, and not called again.
	if e := svc.logEntries("backend misconfigured: its key, identity or deployment is wrong; failing over"); len(e) != 1 || e[0]["level"] != "ERROR" || e[0]["model"] != "m-401" {
		t.Errorf("misconfigured lines = %v", e)
	}
	if r := postJSON(t, svc.URL+"/v1/chat/completions", `{"model":"m-401","messages":[{"role":"user","content":"x"}]}`); r.Status != 200 || firsts["m-401"].calls.Load() != 1 {
		t.Errorf("a broken backend was called again: status %d, calls %d", r.Status, firsts["m-401"].calls.Load())
	}
	if strings.Contains(strings.Join(svc.lines(), "\n"), testAPIKey) {
		t.Error("a backend key reached the log")
	}
}

func TestPoolModelSelectsItsBackends(t *testing.T) {
	big, small := newBackend(t), newBackend(t)
	svc, _ := startPool(t, poolFile(poolEntry{"gpt-4o", "big", big, 1}, poolEntry{"gpt-4o-mini", "small", small, 1}))

	r := call(t, "GET", svc.URL+"/v1/models", "", "")
	var ids []string
	for _, m := range r.JSON(t)["data"].([]any) {
		ids = append(ids, m.(map[string]any)["id"].(string))
	}
	if r.Status != 200 || strings.Join(ids, ",") != "gpt-4o,gpt-4o-mini" {
		t.Errorf("/v1/models: %d %v, want both models in the file's order", r.Status, ids)
	}
	chat := func(model string) int {
		return postJSON(t, svc.URL+"/v1/chat/completions", `{"model":"`+model+`","messages":[{"role":"user","content":"x"}]}`).Status
	}
	if s := chat("gpt-4o-mini"); s != 200 || small.calls.Load() != 1 || big.calls.Load() != 0 {
		t.Errorf("gpt-4o-mini: %d, calls big %d small %d", s, big.calls.Load(), small.calls.Load())
	}
	if s := chat("gpt-4o"); s != 200 || big.calls.Load() != 1 || small.calls.Load() != 1 {
		t.Errorf("gpt-4o: %d, calls big %d small %d", s, big.calls.Load(), small.calls.Load())
	}
	if r := complete(t, svc); r.Status != 200 || big.calls.Load() != 2 { // /api is served by the first model
		t.Errorf("/api: %d, big called %d times", r.Status, big.calls.Load())
	}
	if s := chat("gpt-5"); s != 404 || big.calls.Load()+small.calls.Load() != 3 {
		t.Errorf("an unknown model: %d, calls %d; want 404 calling no one", s, big.calls.Load()+small.calls.Load())
	}
}
