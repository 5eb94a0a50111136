package test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestThrottledThenSuccessIsRetriedTransparently(t *testing.T) {
	var calls atomic.Int32
	var clientRequestID atomic.Value
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		clientRequestID.Store(req.Header.Get("x-ms-client-request-id"))
		if calls.Add(1) == 1 {
			w.Header().Set("retry-after-ms", "20")
			azureError(w, http.StatusTooManyRequests, "429", "Requests to the ChatCompletions_Create Operation have exceeded the call rate limit.")
			return
		}
		azureReply(w, req)
	})
	svc := startService(t, azureEnv(up))

	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`, "X-Request-ID", "resilience-1")
	if r.Status != 200 || calls.Load() != 2 {
		t.Fatalf("status = %d, upstream calls = %d: %s", r.Status, calls.Load(), r.Body)
	}
	if got := r.Header.Get("X-Upstream-Request-ID"); got != "apim-e2e-1" {
		t.Errorf("X-Upstream-Request-ID = %q", got)
	}
	if got, _ := clientRequestID.Load().(string); got != "resilience-1" {
		t.Errorf("x-ms-client-request-id upstream = %q, want our correlation id", got)
	}
	if len(svc.logEntries("upstream retry")) != 1 {
		t.Errorf("want one logged retry, got %v", svc.logEntries("upstream retry"))
	}
}

func TestThrottledBeyondRetriesIs429WithRetryAfter(t *testing.T) {
	up := newAzureUpstream(t, func(w http.ResponseWriter, _ wireRequest) {
		w.Header().Set("Retry-After", "120") // more than the test's UPSTREAM_TIMEOUT: no wait, answer at once
		azureError(w, http.StatusTooManyRequests, "429", "Rate limit is exceeded. Try again in 120 seconds.")
	})
	env := azureEnv(up)
	env["UPSTREAM_TIMEOUT"] = "5s"
	svc := startService(t, env)
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`)
	assertErrorResponse(t, r, 429, "rate limiting")
	if r.Header.Get("Retry-After") != "120" || up.calls.Load() != 1 {
		t.Errorf("Retry-After = %q, upstream calls = %d", r.Header.Get("Retry-After"), up.calls.Load())
	}
	if r.JSON(t)["upstream_request_id"] != "apim-e2e-1" {
		t.Errorf("body = %s", r.Body)
	}
}

func TestContentFilterIs400WithCategories(t *testing.T) {
	up := newAzureUpstream(t, func(w http.ResponseWriter, _ wireRequest) { azureContentFilter(w) })
	svc := startService(t, azureEnv(up))
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"something nasty"}`)
	assertErrorResponse(t, r, 400, "The prompt was blocked by the content filter")
	m := r.JSON(t)
	cats, _ := m["categories"].([]any)
	if len(cats) != 2 || cats[0] != "self_harm" || cats[1] != "violence" {
		t.Errorf("categories = %v", m["categories"])
	}
	if up.calls.Load() != 1 {
		t.Errorf("a content-filter refusal must not be retried; calls = %d", up.calls.Load())
	}
}

func TestSlowUpstreamIs504(t *testing.T) {
	release := make(chan struct{})
	up := newAzureUpstream(t, func(w http.ResponseWriter, _ wireRequest) { <-release })
	t.Cleanup(func() { close(release) })
	env := azureEnv(up)
	env["UPSTREAM_TIMEOUT"] = "300ms"
	svc := startService(t, env)
	assertErrorResponse(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`), 504, "did not answer in time")
}

func TestClientDisconnectCancelsTheUpstreamCall(t *testing.T) {
	arrived, sawDone := make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if !once.CompareAndSwap(false, true) {
			return
		}
		close(arrived)
		<-req.Context.Done()
		close(sawDone)
	})
	svc := startService(t, azureEnv(up))

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(withTest(ctx, t), http.MethodPost, svc.URL+"/api/completions", strings.NewReader(`{"prompt":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	errc := make(chan error, 1)
	go func() {
		resp, err := client.Do(req) // checked like any other; cancelled before an answer here
		if err == nil {
			_ = resp.Body.Close()
		}
		errc <- err
	}()
	<-arrived
	cancel()
	select {
	case <-sawDone:
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("the upstream call kept running after the client left")
	}
	if err := <-errc; err == nil {
		t.Error("the client's request should have been cancelled")
	}
	if n := up.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d: a departed client's call must not be retried", n)
	}
}
