package test

import (
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOfficialOpenAISDK runs test/sdk/openai_sdk.mjs (the official
// openai npm package, pinned in test/sdk/package-lock.json and installed
// by `make test`) against the real binary and a fake Azure upstream.
func TestOfficialOpenAISDK(t *testing.T) {
	var mu sync.Mutex
	var throttled []time.Time
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if last := req.Messages[len(req.Messages)-1].Content; last == "please-throttle" {
			mu.Lock()
			throttled = append(throttled, time.Now())
			first := len(throttled) == 1
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After", "1")
				azureError(w, http.StatusTooManyRequests, "429", "Rate limit is exceeded.")
				return
			}
		}
		if req.Stream {
			azureStreamStart(w)
			sseChunk(w, "echo: ", nil)
			sseChunk(w, req.Messages[len(req.Messages)-1].Content, nil)
			azureStreamEnd(w, true)
			return
		}
		azureReply(w, req)
	})
	env := azureEnv(up)
	env["UPSTREAM_MAX_RETRIES"] = "0" // let the 429 reach the SDK
	svc := startService(t, env)

	node := exec.CommandContext(t.Context(), "node", "openai_sdk.mjs")
	node.Dir = "sdk"
	node.Env = append(node.Environ(), "AOAI_API_BASE_URL="+svc.URL+"/v1", "AOAI_API_MODEL="+testDeployment)
	out, err := node.CombinedOutput()
	if err != nil {
		t.Fatalf("the official SDK failed against the service: %v\n%s", err, out)
	}
	for _, step := range []string{"nonStreaming", "streaming", "retriesThrottling", "badRequest", "unknownModel", "models"} {
		if !strings.Contains(string(out), "ok "+step+"\n") {
			t.Errorf("step %s did not pass:\n%s", step, out)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(throttled) != 2 {
		t.Fatalf("throttled prompt reached the upstream %d times, want 2 (429, then the SDK's retry)", len(throttled))
	}
	if gap := throttled[1].Sub(throttled[0]); gap < 900*time.Millisecond {
		t.Errorf("the SDK retried after %v: it must honour Retry-After: 1", gap)
	}
}
