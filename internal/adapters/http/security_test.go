package http_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	httpadapter "github.com/aoai-api/aoai-api/internal/adapters/http"
	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
	"github.com/aoai-api/aoai-api/internal/ports/mocks"
)

const (
	keyA = "key-alpha-0123456789"
	keyB = "key-bravo-9876543210"
)

func digests(keys ...string) [][sha256.Size]byte {
	out := make([][sha256.Size]byte, len(keys))
	for i, k := range keys {
		out[i] = sha256.Sum256([]byte(k))
	}
	return out
}

func newGuarded(t *testing.T, sec httpadapter.Security) (http.Handler, *mocks.MockCompleter, *bytes.Buffer) {
	t.Helper()
	return engineWith(t, httpadapter.Options{
		Version: "v-test", MaxBodyBytes: 1024, Models: models("m"), Security: sec,
	})
}

func TestKeysAreRequiredOnEveryRouteButTheOpenOnes(t *testing.T) {
	h, _, _ := newGuarded(t, httpadapter.Security{KeyDigests: digests(keyA)})
	open := map[string]bool{"GET /": true, "GET /api": true, "GET /api/": true, "GET /healthz": true, "GET /readyz": true,
		"GET /metrics": true, "GET /api/openapi.yaml": true, "GET /api/openapi.json": true}
	for _, r := range routesOf(t, h) {
		rec := do(h, r.method, r.path, "application/json", `{"prompt":"x"}`)
		if open[r.method+" "+r.path] {
			if rec.Code != 200 {
				t.Errorf("%s %s: status %d, want the open route to answer", r.method, r.path, rec.Code)
			}
			continue
		}
		if rec.Code != 401 {
			t.Errorf("%s %s without a key: status %d, want 401", r.method, r.path, rec.Code)
		}
	}
	// Unknown paths are refused too: no probing for routes without a key.
	for _, p := range []string{"/nope", "/v1/nope", "/api/completionsX", "/api/config/info/"} {
		if rec := do(h, "GET", p, "", ""); rec.Code != 401 {
			t.Errorf("GET %s: status %d, want 401", p, rec.Code)
		}
	}
}

type routeInfo struct{ method, path string }

// routesOf asks the welcome page, which lists what the router serves.
func routesOf(t *testing.T, h http.Handler) []routeInfo {
	t.Helper()
	var out []routeInfo
	eps, _ := decode(t, do(h, "GET", "/api/", "", ""))["endpoints"].([]any)
	for _, e := range eps {
		m := e.(map[string]any)
		out = append(out, routeInfo{m["method"].(string), strings.ReplaceAll(m["path"].(string), ":model", "m")})
	}
	if len(out) < 10 {
		t.Fatalf("the welcome page lists only %v", out)
	}
	return out
}

func TestMissingAndWrongKeysAre401WithAChallenge(t *testing.T) {
	h, _, logs := newGuarded(t, httpadapter.Security{KeyDigests: digests(keyA, keyB)})
	tests := []struct {
		name, header, value, challenge, msg string
	}{
		{"no key", "", "", `Bearer realm="aoai-api"`, "An API key is required"},
		{"wrong bearer", "Authorization", "Bearer " + keyA + "x", `Bearer realm="aoai-api", error="invalid_token"`, "not valid"},
		{"key prefix", "Authorization", "Bearer " + keyA[:10], `Bearer realm="aoai-api", error="invalid_token"`, "not valid"},
		{"wrong X-API-Key", "X-API-Key", "nope", `Bearer realm="aoai-api", error="invalid_token"`, "not valid"},
		{"basic scheme", "Authorization", "Basic " + keyA, `Bearer realm="aoai-api", error="invalid_token"`, "not valid"},
		{"empty bearer", "Authorization", "Bearer ", `Bearer realm="aoai-api", error="invalid_token"`, "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, tt.header, tt.value)
			assertError(t, rec, 401, tt.msg)
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
		})
	}
	rec := do(h, "POST", "/v1/chat/completions", "application/json", `{}`, "Authorization", "Bearer wrong")
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"type":"authentication_error"`) ||
		!strings.Contains(rec.Body.String(), `"code":"invalid_api_key"`) {
		t.Errorf("/v1 401 = %d %s, want OpenAI's shape", rec.Code, rec.Body)
	}
	if strings.Contains(logs.String(), keyA) {
		t.Error("a presented key reached the log")
	}
}

func TestValidKeysPassAndTheLogNamesTheCallerByDigest(t *testing.T) {
	h, svc, logs := newGuarded(t, httpadapter.Security{KeyDigests: digests(keyA, keyB)})
	svc.EXPECT().Complete(gomock.Any(), "x").Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil).Times(3)
	for _, hdr := range [][2]string{{"Authorization", "Bearer " + keyA}, {"Authorization", "bearer " + keyB}, {"X-API-Key", keyB}} {
		if rec := do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, hdr[0], hdr[1]); rec.Code != 200 {
			t.Errorf("%s: status %d: %s", hdr[0], rec.Code, rec.Body)
		}
	}
	sum := sha256.Sum256([]byte(keyB))
	if want := `"caller":"` + hex.EncodeToString(sum[:4]) + `"`; !strings.Contains(logs.String(), want) {
		t.Errorf("access log lacks %s:\n%s", want, logs)
	}
	if strings.Contains(logs.String(), keyA) || strings.Contains(logs.String(), keyB) {
		t.Error("a key reached the log")
	}
}

func TestNoKeysMeansNoAuthentication(t *testing.T) {
	h, svc, _ := newGuarded(t, httpadapter.Security{})
	svc.EXPECT().Complete(gomock.Any(), "x").Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil)
	if rec := do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`); rec.Code != 200 {
		t.Errorf("status %d", rec.Code)
	}
}

