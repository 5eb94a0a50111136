package test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// holdingStreams holds the stream of the prompt "in-flight" after its
// first piece until release closes; it answers everything else at once.
func holdingStreams(arrived chan<- struct{}, release <-chan struct{}) reply {
	return func(w http.ResponseWriter, req wireRequest) {
		if req.Messages[len(req.Messages)-1].Content != "in-flight" {
			azureReply(w, req)
			return
		}
		azureStreamStart(w)
		sseChunk(w, "before ", nil)
		arrived <- struct{}{}
		select {
		case <-release:
		case <-req.Context.Done():
			return
		}
		sseChunk(w, "after", nil)
		azureStreamEnd(w, true)
	}
}

// load runs workers that send completions, both surfaces, until stop;
// it counts answers other than 200. Requests go through the contract
// transport, which reports to t from any goroutine.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sent   atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	first  string // the first failure, for the report
}

func startLoad(t *testing.T, svc *service, workers int) *load {
	ctx, cancel := context.WithCancel(withTest(context.Background(), t))
	l := &load{cancel: cancel}
	bodies := []struct{ path, body string }{
		{"/api/completions", `{"prompt":"load"}`},
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"load"}]}`},
	}
	for w := range workers {
		l.wg.Go(func() {
			pace := time.NewTicker(10 * time.Millisecond)
			defer pace.Stop()
			for i := w; ctx.Err() == nil; i++ {
				b := bodies[i%len(bodies)]
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, svc.URL+b.path, strings.NewReader(b.body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if ctx.Err() != nil {
					if err == nil {
						_ = resp.Body.Close()
					}
					return // stopped mid-request: not the service's failure
				}
				l.sent.Add(1)
				status := -1
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					status = resp.StatusCode
				}
				if status != 200 {
					l.failed.Add(1)
					l.mu.Lock()
					if l.first == "" {
						l.first = fmt.Sprintf("%s: %d %v", b.path, status, err)
					}
					l.mu.Unlock()
				}
				<-pace.C
			}
		})
	}
	return l
}

func (l *load) stop(t *testing.T) {
	t.Helper()
	l.cancel()
	l.wg.Wait()
	t.Logf("%d requests under load", l.sent.Load())
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed across the reload; the first: %s", n, l.sent.Load(), l.first)
	}
}

// waitCalls waits, with a generous bound, for b to have served n calls.
func waitCalls(t *testing.T, b *backend, n int32, what string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for b.calls.Load() < n {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: %d calls after 20s, want %d", what, b.calls.Load(), n)
		}
	}
}

func TestReloadSwapsThePoolUnderLoadWithoutAFailedRequest(t *testing.T) {
	for _, trigger := range []string{"SIGHUP", "file change"} {
		t.Run(trigger, func(t *testing.T) {
			old, next := newBackend(t), newBackend(t)
			arrived, release := make(chan struct{}, 1), make(chan struct{})
			old.set(holdingStreams(arrived, release))
			poll := "1h" // only the signal reloads
			if trigger == "file change" {
				poll = "100ms"
			}
			svc, path := startPool(t, poolFile(poolEntry{"m", "old", old, 1}), "LLM_CONFIG_POLL_INTERVAL", poll)

			// A stream open on the old pool stays there across the reload.
			inFlight := openStream(t, context.Background(), svc.URL+"/api/completions/stream", `{"prompt":"in-flight"}`)
			select {
			case <-arrived:
			case <-time.After(20 * time.Second):
				t.Fatal("the in-flight stream never reached the old backend")
			}
			if ev := inFlight.next(t); ev.Data["delta"] != "before " {
				t.Fatalf("first event = %+v", ev)
			}
			l := startLoad(t, svc, 3)
			waitCalls(t, old, 10, "load on the old pool")

			if trigger == "file change" { // a bad file is refused and changes nothing
				replaceFile(t, path, poolFile(poolEntry{"m", "next", next, 1})+"      - {name: x, provider: azure}\n")
				e := svc.waitFor(t, "LLM_CONFIG_FILE refused; the running pool stays")
				if msg, _ := e["error"].(string); e["level"] != "ERROR" || !strings.HasPrefix(msg, "LLM_CONFIG_FILE "+path+", line 5: models[0].backends[1].endpoint: is required") {
					t.Errorf("refused line = %v", e)
				}
			}
			replaceFile(t, path, poolFile(poolEntry{"m", "next", next, 1}))
			if trigger == "SIGHUP" {
				if err := syscall.Kill(svc.cmd.Process.Pid, syscall.SIGHUP); err != nil {
					t.Fatal(err)
				}
			}
			e := svc.waitFor(t, "LLM_CONFIG_FILE reloaded")
			if e["level"] != "INFO" || e["trigger"] != trigger || fmt.Sprint(e["models"]) != "[m]" || e["backends"] != 1.0 ||
				fmt.Sprint(e["added"]) != "[m/next]" || fmt.Sprint(e["removed"]) != "[m/old]" {
				t.Errorf("reloaded line = %v", e)
			}
			waitCalls(t, next, 10, "load on the new pool")
			oldCalls := old.calls.Load()
			close(release)
			rest := inFlight.next(t)
			if done := inFlight.next(t); rest.Data["delta"] != "after" || done.Name != "done" {
				t.Errorf("the in-flight stream ended with %+v, %+v; want it finished by the old backend", rest, done)
			}
			l.stop(t)
			if r := complete(t, svc); r.Status != 200 || old.calls.Load() != oldCalls {
				t.Errorf("after the reload: %d, the old backend called %d more times", r.Status, old.calls.Load()-oldCalls)
			}
		})
	}
}

func TestReloadSIGHUPWithoutAFileIsIgnored(t *testing.T) {
	svc := startService(t, map[string]string{"LLM_PROVIDER": "fake", "LOG_FILE": ""})
	for range 2 {
		if err := syscall.Kill(svc.cmd.Process.Pid, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	if e := svc.waitFor(t, "SIGHUP ignored: LLM_CONFIG_FILE is not set, so there is nothing to reload"); e["level"] != "INFO" {
		t.Errorf("ignored line = %v", e)
	}
	if r := call(t, "GET", svc.URL+"/healthz", "", ""); r.Status != 200 {
		t.Fatalf("after SIGHUP: %d", r.Status)
	}
	svc.stop(t) // a clean drain: SIGHUP never started one
	if n := len(svc.logEntries("draining: readiness now fails; still accepting until the delay ends")); n != 1 {
		t.Errorf("%d drains, want the one SIGTERM started", n)
	}
}

func TestPoolBadFileStopsStartupNamingFileLineAndField(t *testing.T) {
	up := newBackend(t)
	good := poolFile(poolEntry{"m", "a", up, 1})
	tests := []struct {
		name, file, env, want string
	}{
		{"unknown key", strings.Replace(good, "priority: 1}", "priority: 1, wieght: 3}", 1), "",
			`line 4: unknown field "wieght"`},
		{"unset key variable", good, "NO_SUCH_KEY", "line 4: models[0].backends[0].api_key_env: names NO_SUCH_KEY, which is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := dir + "/pool.yaml"
			replaceFile(t, path, strings.Replace(tt.file, "POOL_KEY", valueOr(tt.env, "POOL_KEY"), 1))
			svc := mustLaunchIn(t, dir, map[string]string{"LLM_CONFIG_FILE": path, "POOL_KEY": testAPIKey, "LOG_FILE": ""})
			if code := svc.waitExit(t); code == 0 {
				t.Fatal("start-up went on with a bad file")
			}
			want := "aoai-api: config: LLM_CONFIG_FILE " + path + ", " + tt.want
			if lines := svc.lines(); len(lines) != 1 || lines[0] != want {
				t.Errorf("output:\n%s\nwant the one line:\n%s", strings.Join(lines, "\n"), want)
			}
			if up.calls.Load() != 0 {
				t.Error("a backend was called")
			}
		})
	}
}

func valueOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
