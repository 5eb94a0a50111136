package test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	inboundKeyEnv  = "inbound-LEAKCHECK-env-0123456789"
	inboundKeyFile = "inbound-LEAKCHECK-file-9876543210"
)

func fakeEnv(extra map[string]string) map[string]string {
	env := map[string]string{"LLM_PROVIDER": "fake", "FAKE_STREAM_DELAY": "0s", "LOG_FILE": ""}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestInboundKeysGuardEverythingButTheOpenRoutes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "api-keys")
	if err := os.WriteFile(file, []byte("# mounted from a Secret\n"+inboundKeyFile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := startService(t, fakeEnv(map[string]string{"API_KEYS": inboundKeyEnv, "API_KEYS_FILE": file}))
	if on := svc.logEntries("inbound authentication is on: an API key is required on every route but the open ones"); len(on) != 1 || on[0]["keys"] != 2.0 || len(on[0]["open_routes"].([]any)) != 13 { // eight API routes and the chat page's five
		t.Errorf("start-up must say auth is on with 2 keys: %v", on)
	}

	for _, p := range []string{"/", "/api", "/api/"} {
		if r := call(t, "GET", svc.URL+p, "", ""); r.Status != 200 {
			t.Errorf("GET %s without a key: %d", p, r.Status)
		}
	}
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`)
	assertErrorResponse(t, r, 401, "An API key is required")
	if r.Header.Get("WWW-Authenticate") != `Bearer realm="aoai-api"` {
		t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
	}
	assertErrorResponse(t, call(t, "GET", svc.URL+"/api/config/info", "", "", "X-API-Key", "guess"), 401, "not valid")
	v1 := call(t, "GET", svc.URL+"/v1/models", "", "", "Authorization", "Bearer guess")
	if v1.Status != 401 || v1.JSON(t)["error"].(map[string]any)["type"] != "authentication_error" {
		t.Errorf("/v1 without a valid key = %d %s", v1.Status, v1.Body)
	}

	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`, "Authorization", "Bearer "+inboundKeyEnv); r.Status != 200 {
		t.Errorf("Bearer key from API_KEYS: %d %s", r.Status, r.Body)
	}
	if r := postJSON(t, svc.URL+"/api/chat", `{"messages":[{"role":"user","content":"hi"}]}`, "X-API-Key", inboundKeyFile); r.Status != 200 {
		t.Errorf("X-API-Key from API_KEYS_FILE: %d %s", r.Status, r.Body)
	}
	if r := call(t, "GET", svc.URL+"/v1/models", "", "", "Authorization", "Bearer "+inboundKeyFile); r.Status != 200 {
		t.Errorf("/v1/models with a key: %d", r.Status)
	}
	info := call(t, "GET", svc.URL+"/api/config/info", "", "", "X-API-Key", inboundKeyEnv)
	if info.Status != 200 || strings.Contains(string(info.Body), "LEAKCHECK") {
		t.Fatalf("config info = %d %s", info.Status, info.Body)
	}
	for _, k := range []string{"API_KEYS", "API_KEYS_FILE"} {
		if e := info.JSON(t)[k].(map[string]any); e["set"] != true || e["value"] != nil {
			t.Errorf("%s = %v, want set and no value", k, e)
		}
	}

	svc.stop(t)
	sum := sha256.Sum256([]byte(inboundKeyFile))
	caller := hex.EncodeToString(sum[:4])
	found := false
	for _, e := range svc.logEntries("POST /api/chat 200") {
		found = found || e["caller"] == caller
	}
	if !found {
		t.Errorf("the access line does not name the caller %s", caller)
	}
	for _, l := range svc.lines() {
		if strings.Contains(l, "LEAKCHECK") || strings.Contains(l, file) {
			t.Errorf("stdout holds a key or the key file's path: %s", l)
		}
	}
}

func TestStartupSaysWhenAuthenticationIsOff(t *testing.T) {
	svc := startService(t, fakeEnv(nil))
	off := svc.logEntries("inbound authentication is OFF: API_KEYS and API_KEYS_FILE are empty, so anyone who can reach the service can spend the quota")
	if len(off) != 1 || off[0]["level"] != "WARNING" {
		t.Errorf("want one WARNING that auth is off, got %v", off)
	}
}

// A rate this low refills nothing while the test runs, so the counts are exact.
func TestRateLimitPerClientIP(t *testing.T) {
	svc := startService(t, fakeEnv(map[string]string{"RATE_LIMIT_RPS": "0.001", "RATE_LIMIT_BURST": "2"}))
	for i := range 2 {
		if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`); r.Status != 200 {
			t.Fatalf("request %d within the burst: %d", i, r.Status)
		}
	}
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`, "X-Forwarded-For", "198.51.100.7")
	assertErrorResponse(t, r, 429, "Rate limit exceeded")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", r.Header.Get("Retry-After"))
	}
	v1 := call(t, "GET", svc.URL+"/v1/models", "", "")
	if v1.Status != 429 || v1.JSON(t)["error"].(map[string]any)["code"] != "rate_limit_exceeded" {
		t.Errorf("/v1 over the limit = %d %s", v1.Status, v1.Body)
	}
	if r := call(t, "GET", svc.URL+"/api/", "", ""); r.Status != 200 {
		t.Errorf("the welcome page is never limited: %d", r.Status)
	}
}