// doFrom is do from a given TCP peer.
func doFrom(h http.Handler, remoteAddr, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remoteAddr
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// allowance is a ports.Limits that admits each caller n requests, then
// refuses them, retry after. The limits' arithmetic is the limits
// adapter's to test; here only whom the HTTP adapter meters, and how it
// answers a refusal.
type allowance struct {
	mu    sync.Mutex
	n     int
	retry time.Duration
	used  map[string]int
}

func allow(n int, retry time.Duration) *allowance {
	return &allowance{n: n, retry: retry, used: map[string]int{}}
}

func (a *allowance) Admit(_ context.Context, c ports.Caller, _ bool) (ports.Admission, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.used[c.Key]++; a.used[c.Key] > a.n {
		return ports.Admission{Refused: ports.RefusedRequests, RetryAfter: a.retry}, nil
	}
	return ports.Admission{}, nil
}

func (a *allowance) Charge(context.Context, ports.Caller, ports.Spent) {}
func (a *allowance) Usage(context.Context, ports.Caller) (ports.Ledger, error) {
	return ports.Ledger{}, nil
}
func (a *allowance) Callers(context.Context) ([]ports.Ledger, error) { return nil, nil }

func TestRateLimitPerKeyWithRetryAfter(t *testing.T) {
	h, svc, _ := newGuarded(t, httpadapter.Security{KeyDigests: digests(keyA, keyB), Limits: allow(2, 1500*time.Millisecond)})
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil).AnyTimes()
	post := func(key string) *httptest.ResponseRecorder {
		return do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, "X-API-Key", key)
	}
	for i := range 2 {
		if rec := post(keyA); rec.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i, rec.Code)
		}
	}
	rec := post(keyA)
	assertError(t, rec, 429, "Rate limit exceeded")
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2 (1.5 s, in whole seconds up)", got)
	}
	if rec := post(keyB); rec.Code != 200 {
		t.Errorf("another key shares the bucket: %d", rec.Code)
	}
	if rec := do(h, "GET", "/api/", "", ""); rec.Code != 200 {
		t.Errorf("open routes are never limited: %d", rec.Code)
	}
}

func TestWrongKeysLockTheAddressOutForTheRestOfItsMinute(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	h, svc, logs := newGuarded(t, httpadapter.Security{KeyDigests: digests(keyA),
		AuthThrottle: httpadapter.AuthThrottle{FailuresPerMinute: 2, MaxAddrs: 100, Now: clk.Now}})
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil).AnyTimes()
	post := func(addr, key string) *httptest.ResponseRecorder {
		return doFrom(h, addr, "POST", "/api/completions", `{"prompt":"x"}`, "X-API-Key", key)
	}
	if post("10.0.0.1:1", keyA).Code != 200 {
		t.Fatal("a right key first")
	}
	for range 2 {
		if rec := post("10.0.0.1:1", "guess-0123456789"); rec.Code != 401 {
			t.Fatalf("a wrong key within the limit: %d", rec.Code)
		}
	}
	clk.now = clk.now.Add(15 * time.Second)
	rec := post("10.0.0.1:2", keyA)
	assertError(t, rec, 429, "Too many wrong API keys")
	if got := rec.Header().Get("Retry-After"); got != "45" {
		t.Errorf("Retry-After = %q, want the 45 s left of the minute", got)
	}
	if rec := doFrom(h, "10.0.0.1:3", "GET", "/v1/models", ""); rec.Code != 429 ||
		!strings.Contains(rec.Body.String(), `"type":"rate_limit_error"`) || !strings.Contains(rec.Body.String(), `"code":"too_many_auth_failures"`) {
		t.Errorf("/v1 without a key from the locked address = %d %s, want 429 in OpenAI's shape", rec.Code, rec.Body)
	}
	if rec := post("10.0.0.2:1", keyA); rec.Code != 200 {
		t.Errorf("another address is locked out too: %d", rec.Code)
	}
	if rec := doFrom(h, "10.0.0.1:4", "GET", "/healthz", ""); rec.Code != 200 {
		t.Errorf("open routes are never throttled: %d", rec.Code)
	}
	clk.now = clk.now.Add(45 * time.Second)
	if rec := post("10.0.0.1:5", keyA); rec.Code != 200 {
		t.Errorf("once the minute is over: %d", rec.Code)
	}
	if n := strings.Count(logs.String(), "too many wrong API keys from one address"); n != 1 {
		t.Errorf("%d lockout warnings, want one per address and window:\n%s", n, logs)
	}
}

