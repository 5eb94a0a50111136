package test

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A client that pipelines requests and reads none of the answers fills
// the socket buffers; the service's write then waits on it. WRITE_TIMEOUT
// bounds that wait, so the service hangs up rather than holding the
// connection and its goroutine for as long as the client likes.
func TestPipeliningClientThatNeverReadsLosesItsConnection(t *testing.T) {
	svc := startService(t, fakeEnv(map[string]string{"WRITE_TIMEOUT": "1s"}))
	// Small answers stall in net/http's flush after the handler returned;
	// a large one (the whole contract) stalls inside the handler's write.
	for _, path := range []string{"/healthz", "/api/openapi.json"} {
		conn := dial(t, svc.URL) // its 15 s deadline is the generous bound
		batch := strings.Repeat("GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n", 50)
		for {
			_, err := io.WriteString(conn, batch) // blocks once the service stops reading
			if err == nil {
				continue
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("%s: the service still held the connection of a client that read nothing for 15 s", path)
			}
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
				t.Fatalf("%s: write: %v, want the service to have reset the connection", path, err)
			}
			break
		}
	}
	if r := call(t, "GET", svc.URL+"/healthz", "", ""); r.Status != 200 {
		t.Errorf("the service after the stuck client: %d", r.Status)
	}
}

// WRITE_TIMEOUT runs from an answer's first byte, never from the
// request's start: a model slower than the timeout still gets its answer
// through, streamed or not. A server-wide http.Server.WriteTimeout would
// cut both.
func TestWriteTimeoutStartsAtTheFirstByte(t *testing.T) {
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		slow := func() bool { // a slow model, longer than WRITE_TIMEOUT
			select {
			case <-time.After(1500 * time.Millisecond):
				return true
			case <-req.Context.Done():
				return false
			}
		}
		if !req.Stream {
			if slow() {
				azureReply(w, req)
			}
			return
		}
		azureStreamStart(w)
		sseChunk(w, "echo: ", nil)
		if slow() { // longer than WRITE_TIMEOUT between two events
			sseChunk(w, "slow", nil)
			azureStreamEnd(w, true)
		}
	})
	env := azureEnv(up)
	env["WRITE_TIMEOUT"] = "1s"
	svc := startService(t, env)

	start := time.Now()
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"slow"}`)
	if r.Status != 200 || r.JSON(t)["response"] != "echo: slow" {
		t.Errorf("slow answer: %d %s", r.Status, r.Body)
	}
	if time.Since(start) < time.Second {
		t.Fatal("the answer came before WRITE_TIMEOUT, so this proved nothing")
	}
	s := postJSON(t, svc.URL+"/api/completions/stream", `{"prompt":"slow"}`)
	if s.Status != 200 || !strings.Contains(string(s.Body), `"delta":"slow"`) || !strings.Contains(string(s.Body), "event: done") {
		t.Errorf("slow stream: %d %s", s.Status, s.Body)
	}
}
