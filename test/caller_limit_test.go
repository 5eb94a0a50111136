package test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	callerKeyA = "caller-A-key-0123456789"
	callerKeyB = "caller-B-key-0123456789"
)

// MAX_CONCURRENT_PER_CALLER: while caller A's stream is open, A's next
// model call is refused and B's is served; once it ends, A is served
// again. A stream whose client stops reading gives its slot back within
// WRITE_TIMEOUT, since its writes then time out.
func TestPerCallerLimitHoldsASlotForTheWholeStream(t *testing.T) {
	arrived := make(chan string, 2)
	release, flood := newGate(t), newGate(t)
	big := strings.Repeat("x", 16<<10)
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		prompt := req.Messages[len(req.Messages)-1].Content
		if prompt != "hold" && prompt != "flood" {
			azureReply(w, req)
			return
		}
		azureStreamStart(w)
		sseChunk(w, "first", nil)
		arrived <- prompt
		if prompt == "hold" {
			if release.wait(req.Context) {
				azureStreamEnd(w, true)
			}
			return
		}
		if flood.wait(req.Context) {
			for req.Context.Err() == nil { // far more than a client that reads nothing can buffer
				sseChunk(w, big, nil)
			}
		}
	})
	env := azureEnv(up)
	env["API_KEYS"] = callerKeyA + "," + callerKeyB
	env["MAX_CONCURRENT_PER_CALLER"] = "1"
	env["WRITE_TIMEOUT"] = "1s"
	svc := startService(t, env)
	v1Body := `{"model":"` + testDeployment + `","messages":[{"role":"user","content":"x"}]}`
	as := func(key string) []string { return []string{"X-API-Key", key} }

	held := postAsync(t, svc.URL+"/api/completions/stream", `{"prompt":"hold"}`, as(callerKeyA)...)
	awaitUpstream(t, arrived, "hold")
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`, as(callerKeyA)...)
	assertErrorResponse(t, r, 429, "too many model calls in flight")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", r.Header.Get("Retry-After"))
	}
	v1 := postJSON(t, svc.URL+"/v1/chat/completions", v1Body, as(callerKeyA)...)
	if v1.Status != 429 || v1.JSON(t)["error"].(map[string]any)["code"] != "too_many_concurrent_requests" {
		t.Errorf("/v1 over the per-caller limit = %d %s", v1.Status, v1.Body)
	}
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`, as(callerKeyB)...); r.Status != 200 {
		t.Errorf("caller B while A is at its limit: %d %s", r.Status, r.Body)
	}
	if r := call(t, "GET", svc.URL+"/v1/models", "", "", as(callerKeyA)...); r.Status != 200 {
		t.Errorf("a GET route is no model call, but was refused: %d", r.Status)
	}
	release.release()
	if h := <-held; h.Status != 200 || !strings.Contains(string(h.Body), "event: done") {
		t.Fatalf("the held stream = %d %s", h.Status, h.Body)
	}
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`, as(callerKeyA)...); r.Status != 200 {
		t.Fatalf("A after its stream ended: %d %s", r.Status, r.Body)
	}

	// A opens a stream on a connection it never reads from.
	conn := dial(t, svc.URL)
	body := `{"prompt":"flood"}`
	fmt.Fprintf(conn, "POST /api/completions/stream HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		callerKeyA, len(body), body)
	awaitUpstream(t, arrived, "flood")
	assertErrorResponse(t, postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`, as(callerKeyA)...), 429, "in flight")
	flood.release()
	deadline := time.Now().Add(15 * time.Second) // generous: WRITE_TIMEOUT is 1 s
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`, as(callerKeyA)...)
		if r.Status == 200 {
			break
		}
		if r.Status != 429 || time.Now().After(deadline) {
			t.Fatalf("A's stuck stream still holds its slot: %d %s", r.Status, r.Body)
		}
		<-tick.C
	}
}

// awaitUpstream waits until the upstream reports the prompt want.
func awaitUpstream(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("the upstream got %q, want %q", got, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("%q never reached the upstream", want)
	}
}

// postAsync sends a request from another goroutine, with optional header
// pairs; the test reads the outcome from the channel. The request
// carries the test's context, as call's do.
func postAsync(t *testing.T, url, body string, hdr ...string) <-chan response {
	req, err := http.NewRequestWithContext(withTest(t.Context(), t), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	out := make(chan response, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			out <- response{Status: -1, Body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		out <- response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	}()
	return out
}