func TestRateLimitPerClientIPWithoutKeys(t *testing.T) {
	h, svc, _ := newGuarded(t, httpadapter.Security{Limits: allow(1, time.Second)})
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil).AnyTimes()
	from := func(addr string, hdr ...string) int {
		return doFrom(h, addr, "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, hdr...).Code
	}
	svc.EXPECT().Chat(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil).AnyTimes()
	if c := from("10.0.0.1:1234"); c != 200 {
		t.Fatalf("first: %d", c)
	}
	if c := from("10.0.0.1:5678", "X-Forwarded-For", "203.0.113.9"); c != 429 {
		t.Errorf("same peer, forged X-Forwarded-For: %d, want 429 (no proxy is trusted)", c)
	}
	if c := from("10.0.0.2:1234"); c != 200 {
		t.Errorf("another client: %d", c)
	}
}

func TestTrustedProxiesNameTheClient(t *testing.T) {
	h, svc, _ := newGuarded(t, httpadapter.Security{TrustedProxies: []string{"10.0.0.0/8"}, Limits: allow(1, time.Second)})
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil).AnyTimes()
	post := func(xff string) int {
		return doFrom(h, "10.1.2.3:1000", "POST", "/api/completions", `{"prompt":"x"}`, "X-Forwarded-For", xff).Code
	}
	if post("198.51.100.1") != 200 || post("198.51.100.2") != 200 {
		t.Error("distinct clients behind the trusted proxy share a bucket")
	}
	if c := post("198.51.100.1"); c != 429 {
		t.Errorf("the same client again: %d, want 429", c)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h, svc, _ := newGuarded(t, httpadapter.Security{KeyDigests: digests(keyA)})
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil)
	for _, rec := range []*httptest.ResponseRecorder{
		do(h, "GET", "/", "", ""),
		do(h, "GET", "/nope", "", ""),
		do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`),
		do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, "X-API-Key", keyA),
	} {
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
			"X-Frame-Options": "DENY",
		} {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("status %d: %s = %q, want %q", rec.Code, k, got, want)
			}
		}
	}
}

func TestCORSAllowlist(t *testing.T) {
	h, svc, _ := newGuarded(t, httpadapter.Security{KeyDigests: digests(keyA), CORSOrigins: []string{"https://app.example"}})
	svc.EXPECT().Complete(gomock.Any(), gomock.Any()).Return(domain.Completion{Answer: domain.Answer{Choices: []domain.Choice{{Text: "y"}}}}, nil)

	pre := do(h, "OPTIONS", "/api/completions", "", "", "Origin", "https://app.example",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, authorization")
	if pre.Code != 204 || pre.Header().Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(pre.Header().Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(pre.Header().Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("allowed preflight = %d %v (a preflight carries no key, so it must pass before auth)", pre.Code, pre.Header())
	}
	if pre.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials must never be allowed")
	}

	bad := do(h, "OPTIONS", "/api/completions", "", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	assertError(t, bad, 403, "origin is not allowed")
	if bad.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("a refused origin got Access-Control-Allow-Origin")
	}

	rec := do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, "Origin", "https://app.example", "X-API-Key", keyA)
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(rec.Header().Get("Access-Control-Expose-Headers"), "X-Request-ID") || rec.Header().Get("Vary") != "Origin" ||
		!strings.Contains(rec.Header().Get("Access-Control-Expose-Headers"), "x-ratelimit-remaining-tokens") {
		t.Errorf("allowed request = %d %v", rec.Code, rec.Header())
	}
	unauth := do(h, "POST", "/api/completions", "application/json", `{"prompt":"x"}`, "Origin", "https://app.example")
	if unauth.Code != 401 || unauth.Header().Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("a 401 must be readable by the allowed page, to tell the user: %d %v", unauth.Code, unauth.Header())
	}
	other := do(h, "GET", "/", "", "", "Origin", "https://evil.example")
	if other.Code != 200 || other.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin = %d %v", other.Code, other.Header())
	}
}

func TestNoCORSByDefault(t *testing.T) {
	h, _, _ := newGuarded(t, httpadapter.Security{})
	rec := do(h, "OPTIONS", "/api/completions", "", "", "Origin", "https://app.example", "Access-Control-Request-Method", "POST")
	if rec.Code != 405 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight without CORS = %d %v", rec.Code, rec.Header())
	}
}
