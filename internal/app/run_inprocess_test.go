package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRunServesInProcess runs the whole service, composition root and
// all, on the test's own goroutine: nothing in it needs a process of its
// own, a global it sets, or an environment it writes.
func TestRunServesInProcess(t *testing.T) {
	isolate(t)
	t.Chdir(t.TempDir())
	for k, v := range map[string]string{"LLM_PROVIDER": "fake", "HOST": "127.0.0.1", "PORT": "0", "LOG_FORMAT": "json", "LOG_FILE": "", "SHUTDOWN_DELAY": "0s"} {
		t.Setenv(k, v)
	}
	logs := &lockedBuffer{}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, logs, nil) }()

	var addr string
	tick, deadline := time.NewTicker(10*time.Millisecond), time.After(10*time.Second) // a hang guard
	defer tick.Stop()
	for addr == "" {
		if e := logs.entry("listening"); e != nil {
			addr, _ = e["addr"].(string)
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the service never logged its address")
		}
	}
	resp, err := http.Post("http://"+addr+"/api/completions", "application/json", strings.NewReader(`{"prompt":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Model string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body.Model != "offline-fake" {
		t.Fatalf("in-process completion = %d %+v", resp.StatusCode, body)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want a clean drain", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
