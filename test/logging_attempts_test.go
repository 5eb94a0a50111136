package test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// plainAccessKeys are an access line's fields when no single attempt
// served the request.
var plainAccessKeys = "bytes,client_ip,correlation_id,latency_ms,level,method,msg,path,status,ts"

// wantAttemptLines checks the request's upstream call lines, one per
// attempt in order, by backend ("" for any) and status.
func wantAttemptLines(t *testing.T, svc *service, id string, backends []string, statuses []float64) {
	t.Helper()
	calls := withID(svc.logEntries("upstream call"), id)
	if len(calls) != len(statuses) {
		t.Fatalf("upstream call lines = %v, want %d, one per attempt", calls, len(statuses))
	}
	for i, c := range calls {
		if c["attempt"] != float64(i+1) || c["upstream_status"] != statuses[i] || (backends[i] != "" && c["backend"] != backends[i]) ||
			c["deployment"] != testDeployment || c["upstream_latency_ms"] == nil {
			t.Errorf("upstream call %d = %v, want attempt %d on %q with status %v", i, c, i+1, backends[i], statuses[i])
		}
	}
}

func wantPlainAccessLine(t *testing.T, svc *service, msg, id string) {
	t.Helper()
	if got := strings.Join(keysOf(onlyEntry(t, svc.logEntries(msg), id)), ","); got != plainAccessKeys {
		t.Errorf("access fields = %v, want %v: several attempts keep their own lines", got, plainAccessKeys)
	}
}

func TestARetriedRequestLogsEachAttemptAndAPlainAccessLine(t *testing.T) {
	var calls atomic.Int32
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if calls.Add(1) == 1 {
			w.Header().Set("retry-after-ms", "20")
			azureError(w, http.StatusTooManyRequests, "429", "Rate limit is exceeded.")
			return
		}
		azureReply(w, req)
	})
	svc := startService(t, azureEnv(up))
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`, "X-Request-ID", "retried-1"); r.Status != 200 {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	svc.stop(t) // every line is out
	wantAttemptLines(t, svc, "retried-1", []string{"", ""}, []float64{429, 200})
	wantPlainAccessLine(t, svc, "POST /api/completions 200", "retried-1")
}

func TestAFailedOverRequestLogsEachBackendsAttempt(t *testing.T) {
	first, second := newBackend(t), newBackend(t)
	first.set(failing)
	svc, _ := startPool(t, poolFile(poolEntry{"m", "first", first, 1}, poolEntry{"m", "second", second, 2}))
	r := postJSON(t, svc.URL+"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, "X-Request-ID", "failover-1")
	if r.Status != 200 {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	svc.stop(t)
	wantAttemptLines(t, svc, "failover-1", []string{"first", "second"}, []float64{500, 200})
	wantPlainAccessLine(t, svc, "POST /v1/chat/completions 200", "failover-1")
	if e := withID(svc.logEntries("backend attempt failed"), "failover-1"); len(e) != 1 || e[0]["backend"] != "first" {
		t.Errorf("backend attempt failed lines = %v, want the pool's own, as before", e)
	}
}

func TestAStreamFoldsItsUpstreamCallIntoTheAccessLine(t *testing.T) {
	up := newAzureUpstream(t, azureReply)
	svc := startService(t, azureEnv(up))
	r := postJSON(t, svc.URL+"/api/completions/stream", `{"prompt":"x"}`, "X-Request-ID", "stream-fold-1")
	if r.Status != 200 || !strings.Contains(string(r.Body), "event: done") {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	svc.stop(t)
	access := onlyEntry(t, svc.logEntries("POST /api/completions/stream 200"), "stream-fold-1")
	if access["attempt"] != 1.0 || access["backend"] == nil || access["deployment"] != testDeployment ||
		access["upstream_status"] != 200.0 || access["upstream_request_id"] != "apim-e2e-1" || access["upstream_latency_ms"] == nil ||
		access["bytes"] != float64(len(r.Body)) {
		t.Errorf("access line = %v, want the stream's upstream fields and its bytes", access)
	}
	if calls := withID(svc.logEntries("upstream call"), "stream-fold-1"); len(calls) != 0 {
		t.Errorf("upstream call lines = %v, want none: the access line has them", calls)
	}
}

func TestAStreamFailingOverBeforeItsFirstPieceLogsBothAttempts(t *testing.T) {
	first, second := newBackend(t), newBackend(t)
	first.set(cutBeforeFirstChoice)
	svc, _ := startPool(t, poolFile(poolEntry{"m", "first", first, 1}, poolEntry{"m", "second", second, 2}))
	r := postJSON(t, svc.URL+"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`,
		"X-Request-ID", "stream-failover-1")
	if r.Status != 200 || !strings.Contains(string(r.Body), "data: [DONE]") || strings.Contains(string(r.Body), `"error"`) {
		t.Fatalf("status = %d: %s", r.Status, r.Body)
	}
	svc.stop(t)
	wantAttemptLines(t, svc, "stream-failover-1", []string{"first", "second"}, []float64{200, 200}) // the first answered 200, then broke
	wantPlainAccessLine(t, svc, "POST /v1/chat/completions 200", "stream-failover-1")
}
