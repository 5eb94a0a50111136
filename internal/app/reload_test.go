package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aoai-api/aoai-api/internal/adapters/pool"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// offlineModels is a file whose models each have one fake backend.
func offlineModels(names ...string) string {
	var b strings.Builder
	b.WriteString("models:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - name: %s\n    backends:\n      - {name: offline, provider: fake}\n", n)
	}
	return b.String()
}

// reloadRig is a pool served from LLM_CONFIG_FILE as Run builds it, with
// its reloader, logging JSON through the redactor into logs.
type reloadRig struct {
	path string
	pool *pool.Pool
	r    *reloader
	logs *lockedBuffer
}

func newReloadRig(t *testing.T, body string, env ...string) *reloadRig {
	t.Helper()
	isolate(t)
	path := writeLLMFile(t, body)
	t.Setenv("LLM_CONFIG_FILE", path)
	for i := 0; i+1 < len(env); i += 2 {
		t.Setenv(env[i], env[i+1])
	}
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	log := newLogger("INFO", "json", res.Config.logSecrets, logs)
	bs := &backends{cfg: res.Config, client: http.DefaultClient, metrics: mustMetrics(t)}
	p, _ := bs.pool(res.Models, log)
	return &reloadRig{path: path, pool: p, r: poolReloader(res, bs, p, log), logs: logs}
}

// rewrite replaces the file as a ConfigMap update does: the new content
// appears whole, never half written.
func rewrite(t *testing.T, path, body string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".next")
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func (l *lockedBuffer) entries(msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(l.b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && (msg == "" || m["msg"] == msg) {
			out = append(out, m)
		}
	}
	return out
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// runUntilHandled drives r's loop: each send on an unbuffered channel
// is taken only once the one before it was handled, so after the last
// send and the stop, every event has been handled.
func runUntilHandled(t *testing.T, r *reloader, events ...func(signals chan<- struct{}, ticks chan<- time.Time)) {
	t.Helper()
	signals, ticks := make(chan struct{}), make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(ctx, signals, ticks)
	}()
	for _, e := range events {
		e(signals, ticks)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the reloader did not stop with its context")
	}
}

func tick(_ chan<- struct{}, ticks chan<- time.Time)  { ticks <- time.Time{} }
func hup(signals chan<- struct{}, _ chan<- time.Time) { signals <- struct{}{} }

func TestReloadSwapsThePoolWhenTheFileChanges(t *testing.T) {
	rig := newReloadRig(t, offlineModels("alpha"))
	runUntilHandled(t, rig.r,
		func(chan<- struct{}, chan<- time.Time) { rewrite(t, rig.path, offlineModels("alpha", "beta")) },
		tick, tick) // the second tick finds nothing new
	if got := rig.pool.Models(); !slices.Equal(got, []string{"alpha", "beta"}) {
		t.Fatalf("models after the change = %v, want alpha and beta", got)
	}
	if _, err := rig.pool.Chat(context.Background(), ports.Conversation{Model: "beta", Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}}); err != nil {
		t.Errorf("the new model does not answer: %v", err)
	}
	done := rig.logs.entries("LLM_CONFIG_FILE reloaded")
	if len(done) != 1 {
		t.Fatalf("reloaded lines = %v, want exactly one", done)
	}
	e := done[0]
	if e["level"] != "INFO" || e["trigger"] != "file change" || !slices.Equal(strs(e["models"]), []string{"alpha", "beta"}) ||
		e["backends"] != 2.0 || !slices.Equal(strs(e["added"]), []string{"beta/offline"}) || e["changed"] != nil || e["removed"] != nil {
		t.Errorf("reloaded line = %v", e)
	}
}

func TestReloadRefusesAnInvalidFileAndKeepsThePool(t *testing.T) {
	rig := newReloadRig(t, offlineModels("alpha"))
	bad := strings.Replace(offlineModels("alpha", "beta"), "provider: fake}\n", "provider: fake, wieght: 2}\n", 1)
	rewrite(t, rig.path, bad)
	_, startErr := LoadConfig(t.TempDir()) // what start-up says of the same file
	if startErr == nil {
		t.Fatal("start-up accepted the bad file")
	}

	runUntilHandled(t, rig.r, tick, tick)
	if got := rig.pool.Models(); !slices.Equal(got, []string{"alpha"}) {
		t.Fatalf("models = %v: the running pool must stay", got)
	}
	refused := rig.logs.entries("LLM_CONFIG_FILE refused; the running pool stays")
	if len(refused) != 1 {
		t.Fatalf("refused lines = %v, want one: an unchanged bad file is not reported on every poll", refused)
	}
	if e := refused[0]; e["level"] != "ERROR" || e["error"] != startErr.Error() || strings.Contains(startErr.Error(), "\n") {
		t.Errorf("refused line = %v, want ERROR with start-up's one-line message %q", e, startErr)
	}
	if !strings.Contains(startErr.Error(), rig.path) || !strings.Contains(startErr.Error(), "line 4") || !strings.Contains(startErr.Error(), "wieght") {
		t.Errorf("message %q does not name the file, line and field", startErr)
	}

	rewrite(t, rig.path, offlineModels("alpha", "beta")) // fixed
	runUntilHandled(t, rig.r, tick)
	if got := rig.pool.Models(); !slices.Equal(got, []string{"alpha", "beta"}) {
		t.Errorf("models after the fix = %v", got)
	}
}