func TestTrustedProxyGivesEachForwardedClientItsOwnBucket(t *testing.T) {
	svc := startService(t, fakeEnv(map[string]string{"RATE_LIMIT_RPS": "0.001", "RATE_LIMIT_BURST": "1", "TRUSTED_PROXIES": "127.0.0.1/32"}))
	from := func(ip string) int {
		return postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`, "X-Forwarded-For", ip).Status
	}
	if from("198.51.100.1") != 200 || from("198.51.100.2") != 200 {
		t.Fatal("clients behind the trusted proxy share a bucket")
	}
	if s := from("198.51.100.1"); s != 429 {
		t.Errorf("the same client again: %d, want 429", s)
	}
	svc.stop(t)
	if len(svc.logEntries("POST /api/completions 200")) != 2 || svc.logEntries("POST /api/completions 200")[1]["client_ip"] != "198.51.100.2" {
		t.Errorf("client_ip must be the forwarded client: %v", svc.logEntries("POST /api/completions 200"))
	}
}

func TestConcurrencyLimitAnswers503WithRetryAfter(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		if req.Messages[len(req.Messages)-1].Content == "hold" {
			arrived <- struct{}{}
			<-release
		}
		azureReply(w, req)
	})
	env := azureEnv(up)
	env["MAX_CONCURRENT_UPSTREAM"], env["UPSTREAM_QUEUE_TIMEOUT"] = "1", "200ms"
	svc := startService(t, env)

	held := make(chan string, 1)
	go func() { // not call(): t.Fatal belongs to the test's own goroutine; the check only reports
		req, _ := http.NewRequestWithContext(withTest(t.Context(), t), http.MethodPost, svc.URL+"/api/completions/stream", strings.NewReader(`{"prompt":"hold"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			held <- err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		held <- strconv.Itoa(resp.StatusCode) + " " + string(body)
	}()
	<-arrived
	r := postJSON(t, svc.URL+"/v1/chat/completions", `{"model":"`+testDeployment+`","messages":[{"role":"user","content":"x"}]}`)
	if r.Status != 503 || r.Header.Get("Retry-After") != "1" || r.JSON(t)["error"].(map[string]any)["code"] != "service_unavailable" {
		t.Errorf("while the slot is held: %d Retry-After %q %s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	assertErrorResponse(t, postJSON(t, svc.URL+"/api/chat", `{"messages":[{"role":"user","content":"x"}]}`), 503, "limit of concurrent model calls")
	close(release)
	if h := <-held; !strings.HasPrefix(h, "200 ") || !strings.Contains(h, "event: done") {
		t.Errorf("the held stream = %s", h)
	}
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"x"}`); r.Status != 200 {
		t.Errorf("after the stream ended its slot must be free: %d %s", r.Status, r.Body)
	}
}

func TestCORSAllowlistEndToEnd(t *testing.T) {
	svc := startService(t, fakeEnv(map[string]string{"CORS_ALLOWED_ORIGINS": "http://localhost:5173"}))
	pre := call(t, "OPTIONS", svc.URL+"/api/chat/stream", "", "", "Origin", "http://localhost:5173",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("preflight = %d %v", pre.Status, pre.Header)
	}
	assertErrorResponse(t, call(t, "OPTIONS", svc.URL+"/api/chat", "", "", "Origin", "https://evil.example",
		"Access-Control-Request-Method", "POST"), 403, "origin is not allowed")
	r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`, "Origin", "http://localhost:5173")
	if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("allowed POST = %d %v", r.Status, r.Header)
	}

	plain := startService(t, fakeEnv(nil))
	r = postJSON(t, plain.URL+"/api/completions", `{"prompt":"hi"}`, "Origin", "http://localhost:5173")
	if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("without CORS_ALLOWED_ORIGINS = %d %v", r.Status, r.Header)
	}
}

func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	svc := startService(t, fakeEnv(nil))
	for _, r := range []response{
		call(t, "GET", svc.URL+"/", "", ""),
		call(t, "GET", svc.URL+"/nope", "", ""),
		postJSON(t, svc.URL+"/api/completions", `{"prompt":"hi"}`),
		postJSON(t, svc.URL+"/api/completions/stream", `{"prompt":"hi"}`),
		postJSON(t, svc.URL+"/api/completions", `{"prompt":""}`),
	} {
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%d %s: %s = %q, want %q", r.Status, r.Header.Get("Content-Type"), k, got, want)
			}
		}
	}
}

// READ_TIMEOUT covers reading the request only: net/http clears the read
// deadline once the body is read, so answers that take longer, streamed
// or not, are never cut by it.
func TestReadTimeoutDoesNotCutLongAnswers(t *testing.T) {
	up := newAzureUpstream(t, func(w http.ResponseWriter, req wireRequest) {
		select { // a slow model, longer than READ_TIMEOUT
		case <-time.After(1500 * time.Millisecond):
		case <-req.Context.Done():
			return
		}
		azureReply(w, req)
	})
	env := azureEnv(up)
	env["READ_TIMEOUT"] = "1s"
	svc := startService(t, env)
	start := time.Now()
	if r := postJSON(t, svc.URL+"/api/completions", `{"prompt":"slow"}`); r.Status != 200 {
		t.Errorf("slow answer: %d %s", r.Status, r.Body)
	}
	if time.Since(start) < time.Second {
		t.Fatal("the answer came before READ_TIMEOUT, so this proved nothing")
	}

	stream := startService(t, fakeEnv(map[string]string{"READ_TIMEOUT": "1s", "FAKE_STREAM_DELAY": "100ms"}))
	start = time.Now()
	r := postJSON(t, stream.URL+"/api/completions/stream", `{"prompt":"a stream that outlives the read timeout"}`)
	if r.Status != 200 || !strings.Contains(string(r.Body), "event: done") || strings.Contains(string(r.Body), "event: error") {
		t.Errorf("long stream = %d %s", r.Status, r.Body)
	}
	if time.Since(start) < 1500*time.Millisecond {
		t.Errorf("the stream took %v, not long enough to outlive READ_TIMEOUT", time.Since(start))
	}
}
