package test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// reply is how a fake deployment answers one well-formed request.
type reply func(w http.ResponseWriter, req wireRequest)

// backend is a fake Azure deployment that fails on demand: a test sets
// its reply at any time, and reads when each call arrived.
type backend struct {
	*azureUpstream
	reply atomic.Pointer[reply]
	mu    sync.Mutex
	seen  []time.Time
}

func newBackend(t *testing.T) *backend {
	b := &backend{}
	b.set(azureReply)
	b.azureUpstream = newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		b.mu.Lock()
		b.seen = append(b.seen, time.Now())
		b.mu.Unlock()
		(*b.reply.Load())(w, req)
	})
	return b
}

func (b *backend) set(r reply) { b.reply.Store(&r) }

func (b *backend) arrivals() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Time(nil), b.seen...)
}

func throttled(header, value string) reply {
	return func(w http.ResponseWriter, _ wireRequest) {
		w.Header().Set(header, value)
		azureError(w, http.StatusTooManyRequests, "429", "Rate limit is exceeded.")
	}
}

func failing(w http.ResponseWriter, _ wireRequest) {
	azureError(w, http.StatusInternalServerError, "InternalServerError", "The server had an error")
}

func resetting(w http.ResponseWriter, _ wireRequest) { hangUp(w) }

func hanging(w http.ResponseWriter, req wireRequest) { <-req.Context.Done() }

func unauthorized(w http.ResponseWriter, _ wireRequest) {
	azureError(w, http.StatusUnauthorized, "401", "Access denied due to invalid subscription key.")
}

// cutBeforeFirstChoice answers 200 and Azure's filter-only chunk, then
// drops the connection before any text.
func cutBeforeFirstChoice(w http.ResponseWriter, _ wireRequest) {
	w.Header().Set("Content-Type", "text/event-stream")
	writeEvent(w, map[string]any{"choices": []any{}, "created": 0, "id": "", "model": "", "object": "",
		"prompt_filter_results": []any{map[string]any{"prompt_index": 0, "content_filter_results": map[string]any{}}}})
	hangUp(w)
}

// held reports each call on arrived, then answers once release closes.
func held(arrived chan<- struct{}, release <-chan struct{}) reply {
	return func(w http.ResponseWriter, req wireRequest) {
		arrived <- struct{}{}
		select {
		case <-release:
			azureReply(w, req)
		case <-req.Context.Done():
		}
	}
}

// poolEntry is one backend of one model in LLM_CONFIG_FILE.
type poolEntry struct {
	model, name string
	up          *backend
	priority    int
}

// poolFile writes the entries' models in the order they first appear.
func poolFile(entries ...poolEntry) string {
	var b strings.Builder
	b.WriteString("models:\n")
	last := ""
	for _, e := range entries {
		if e.model != last {
			fmt.Fprintf(&b, "  - name: %s\n    backends:\n", e.model)
			last = e.model
		}
		fmt.Fprintf(&b, "      - {name: %s, provider: azure, endpoint: %s, deployment: %s, api_version: %s, api_key_env: POOL_KEY, priority: %d}\n",
			e.name, e.up.URL, testDeployment, testAPIVersion, e.priority)
	}
	return b.String()
}

// startPool serves the file's pool; it returns the file's path.
func startPool(t *testing.T, file string, env ...string) (*service, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "pool.yaml")
	replaceFile(t, path, file)
	return startServiceIn(t, dir, withEnv(map[string]string{"LLM_CONFIG_FILE": path, "POOL_KEY": testAPIKey, "LOG_FILE": ""}, env...)), path
}

// replaceFile puts the new content in place whole, as a ConfigMap
// update does, so a poll never reads half a file.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".next"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