func TestReloadIgnoresUnchangedContent(t *testing.T) {
	rig := newReloadRig(t, offlineModels("alpha"))
	swaps := 0
	rig.r.swap = func([]llmModel) []*domain.Error { swaps++; return nil }
	rewrite(t, rig.path, offlineModels("alpha")) // rewritten, same bytes: a new mtime and inode
	runUntilHandled(t, rig.r, tick, tick)
	if swaps != 0 || len(rig.logs.entries("")) != 0 {
		t.Errorf("%d swaps, logs %v: unchanged content must do nothing", swaps, rig.logs.entries(""))
	}
	// A removed file is reported once, and its return is a change.
	if err := os.Remove(rig.path); err != nil {
		t.Fatal(err)
	}
	runUntilHandled(t, rig.r, tick, tick)
	if n := len(rig.logs.entries("LLM_CONFIG_FILE refused; the running pool stays")); n != 1 || swaps != 0 {
		t.Errorf("a missing file: %d refused lines, %d swaps; want 1 and 0", n, swaps)
	}
	rewrite(t, rig.path, offlineModels("alpha"))
	runUntilHandled(t, rig.r, tick)
	if swaps != 1 {
		t.Errorf("the file's return: %d swaps, want 1", swaps)
	}
}

func TestSIGHUPWithoutAFileIsLoggedAndIgnored(t *testing.T) {
	isolate(t)
	t.Setenv("LLM_PROVIDER", "fake")
	res, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	swaps := 0 // read once stop has waited for the loop
	r := newReloader(res, func([]llmModel) []*domain.Error { swaps++; return nil },
		newLogger("INFO", "json", res.Config.logSecrets, logs))
	signals := make(chan struct{})
	stop := startReloader(context.Background(), r, signals) // as Run starts it: no file, no poll
	signals <- struct{}{}
	signals <- struct{}{} // taken only once the first was handled: the loop goes on
	stop()
	ignored := logs.entries("SIGHUP ignored: LLM_CONFIG_FILE is not set, so there is nothing to reload")
	if len(ignored) != 2 || ignored[0]["level"] != "INFO" || swaps != 0 {
		t.Errorf("ignored lines %v, %d swaps; want two INFO lines and none", ignored, swaps)
	}
}

func TestSIGHUPReloadsAndKeepsTheHealthOfUnchangedBackends(t *testing.T) {
	throttling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"429","message":"slow down"}}`))
	}))
	defer throttling.Close()
	file := func(endpoint string) string {
		return "models:\n  - name: m\n    backends:\n" +
			"      - {name: east, provider: azure, endpoint: " + endpoint + ", deployment: d, api_key_env: EAST_KEY}\n" +
			"      - {name: offline, provider: fake, priority: 2}\n"
	}
	rig := newReloadRig(t, file(throttling.URL), "EAST_KEY", "east-key-0123456789", "UPSTREAM_MAX_RETRIES", "0", "BACKEND_COOLDOWN_MAX", "1h")
	chat := func() {
		_, _ = rig.pool.Chat(context.Background(), ports.Conversation{Messages: []domain.Message{{Role: domain.RoleUser, Content: "hi"}}})
	}
	state := func() pool.State { return rig.pool.Snapshot()[0].Backends[0].State }
	chat()
	if state() != pool.StateCooling {
		t.Fatalf("east = %s after a 429, want cooling", state())
	}

	runUntilHandled(t, rig.r, hup)
	done := rig.logs.entries("LLM_CONFIG_FILE reloaded")
	if len(done) != 1 || done[0]["trigger"] != "SIGHUP" || done[0]["changed"] != nil || done[0]["added"] != nil {
		t.Fatalf("reloaded lines = %v, want one for SIGHUP that changes nothing", done)
	}
	if state() != pool.StateCooling {
		t.Errorf("east = %s after a reload of the same file, want it still cooling", state())
	}

	rewrite(t, rig.path, file(throttling.URL+"/")) // another endpoint: another backend
	runUntilHandled(t, rig.r, tick)
	if e := rig.logs.entries("LLM_CONFIG_FILE reloaded"); len(e) != 2 || !slices.Equal(strs(e[1]["changed"]), []string{"m/east"}) {
		t.Errorf("reloaded lines = %v, want m/east changed", e)
	}
	if state() != pool.StateHealthy {
		t.Errorf("east = %s after its settings changed, want a fresh start", state())
	}
}

func TestReloadTeachesTheRedactorTheNewKeys(t *testing.T) {
	const second = "sk-second-backend-key-0123456789"
	one := "models:\n  - name: m\n    backends:\n      - {name: a, provider: azure, endpoint: https://a.example, deployment: d, api_key_env: A_KEY}\n"
	rig := newReloadRig(t, one, "A_KEY", "sk-first-backend-key-0123456789", "B_KEY", second)
	log := newLogger("INFO", "json", rig.r.res.Config.logSecrets, rig.logs)
	log.Info().Str("k", second).Msg("before")
	rewrite(t, rig.path, one+"      - {name: b, provider: azure, endpoint: https://b.example, deployment: d, api_key_env: B_KEY}\n")
	runUntilHandled(t, rig.r, tick)
	log.Info().Str("k", second).Msg("after")
	if e := rig.logs.entries("before"); len(e) != 1 || e[0]["k"] != second {
		t.Fatalf("before the reload: %v; the rig should not know the key yet", e)
	}
	if e := rig.logs.entries("after"); len(e) != 1 || e[0]["k"] != "[REDACTED]" {
		t.Errorf("after the reload: %v, want the new backend's key redacted", e)
	}
}
